"""Dispatch: send the outbox's due messages through Twilio, at most once each, in waking hours, within caps.

Each step commits on its own (this is a job, not a request): a claimed row is `sending` in the database
before Twilio is called, so a crash leaves it `sending`, and reconciliation flags it `unknown` for a person
to check instead of sending it again. Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
dispatchers never take one row; on SQLite the claim is one compare-and-set UPDATE (one writer at a time).
"""
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from clubcrm.extensions import db
from clubcrm.models import Club, Member, Message, Touchpoint
from clubcrm.models.member import can_text
from clubcrm.services import consent
from clubcrm.sms.client import SendError, Sent, TwilioSettings, send

log = logging.getLogger("clubcrm.sms")
# A row still `sending` this long after its claim was cut off by a crash.
RECONCILE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 8
# Messages claimed at a time: the most a crash can leave `sending` for reconciliation.
CHUNK = 25
# Quiet hours can be narrowed by a club, never widened beyond these.
EARLIEST_MINUTE, LATEST_MINUTE = 8 * 60, 21 * 60
OUT = ("sending", "sent", "delivered", "undelivered")


@dataclass
class Report:
    reconciled: int = 0        # rows left `sending` by a crash, settled by asking Twilio
    requeued: int = 0          # ...of which Twilio had no trace: safe to send
    deferred: int = 0
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    not_configured: bool = False

    def __str__(self) -> str:
        if self.not_configured:
            return f"SMS not configured: messages wait in the outbox (reconciled {self.reconciled})"
        return (f"sent {self.sent}, skipped {self.skipped}, retry later {self.retried}, failed {self.failed}, "
                f"unknown {self.unknown}, deferred to waking hours {self.deferred}, reconciled {self.reconciled} "
                f"(requeued {self.requeued})")


def window(club: Club) -> tuple[int, int]:
    """The club's sending window in local minutes, clamped to 08:00-21:00."""
    start = max(EARLIEST_MINUTE, min(club.quiet_end_minute, LATEST_MINUTE))
    end = min(LATEST_MINUTE, max(club.quiet_start_minute, EARLIEST_MINUTE))
    return start, max(start, end)


