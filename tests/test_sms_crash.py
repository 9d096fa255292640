"""Acceptance (issue 4): the dispatcher is killed with SIGKILL while sending 500 messages; after a restart the fake
Twilio has received each message at most once, and every message is either sent or flagged for reconciliation."""
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select

from clubcrm.extensions import db
from clubcrm.models import Member, Message
from tests.conftest import NOW
from tests.fake_twilio import FakeTwilio, slow

COUNT = 500
# The rows in flight when the process died (one at a time: dispatch sends one by one).
IN_FLIGHT = 2


def queue_many(club, count: int) -> None:
    """COUNT members with SMS consent and one due message each, in two set-based inserts."""
    db.session.execute(insert(Member), [
        {"club_id": club.id, "first_name": "Crash", "last_name": f"Test{n}", "phone": f"+3584099{n:05d}",
         "locale": "en", "sms_consent": True, "sms_consent_at": NOW, "created_at": NOW}
        for n in range(count)])
    members = db.session.execute(select(Member.id, Member.phone).where(Member.club_id == club.id)).all()
    db.session.execute(insert(Message), [
        {"club_id": club.id, "member_id": member_id, "idempotency_key": f"crash:{member_id}", "to_phone": phone,
         "body": f"Crash test message for {phone}", "locale": "en", "encoding": "GSM-7", "segments": 1,
         "status": "queued", "due_at": NOW, "created_at": NOW}
        for member_id, phone in members])
    db.session.commit()


def dispatcher(env: dict, now, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clubcrm.cli", "sms", "dispatch", "--now", now.isoformat(), "--limit", "1000"],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def env_for(database_url: str, fake: FakeTwilio) -> dict:
    # No sending rate limit: the fake's 10 ms per message paces the run.
    env = {**os.environ, "CLUBCRM_DATABASE_URL": database_url, "CLUBCRM_SECRET_KEY": "crash-test",
           "CLUBCRM_TWILIO_MESSAGES_PER_SECOND": "1000"}
    for key, value in fake.config().items():
        env[f"CLUBCRM_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def test_sigkill_while_sending_500_loses_nothing_and_sends_nothing_twice(make, database_url, tmp_path,
                                                                          fake_twilio):
    club = make.club(sms_day_cap=1000, sms_week_cap=1000)
    queue_many(club, COUNT)
    # Every message takes ~10 ms at "Twilio": the run lasts a few seconds, long enough to be killed midway.
    replies = [slow(0.01)] * COUNT
    fake_twilio.respond_next(*replies)
    env = env_for(database_url, fake_twilio)

    first = dispatcher(env, NOW, tmp_path)
    deadline = time.monotonic() + 60
    while len(fake_twilio.received) < 150 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert first.poll() is None, f"the dispatcher ended before it could be killed:\n{first.communicate()[0]}"
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    at_kill = len(fake_twilio.received)
    assert 100 <= at_kill <= 300, at_kill

    # The restart: late enough that the rows the crash left `sending` are past the reconcile delay.
    second = dispatcher(env, NOW + timedelta(minutes=11), tmp_path)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output

    received = fake_twilio.received
    twice = [key for key, n in Counter((r.to, r.body) for r in received).items() if n > 1]
    assert twice == [], f"received more than once: {twice[:5]}"

    db.session.rollback()
    rows = db.session.scalars(select(Message).where(Message.club_id == club.id)).all()
    assert len(rows) == COUNT
    statuses = Counter(row.status for row in rows)
    assert set(statuses) <= {"sent", "unknown"}, statuses
    assert statuses["sent"] + statuses["unknown"] == COUNT
    sids = {r.sid for r in received}
    assert all(row.twilio_sid in sids for row in rows if row.status == "sent")
    by_message = {(row.to_phone, row.body): row.status for row in rows}
    assert all(by_message[(r.to, r.body)] in ("sent", "unknown") for r in received)
    # Every message the fake never saw must still go out (sent by the restart), or be flagged for a person.
    assert statuses["sent"] == len({row.twilio_sid for row in rows if row.status == "sent"})
    # The restart asked Twilio about every row the crash left `sending`: none is left for a person.
    assert statuses["unknown"] <= IN_FLIGHT, statuses
