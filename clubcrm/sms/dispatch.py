"""Dispatch: send the outbox's due messages through Twilio, at most once each, in waking hours, within caps.

Each step commits on its own (this is a job, not a request). A message's way: claimed (`sending`, `claimed_at`
the claim's own time, attempts + 1), handed to Twilio (`sent_at` the hand-over's time, committed before the API
call), then settled (`sent` with its sid, `queued` for a retry, `failed`, `skipped` or `unknown`). Claims take
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two dispatchers never take one row; on SQLite the claim is one
compare-and-set UPDATE (one writer at a time).

Two dispatchers may still meet on one row: a slow one (Twilio answering slowly) and the next minute's job that
takes its old `sending` rows for a crash's leftovers. Every write after the claim is therefore a compare-and-set
on the claim as its writer saw it (status, attempts, claimed_at, sent_at): whoever moves the row first wins and
the other's UPDATE matches nothing. A row never handed to Twilio cannot have reached it and may be queued again;
one handed to Twilio is only ever settled by what Twilio says it holds, or flagged `unknown` for a person.

A text with a member link is stored with its token masked (clubcrm/services/member_links.py). Its token is made
when it is handed to Twilio, in the hand-over's own transaction (so a text Twilio may hold always has its token's
hash stored), and goes into the text Twilio gets and nowhere else: not into the row, not into a log line (they
name the message). A retry makes a new token, which replaces the last one; Twilio's copy of a text is compared
with the row's with its token masked again.
"""
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache, partial
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, case, func, select, update
from twilio.base.exceptions import TwilioRestException

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Message, Touchpoint
from clubcrm.models.sms import may_receive
from clubcrm.services import consent, member_links
from clubcrm.services.club_closing import REASON as CLUB_CLOSED, is_closed
from clubcrm.sms.client import SendError, Sent, TwilioSettings, send
from clubcrm.sms.club_sender import own_sender, with_sender

log = logging.getLogger("clubcrm.sms")
# A row still `sending` this long after its claim (or its hand-over to Twilio) was cut off by a crash; the
# compare-and-sets keep a live but slower dispatcher's rows safe all the same.
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
    taken_back: int = 0        # claims a reconciler took back before this run handed them to Twilio: not sent
    not_configured: bool = False

    def __str__(self) -> str:
        if self.not_configured:
            return f"SMS not configured: messages wait in the outbox (reconciled {self.reconciled})"
        return (f"sent {self.sent}, skipped {self.skipped}, retry later {self.retried}, failed {self.failed}, "
                f"unknown {self.unknown}, deferred to waking hours {self.deferred}, reconciled {self.reconciled} "
                f"(requeued {self.requeued})" + (f", taken back {self.taken_back}" if self.taken_back else ""))


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


# What the reconciler knows when Twilio could not be asked.
UNASKED = object()