def next_allowed(club: Club, now: datetime) -> datetime:
    """NOW if it is inside the club's window, else the window's next opening minute (in UTC)."""
    tz = ZoneInfo(club.timezone)
    local = now.astimezone(tz)
    start, end = window(club)
    minute = local.hour * 60 + local.minute
    if start <= minute < end:
        return now
    day = local.date() if minute < start else local.date() + timedelta(days=1)
    opening = datetime(day.year, day.month, day.day, start // 60, start % 60, tzinfo=tz)
    return opening.astimezone(now.tzinfo)


def reconcile(now: datetime, client=None) -> tuple[int, int, int]:
    """Settle rows left `sending` by a crash by asking Twilio: found there → `sent` with its sid; no trace →
    `queued` again (Twilio never got it); no way to ask (no client, an error) → `unknown` for a person.
    Returns (settled, requeued, flagged)."""
    stale = db.session.execute(
        select(Message.id, Message.to_phone, Message.body)
        .where(Message.status == "sending", Message.claimed_at < now - RECONCILE_AFTER)
        .order_by(Message.id)
    ).all()
    settled = requeued = flagged = 0
    for message_id, to_phone, body in stale:
        try:
            sid = find_in_twilio(client, to_phone, body) if client is not None else False
        except Exception:   # Twilio unreachable or refusing: a person decides
            log.exception("could not reconcile message %s with Twilio", message_id)
            sid = False
        taken = sid and db.session.scalar(select(Message.id).where(Message.twilio_sid == sid)) is not None
        if sid is False or taken:
            values = {"status": "unknown",
                      "error_message": "Interrupted while sending: check Twilio's log before resending."}
            flagged += 1
        elif sid:
            values = {"status": "sent", "twilio_sid": sid, "sent_at": now}
            settled += 1
        else:
            values = {"status": "queued", "next_attempt_at": None}
            requeued += 1
        _set(message_id, **values)
    db.session.commit()
    return settled + requeued + flagged, requeued, flagged


def find_in_twilio(client, to_phone: str, body: str) -> str | None:
    """The sid of a message Twilio holds for TO_PHONE with BODY (its 50 newest), or None."""
    for found in client.messages.list(to=to_phone, limit=50):
        if found.body == body:
            return found.sid
    return None


# A skipped message's reason, as its touchpoint says it.
TOUCHPOINT_REASONS = {"opted_out": "no_consent", "day_cap": "sms_cap", "week_cap": "sms_cap"}


def touchpoint_became(touchpoint_id: int | None, status: str, skip_reason: str | None = None, via=None) -> None:
    """Carry a message's end to the touchpoint that planned it (sent, failed or skipped), for the card and
    the statistics; VIA is the session (default) or a connection."""
    if touchpoint_id is not None:
        (via or db.session).execute(update(Touchpoint).where(Touchpoint.id == touchpoint_id)
                                    .values(status=status, skip_reason=skip_reason)
                                    .execution_options(synchronize_session=False))


def _set(message_id: int, via=None, **values) -> None:
    """Update one message's columns through VIA (the session by default, or a connection)."""
    (via or db.session).execute(update(Message).where(Message.id == message_id).values(**values)
                                .execution_options(synchronize_session=False))


def defer_quiet_hours(now: datetime) -> int:
    """Move due messages of clubs now in their quiet hours to the next allowed minute (one UPDATE a club)."""
    moved = 0
    for club in db.session.scalars(select(Club)):
        opening = next_allowed(club, now)
        if opening != now:
            moved += db.session.execute(
                update(Message).where(Message.club_id == club.id, Message.status == "queued",
                                      Message.due_at < opening)
                .values(due_at=opening).execution_options(synchronize_session=False)
            ).rowcount
    db.session.commit()
    return moved


def claim(now: datetime, limit: int) -> list[Message]:
    """Take up to LIMIT due messages: mark them `sending` and commit before any is sent."""
    due = (
        select(Message.id)
        .where(Message.status == "queued", Message.due_at <= now,
               (Message.next_attempt_at.is_(None)) | (Message.next_attempt_at <= now))
        .order_by(Message.due_at, Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)   # PostgreSQL; SQLite has one writer and ignores it
    )
    ids = list(db.session.scalars(
        update(Message).where(Message.id.in_(due.scalar_subquery()), Message.status == "queued")
        .values(status="sending", claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id).execution_options(synchronize_session=False)
    ))
    db.session.commit()
    if not ids:
        return []
    return list(db.session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.due_at, Message.id)))


def screen(messages: list[Message], now: datetime) -> list["Outgoing"]:
    """Skip, at claim time, messages whose member has opted out since, or that would pass a cap."""
    members = {m.id: m for m in db.session.scalars(
        select(Member).where(Member.id.in_({msg.member_id for msg in messages})))}
    clubs = {c.id: c for c in db.session.scalars(select(Club).where(Club.id.in_({m.club_id for m in messages})))}
    earlier: dict[int, list[datetime]] = defaultdict(list)
    for member_id, claimed_at in db.session.execute(
        select(Message.member_id, Message.claimed_at)
        .where(Message.member_id.in_(members), Message.status.in_(OUT), Message.claimed_at >= now - timedelta(days=8),
               Message.id.not_in([m.id for m in messages]))
    ):
        earlier[member_id].append(claimed_at)
    going = []
    for message in messages:
        member, club = members[message.member_id], clubs[message.club_id]
        reason = None
        if not can_text(member):
            reason = "opted_out"
        else:
            tz = ZoneInfo(club.timezone)
            today = now.astimezone(tz).date()
            monday = today - timedelta(days=today.weekday())
            days = [instant.astimezone(tz).date() for instant in earlier[member.id]]
            if sum(1 for d in days if d == today) >= club.sms_day_cap:
                reason = "day_cap"
            elif sum(1 for d in days if d >= monday) >= club.sms_week_cap:
                reason = "week_cap"
        if reason:
            message.status, message.skip_reason = "skipped", reason
            touchpoint_became(message.touchpoint_id, "skipped", TOUCHPOINT_REASONS[reason])
        else:
            earlier[member.id].append(now)
            message.to_phone = member.phone   # the number the desk has now, if it changed since queueing
            going.append(Outgoing(message.id, message.member_id, message.touchpoint_id, member.phone,
                                  message.body, message.attempts))
    db.session.commit()
    return going


