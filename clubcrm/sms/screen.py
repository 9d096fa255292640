"""The outbox screen: what the club's SMS are doing, totals per day, and a manager's retry of a failed send."""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import Club, Message, Staff
from clubcrm.models.sms import MESSAGE_STATUSES
from clubcrm.paging import Page, page_of
from clubcrm.services import audit
from clubcrm.sms.dispatch import touchpoint_became

STATUS_WORDS = {
    "queued": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
    "delivered": _l("delivered"), "undelivered": _l("not delivered"), "failed": _l("failed"),
    "skipped": _l("not sent"), "unknown": _l("unknown: check Twilio"),
}
SKIP_WORDS = {
    "opted_out": _l("the member opted out of SMS"), "day_cap": _l("daily SMS limit reached"),
    "week_cap": _l("weekly SMS limit reached"), "invalid_number": _l("the number cannot take SMS"),
    "club_closed": _l("club closed"),
    "cancelled": _l("cancelled by staff"),
}
# Only these can be sent again: a failed send reached no one, an unknown one may have (a person decides).
RETRYABLE = ("failed", "unknown")


@dataclass
class DayTotals:
    day: date
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def status_words(message: Message) -> str:
    """Say a message's state in words, with why it was skipped or what went wrong."""
    words = str(STATUS_WORDS.get(message.status, message.status))
    if message.status == "skipped" and message.skip_reason:
        return f"{words}: {SKIP_WORDS.get(message.skip_reason, message.skip_reason)}"
    if message.error_code or message.error_message:
        detail = " ".join(str(part) for part in (message.error_code, message.error_message) if part)
        return f"{words}: {detail}"
    return words


def outbox_page(club: Club, status: str | None, number: int, size: int) -> Page[Message]:
    """Return page NUMBER of CLUB's messages, newest first, with their members (one COUNT, one query with
    LIMIT/OFFSET); STATUS narrows them, an unknown one is ignored."""
    query = (select(Message).options(joinedload(Message.member)).where(Message.club_id == club.id)
             # The id last: a unique order, so that no message is on two pages or on none.
             .order_by(Message.created_at.desc(), Message.id.desc()))
    if status in MESSAGE_STATUSES:
        query = query.where(Message.status == status)
    return page_of(query, number, size)


def totals_per_day(club: Club, days: int = 14, now: datetime | None = None) -> list[DayTotals]:
    """Count CLUB's messages per club-local day of creation and status, for the last DAYS days, newest first."""
    zone = ZoneInfo(club.timezone)
    today = (now or utcnow()).astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), tzinfo=zone)
    totals = {first + timedelta(days=n): DayTotals(first + timedelta(days=n)) for n in range(days)}
    # Grouped by instant in SQL (portable across engines); the local day is taken in Python over those groups.
    rows = db.session.execute(
        select(Message.created_at, Message.status, func.count())
        .where(Message.club_id == club.id, Message.created_at >= since)
        .group_by(Message.created_at, Message.status))
    for created_at, status, number in rows:
        local = created_at.astimezone(zone).date()
        if local in totals:
            totals[local].counts[status] += number
    return sorted(totals.values(), key=lambda t: t.day, reverse=True)


def retry(staff: Staff, club: Club, message_id: int, confirm: bool = False, now: datetime | None = None) -> Message:
    """Put a failed (or, confirmed, an unknown) message of CLUB back in the queue, due now."""
    message = db.session.get(Message, message_id)
    if message is None or message.club_id != club.id:
        raise NotFound("message_id", _l("No such message in this club."))
    if message.status not in RETRYABLE:
        raise Conflict("message_id", _l("Only a failed message, or one whose sending is unknown, can be sent again."))
    if message.status == "unknown" and not confirm:
        raise InvalidInput("confirm", _l("Twilio may already have sent this message: check its log, then tick "
                                         "the box to send it again."))
    before = {"status": message.status, "error_code": message.error_code, "error_message": message.error_message,
              "attempts": message.attempts}
    message.status = "queued"
    message.due_at = now or utcnow()
    message.next_attempt_at = None
    message.error_code = message.error_message = None
    # A person chose to try again: the send gets a fresh set of attempts.
    message.attempts = 0
    audit.record(staff, "retry_sms", "message", message.id, club_id=club.id, member_id=message.member_id,
                 before=before, after={"due_at": message.due_at})
    db.session.flush()
    return message



def cancel(staff: Staff, message_id: int, member_id: int, now: datetime | None = None) -> Message:
    """Cancel a message still waiting in the queue (staff wrote it by mistake, the member called meanwhile):
    it is not sent, its touchpoint says so, and the audit trail keeps who did it. A message the dispatcher has
    already taken (being sent, sent...) can no longer be cancelled. A message to another than MEMBER_ID (the card
    it was cancelled from) is not found."""
    message = db.session.get(Message, message_id)
    if message is None or message.member_id != member_id or not staff.sees_club(message.club_id):
        raise NotFound("message_id", _l("No such message in this club."))
    # Compare-and-set: the dispatcher claims queued messages with one UPDATE; of the two, one wins.
    changed = db.session.execute(
        update(Message).where(Message.id == message.id, Message.status == "queued")
        .values(status="skipped", skip_reason="cancelled", next_attempt_at=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(message)
    if changed != 1:
        raise Conflict("message_id", _l("This message is no longer waiting: it can no longer be cancelled."))
    touchpoint_became(message.touchpoint_id, "skipped", "cancelled")
    audit.record(staff, "cancel_sms", "message", message.id, club_id=message.club_id, member_id=message.member_id,
                 before={"status": "queued"}, after={"status": "skipped", "at": now or utcnow()})
    return message