def reconcile(now: datetime, client=None) -> tuple[int, int, int]:
    """Settle rows left `sending` RECONCILE_AFTER ago (their dispatcher crashed, or is very slow) by asking Twilio.

    Twilio holds it → `sent` with that sid. No trace of a row never handed to Twilio → `queued` again (it cannot
    have reached Twilio). No trace of a row handed to Twilio, or no way to ask → `unknown` for a person. Each
    change is a compare-and-set on the claim as it was read: a row its dispatcher moved meanwhile (handed over,
    settled, sent) is left as it is, so reconciliation never rewrites a `sent` row nor requeues one in flight.
    Returns (settled, requeued, flagged)."""
    cutoff = now - RECONCILE_AFTER
    # The latest of hand-over and claim: a retry keeps the sent_at of an earlier attempt (it may have reached
    # Twilio), and must not look stale the moment it is claimed again.
    since = case((Message.sent_at > Message.claimed_at, Message.sent_at), else_=func.coalesce(Message.claimed_at,
                                                                                              Message.sent_at))
    stale = db.session.execute(
        select(Message.id, Message.to_phone, Message.body, Message.attempts, Message.claimed_at, Message.sent_at,
               Message.twilio_sid, Message.touchpoint_id)
        .where(Message.status == "sending", (since < cutoff) | since.is_(None))
        .order_by(Message.id)
    ).all()
    db.session.commit()   # no transaction stays open while Twilio answers
    settled = requeued = flagged = 0
    for row in stale:
        try:
            sid = twilio_holds(client, row) if client is not None else UNASKED
        except Exception:   # Twilio unreachable or refusing: a person decides
            log.exception("could not reconcile message %s with Twilio", row.id)
            sid = UNASKED
        handed = row.sent_at is not None or row.twilio_sid is not None
        if sid is UNASKED or (sid is None and handed):
            values = {"status": "unknown",
                      "error_message": "Interrupted while sending: check Twilio's log before resending."}
        elif sid:
            values = {"status": "sent", "twilio_sid": sid, "sent_at": row.sent_at or now}
        else:
            values = {"status": "queued", "next_attempt_at": None}
        changed = db.session.execute(
            update(Message).where(*fence(row.id, row.attempts, row.claimed_at, row.sent_at)).values(**values)
            .execution_options(synchronize_session=False)).rowcount
        if changed and values["status"] == "sent":
            touchpoint_became(row.touchpoint_id, "sent")
        db.session.commit()
        if changed:
            settled += values["status"] == "sent"
            requeued += values["status"] == "queued"
            flagged += values["status"] == "unknown"
    return settled + requeued + flagged, requeued, flagged


def twilio_holds(client, message) -> str | None:
    """The sid of MESSAGE (a row or an Outgoing) if Twilio holds it, else None.

    A row with a sid is fetched by it. Otherwise Twilio's 50 newest messages to the number are searched for the
    body; a match whose sid another row holds is that row's message (the same text sent before), not this one."""
    known = getattr(message, "twilio_sid", None)
    if known:
        try:
            return client.messages(known).fetch().sid
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise
    matches = [found.sid for found in client.messages.list(to=message.to_phone, limit=50)
               if as_stored(found.body, message.body) == message.body]
    if not matches:
        return None
    others = set(db.session.scalars(select(Message.twilio_sid).where(Message.twilio_sid.in_(matches),
                                                                       Message.id != message.id)))
    db.session.commit()
    return next((sid for sid in matches if sid not in others), None)


def as_stored(sent: str | None, stored: str) -> str | None:
    """SENT (a text as Twilio holds it) as the outbox stores it: its member link's token masked when the stored
    text STORED has a masked link."""
    if sent is None or not member_links.has_link(stored):
        return sent
    return member_links.mask(sent)


def fence(message_id: int, attempts: int, claimed_at: datetime | None, sent_at: datetime | None,
          statuses: tuple[str, ...] = ("sending",)) -> tuple:
    """The conditions that hold while a claim is as its holder saw it: the compare of every compare-and-set.

    attempts grows with each claim and claimed_at is the claim's own time; sent_at is set when the row is handed
    to Twilio. Whoever changes the row first wins; the other's UPDATE matches nothing."""
    return (Message.id == message_id, Message.status.in_(statuses), Message.attempts == attempts,
            _same(Message.claimed_at, claimed_at), _same(Message.sent_at, sent_at))


def _same(column, value):
    return column.is_(None) if value is None else column == value


@lru_cache(maxsize=None)
def fenced_update(statuses: tuple[str, ...], handed: bool, columns: tuple[str, ...], same_body: bool = False):
    """fence()'s compare-and-set as one prepared UPDATE per shape, with bound values: the dispatcher's writes per
    message (building and caching a statement for each cost as much as the send itself, profiled). Its
    parameters: Outgoing.fence_params(), f_body if SAME_BODY, and v_<column> for each of COLUMNS."""
    t = Message.__table__
    where = [t.c.id == bindparam("f_id"), t.c.status.in_(statuses), t.c.attempts == bindparam("f_attempts"),
             t.c.claimed_at == bindparam("f_claimed_at"),
             t.c.sent_at == bindparam("f_sent_at") if handed else t.c.sent_at.is_(None)]
    if same_body:
        where.append(t.c.body == bindparam("f_body"))
    return update(t).where(*where).values({c: bindparam(f"v_{c}", type_=t.c[c].type) for c in columns})