@dataclass(frozen=True)
class Outgoing:
    """What sending needs of a claimed message: plain values, so commits between sends reload nothing."""

    id: int
    member_id: int
    touchpoint_id: int | None
    to_phone: str
    body: str
    attempts: int


def dispatch(now: datetime, settings: TwilioSettings | None, client=None, limit: int = 200,
             per_second: float | None = None, status_callback: str | None = None) -> Report:
    """Send what is due at NOW; without Twilio settings messages wait in the outbox.

    Claims go in chunks of CHUNK: a crash leaves at most one chunk `sending`, and the next run asks Twilio
    which of those it has.
    """
    report = Report()
    report.reconciled, report.requeued, report.unknown = reconcile(now, client if settings else None)
    report.deferred = defer_quiet_hours(now)
    if settings is None:
        report.not_configured = True
        return report
    gap = 1.0 / per_second if per_second else 0.0
    last = 0.0
    # Each send's outcome is committed at once, in a short transaction on a connection of its own: the
    # ORM session's commit machinery cost more than the send itself (PostgreSQL, measured).
    with db.engine.connect() as connection:
        while report.claimed < limit:
            claimed = claim(now, min(CHUNK, limit - report.claimed))
            if not claimed:
                break
            report.claimed += len(claimed)
            going = screen(claimed, now)
            report.skipped += len(claimed) - len(going)
            for message in going:
                if gap:
                    wait = last + gap - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    last = time.monotonic()
                try:
                    sent: Sent = send(client, settings, message.to_phone, message.body, status_callback)
                except SendError as error:
                    with connection.begin():
                        settle_error(message, error, now, report, connection)
                else:
                    with connection.begin():
                        _set(message.id, connection, status="sent", twilio_sid=sent.sid, sent_at=now,
                             error_code=None, error_message=None)
                        touchpoint_became(message.touchpoint_id, "sent", via=connection)
                    report.sent += 1
    return report


def settle_error(message: "Outgoing", error: SendError, now: datetime, report: Report, via) -> None:
    """Record what a refused or failed send means for the message and its member (on the connection VIA)."""
    values: dict = {"error_code": error.code, "error_message": (error.message or "")[:300]}
    if error.kind in ("opted_out", "invalid_number"):
        values.update(status="failed", skip_reason=error.kind)
        column = Member.sms_opted_out_at if error.kind == "opted_out" else Member.phone_invalid_at
        changed = via.execute(update(Member).where(Member.id == message.member_id, column.is_(None))
                              .values({column: now}).returning(Member.club_id)).scalar()
        if changed is not None and error.kind == "opted_out":   # the carrier says they sent STOP
            consent.record(changed, message.member_id, False, "sms", now=now, via=via)
        report.failed += 1
    elif error.kind == "retry" and error.maybe_sent and error.http_status is None:
        # No answer came: Twilio may have accepted it. A person checks before it is sent again.
        values.update(status="unknown")
        report.unknown += 1
    elif error.kind == "retry" and message.attempts < MAX_ATTEMPTS:
        delay = error.retry_after or min(30 * 2 ** (message.attempts - 1), 3600)
        values.update(status="queued", next_attempt_at=now + timedelta(seconds=delay))
        report.retried += 1
    else:
        values.update(status="failed")
        report.failed += 1
    _set(message.id, via, **values)
    if values["status"] == "failed":
        touchpoint_became(message.touchpoint_id, "failed", via=via)
