"""Helpers of the dispatch fault tests and benchmarks: a full outbox, dispatchers in processes of their own, and
what the fake Twilio received compared with the rows."""
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime

from sqlalchemy import insert, select

from clubcrm.extensions import db
from clubcrm.models import Member, Message
from tests.fake_twilio import FakeTwilio


def queue_many(club_id: int, count: int, now: datetime, tag: str = "fault") -> list[str]:
    """COUNT members of the club with SMS consent and one due message each (two set-based inserts); their phones."""
    db.session.execute(insert(Member), [
        {"club_id": club_id, "first_name": "Fault", "last_name": f"{tag}{n}", "phone": f"+3584097{n:05d}",
         "locale": "en", "sms_consent": True, "sms_consent_at": now, "created_at": now}
        for n in range(count)])
    members = db.session.execute(select(Member.id, Member.phone).where(Member.club_id == club_id)).all()
    db.session.execute(insert(Message), [
        {"club_id": club_id, "member_id": member_id, "idempotency_key": f"{tag}:{member_id}", "to_phone": phone,
         "body": f"{tag} message for {phone}", "locale": "en", "encoding": "GSM-7", "segments": 1,
         "status": "queued", "due_at": now, "created_at": now}
        for member_id, phone in members])
    db.session.commit()
    return [phone for _id, phone in members]


def env_for(database_url: str, fake: FakeTwilio, **settings) -> dict:
    """The environment of a `clubcrm` process on DATABASE_URL that sends to FAKE (no sending rate limit)."""
    env = {**os.environ, "CLUBCRM_DATABASE_URL": database_url, "CLUBCRM_SECRET_KEY": "fault-test",
           "CLUBCRM_TWILIO_MESSAGES_PER_SECOND": "1000"}
    for key, value in {**fake.config(), **settings}.items():
        env[f"CLUBCRM_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def dispatcher(env: dict, now: datetime, cwd, limit: int = 1000) -> subprocess.Popen:
    """`clubcrm sms dispatch --now NOW` in a process of its own (a hand run, or the worker's job)."""
    return subprocess.Popen(
        [sys.executable, "-m", "clubcrm.cli", "sms", "dispatch", "--now", now.isoformat(), "--limit", str(limit)],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def twice(fake: FakeTwilio) -> list[tuple[str, str]]:
    """The (to, body) pairs Twilio accepted more than once: texts a member got twice."""
    return [key for key, n in Counter((r.to, r.body) for r in fake.sent).items() if n > 1]