_TOUCHPOINT_STATUS = (update(Touchpoint.__table__).where(Touchpoint.__table__.c.id == bindparam("t_id"))
                      .values(status=bindparam("v_status"), skip_reason=bindparam("v_skip_reason")))


# A skipped message's reason, as its touchpoint says it.
TOUCHPOINT_REASONS = {"opted_out": "no_consent", "day_cap": "sms_cap", "week_cap": "sms_cap",
                      CLUB_CLOSED: CLUB_CLOSED}


def touchpoint_became(touchpoint_id: int | None, status: str, skip_reason: str | None = None, via=None) -> None:
    """Carry a message's end to the touchpoint that planned it (sent, failed or skipped), for the card and
    the statistics; VIA is the session (default) or a connection."""
    if touchpoint_id is not None:
        (via or db.session).execute(_TOUCHPOINT_STATUS,
                                    {"t_id": touchpoint_id, "v_status": status, "v_skip_reason": skip_reason})


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


@dataclass(frozen=True)
class Claim:
    """A message this dispatcher claimed, with the claim's values that its later compare-and-sets check."""

    id: int
    member_id: int
    club_id: int
    touchpoint_id: int | None
    body: str
    attempts: int
    claimed_at: datetime
    # Tells a consent confirmation (which may go to a member who has not agreed yet) from other messages.
    idempotency_key: str
    # Set when an earlier attempt was handed to Twilio and may have reached it (a 5xx, a retried unknown).
    sent_at: datetime | None


def claim(now: datetime, limit: int, at: datetime | None = None) -> list[Claim]:
    """Take up to LIMIT messages due at NOW: mark them `sending`, stamped AT (the claim's own time, by default
    the clock's), and commit before any is sent. sent_at is kept: an earlier attempt may have reached Twilio."""
    at = at or utcnow()
    due = (
        select(Message.id)
        .where(Message.status == "queued", Message.due_at <= now,
               (Message.next_attempt_at.is_(None)) | (Message.next_attempt_at <= now))
        .order_by(Message.due_at, Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)   # PostgreSQL; SQLite has one writer and ignores it
    )
    rows = db.session.execute(
        update(Message).where(Message.id.in_(due.scalar_subquery()), Message.status == "queued")
        .values(status="sending", claimed_at=at, attempts=Message.attempts + 1)
        .returning(Message.due_at, Message.id, Message.member_id, Message.club_id, Message.touchpoint_id,
                   Message.body, Message.attempts, Message.claimed_at, Message.idempotency_key, Message.sent_at)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return [Claim(*row[1:]) for row in sorted(rows, key=lambda row: row[:2])]


def screen(claims: list[Claim], now: datetime) -> list["Outgoing"]:
    """Skip, at claim time, messages whose club has closed or whose member has opted out since, or that would
    pass a cap."""
    if not claims:
        return []
    members = {m.id: m for m in db.session.scalars(
        select(Member).where(Member.id.in_({c.member_id for c in claims})))}
    clubs = {c.id: c for c in db.session.scalars(select(Club).where(Club.id.in_({c.club_id for c in claims})))}
    earlier: dict[int, list[datetime]] = defaultdict(list)
    for member_id, claimed_at in db.session.execute(
        select(Message.member_id, Message.claimed_at)
        .where(Message.member_id.in_(members), Message.status.in_(OUT), Message.claimed_at >= now - timedelta(days=8),
               Message.id.not_in([c.id for c in claims]))
    ):
        earlier[member_id].append(claimed_at)
    going = []
    for message in claims:
        member, club = members[message.member_id], clubs[message.club_id]
        reason = None
        if is_closed(club, now.astimezone(ZoneInfo(club.timezone)).date()):
            reason = CLUB_CLOSED
        elif not may_receive(member, message):
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
            skipped = db.session.execute(
                update(Message).where(*fence(message.id, message.attempts, message.claimed_at, message.sent_at))
                .values(status="skipped", skip_reason=reason).execution_options(synchronize_session=False))
            if skipped.rowcount:
                touchpoint_became(message.touchpoint_id, "skipped", TOUCHPOINT_REASONS[reason])
        else:
            earlier[member.id].append(now)
            # The number the desk has now, if it changed since queueing (written when it is handed over).
            going.append(Outgoing(message.id, message.member_id, message.touchpoint_id, member.phone,
                                  message.body, message.attempts, message.claimed_at, message.sent_at,
                                  own_sender(club), message.club_id))
    db.session.commit()
    return going


@dataclass(frozen=True)
class Outgoing:
    """What sending needs of a claimed message: plain values, so commits between sends reload nothing; the claim's
    values (attempts, claimed_at, and sent_at: the hand-over's time once handed to Twilio) fence every write."""

    id: int
    member_id: int
    touchpoint_id: int | None
    to_phone: str
    body: str
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None
    # The club's own SMS sender, if it has one (else the installation's).
    sender: str | None = None
    club_id: int | None = None

    def fence(self, statuses: tuple[str, ...] = ("sending",)) -> tuple:
        return fence(self.id, self.attempts, self.claimed_at, self.sent_at, statuses)

    def fence_params(self) -> dict:
        """fenced_update()'s f_ parameters for this claim (its shape: handed=self.sent_at is not None)."""
        return {"f_id": self.id, "f_attempts": self.attempts, "f_claimed_at": self.claimed_at,
                "f_sent_at": self.sent_at}


def hand_over(message: Outgoing, at: datetime, via) -> Outgoing | None:
    """Record on the connection VIA that MESSAGE goes to Twilio now (the caller commits it before the call),
    unless its claim was taken back meanwhile (a reconciler judged this dispatcher dead) or its text was scrubbed
    (the member was erased): then None, and it is not sent."""
    handed = via.execute(fenced_update(("sending",), message.sent_at is not None, ("sent_at", "to_phone"), True),
                         message.fence_params() | {"f_body": message.body, "v_sent_at": at,
                                                   "v_to_phone": message.to_phone}).rowcount
    return replace(message, sent_at=at) if handed else None


def dispatch(now: datetime, settings: TwilioSettings | None, client=None, limit: int = 200,
             per_second: float | None = None, status_callback: str | None = None) -> Report:
    """Send what is due at NOW; without Twilio settings messages wait in the outbox.

    Claims go in chunks of CHUNK: a crash leaves at most one chunk `sending`, and the next run asks Twilio
    which of those it has. Each claim and hand-over is stamped with its own time on this run's clock (NOW plus
    the time elapsed since the run began), not with NOW: a long run's rows do not look stale to the next run.
    """
    started = utcnow()

    def instant() -> datetime:
        return now + (utcnow() - started)

    report = Report()
    report.reconciled, report.requeued, report.unknown = reconcile(now, client if settings else None)
    report.deferred = defer_quiet_hours(now)
    if settings is None:
        report.not_configured = True
        return report
    gap = 1.0 / per_second if per_second else 0.0
    last = 0.0
    # Each send's outcome is committed in a short transaction on a connection of its own (the ORM session's
    # commit machinery cost more than the send itself, PostgreSQL, measured), together with the next message's
    # hand-over: one commit a message. A crash in between leaves the row handed over, and Twilio is asked.
    outcome: Callable[[Connection], None] | None = None
    with db.engine.connect() as connection:
        try:
            while report.claimed < limit:
                if outcome is not None:   # the last send's outcome before the next claim: its status callback comes
                    with connection.begin():
                        outcome(connection)
                    outcome = None
                at = instant()
                claimed = claim(now, min(CHUNK, limit - report.claimed), at)
                if not claimed:
                    break
                report.claimed += len(claimed)
                going = screen(claimed, at)
                report.skipped += len(claimed) - len(going)
                for message in going:
                    # The previous send's outcome is committed before any wait: Twilio's status callback for it
                    # may come within a second, and must find its sid. Without a wait it shares the hand-over's
                    # commit (one commit a message).
                    if gap:
                        if outcome is not None:
                            with connection.begin():
                                outcome(connection)
                            outcome = None
                        wait = last + gap - time.monotonic()
                        if wait > 0:
                            time.sleep(wait)
                        last = time.monotonic()
                    token = None
                    with connection.begin():
                        if outcome is not None:
                            outcome(connection)
                            outcome = None
                        handed = hand_over(message, instant(), connection)
                        if handed is not None and message.sent_at is None and member_links.has_link(handed.body):
                            token = member_links.mint(handed, handed.sent_at, via=connection)
                    if handed is None:
                        report.taken_back += 1
                        continue
                    if message.sent_at is not None:
                        # An earlier attempt may have reached Twilio: its token stays if Twilio has it.
                        if already_there(handed, client, connection, report):
                            continue
                        if member_links.has_link(handed.body):
                            with connection.begin():
                                token = member_links.mint(handed, handed.sent_at, via=connection)
                    body = member_links.unmask(handed.body, token) if token else handed.body
                    try:
                        sent: Sent = send(client, with_sender(settings, handed.sender), handed.to_phone, body,
                                           status_callback)
                    except SendError as error:
                        outcome = partial(settle_error, handed, error, now, report)
                    else:
                        outcome = partial(record_sent, handed, sent.sid)
                        report.sent += 1
        finally:
            if outcome is not None:
                with connection.begin():
                    outcome(connection)
    return report


def already_there(message: Outgoing, client, via, report: Report) -> bool:
    """Whether Twilio already holds MESSAGE, whose earlier attempt may have reached it: then it is recorded sent
    (or flagged `unknown` when Twilio cannot be asked) instead of being sent again."""
    try:
        sid = twilio_holds(client, message)
    except Exception:
        log.exception("could not ask Twilio about message %s before sending it again", message.id)
        with via.begin():
            via.execute(update(Message).where(*message.fence()).values(
                status="unknown", error_message="An earlier attempt may have been sent: check Twilio's log."))
        report.unknown += 1
        return True
    if sid is None:
        return False
    with via.begin():
        record_sent(message, sid, via)
    report.reconciled += 1
    return True


def record_sent(message: Outgoing, sid: str, via) -> None:
    """Mark MESSAGE sent with Twilio's SID, also over `unknown` (a reconciler that could not find it yet), unless
    its claim was settled otherwise meanwhile."""
    recorded = via.execute(
        fenced_update(("sending", "unknown"), message.sent_at is not None,
                      ("status", "twilio_sid", "error_code", "error_message")),
        message.fence_params() | {"v_status": "sent", "v_twilio_sid": sid, "v_error_code": None,
                                  "v_error_message": None}).rowcount
    if recorded:
        touchpoint_became(message.touchpoint_id, "sent", via=via)


def settle_error(message: Outgoing, error: SendError, now: datetime, report: Report, via) -> None:
    """Record what a refused or failed send means for the message and its member (on the connection VIA), unless
    its claim was settled otherwise meanwhile. A message that may have reached Twilio keeps sent_at: its next
    attempt asks Twilio first."""
    values: dict = {"error_code": error.code, "error_message": (error.message or "")[:300],
                    "sent_at": message.sent_at if error.maybe_sent else None}
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
    elif error.maybe_sent:
        values.update(status="unknown")   # out of attempts, and the last one may have been sent
        report.unknown += 1
    else:
        values.update(status="failed")
        report.failed += 1
    settled = via.execute(update(Message).where(*message.fence(("sending", "unknown"))).values(**values)).rowcount
    if settled and values["status"] == "failed":
        touchpoint_became(message.touchpoint_id, "failed", via=via)
