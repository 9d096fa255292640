"""Settings → Clubs for owners: every club of the chain at a glance, and one club's details, SMS hours, caps
and sender changed."""
from dataclasses import dataclass
from datetime import time

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Staff
from clubcrm.services import audit, clubs
from clubcrm.services.settings import whole
from clubcrm.sms.client import MESSAGING_SERVICE_SID
from clubcrm.sms.dispatch import EARLIEST_MINUTE, LATEST_MINUTE
from clubcrm.phones import to_e164

# What the owner's edit form changes, beside the details every club form shares.
SMS_FIELDS = ("quiet_end_minute", "quiet_start_minute", "sms_day_cap", "sms_week_cap", "sms_from",
              "sms_messaging_service_sid")


@dataclass(frozen=True)
class ClubRow:
    club: Club
    members: int


def listing() -> list[ClubRow]:
    """Return every club with its count of members (leads included, erased ones not), by name."""
    counts = dict(db.session.execute(
        select(Member.club_id, func.count()).where(Member.erased_at.is_(None)).group_by(Member.club_id)).all())
    return [ClubRow(club, counts.get(club.id, 0))
            for club in db.session.scalars(select(Club).order_by(Club.name, Club.id))]


def _minute(value, field: str) -> int:
    if not isinstance(value, time):
        raise InvalidInput(field, _l("Enter a time such as 09:00."))
    minute = value.hour * 60 + value.minute
    if not EARLIEST_MINUTE <= minute <= LATEST_MINUTE:
        raise InvalidInput(field, _l("SMS may go out between 08:00 and 21:00 only."))
    return minute


def _sender(data: dict, country: str) -> tuple[str | None, str | None]:
    number = (data.get("sms_from") or "").strip() if isinstance(data.get("sms_from"), str) else ""
    service = (data.get("sms_messaging_service_sid") or "").strip() \
        if isinstance(data.get("sms_messaging_service_sid"), str) else ""
    if number:
        try:
            number = to_e164(number, country)
        except InvalidInput as error:
            raise InvalidInput("sms_from", error.message) from None
    if service and not MESSAGING_SERVICE_SID.fullmatch(service):
        raise InvalidInput("sms_messaging_service_sid",
                           _l("A messaging service SID is MG and 32 hexadecimal digits."))
    return number or None, service or None


def checked_sms(data: dict, country: str) -> dict:
    """Return the club's SMS hours, caps and sender from DATA, or refuse the first bad one naming its field."""
    start = _minute(data.get("sms_window_start"), "sms_window_start")
    end = _minute(data.get("sms_window_end"), "sms_window_end")
    if end <= start:
        raise InvalidInput("sms_window_end", _l("The end must be after the start."))
    day_cap = whole(data.get("sms_day_cap"), "sms_day_cap", 1, 10)
    week_cap = whole(data.get("sms_week_cap"), "sms_week_cap", 1, 50)
    if week_cap < day_cap:
        raise InvalidInput("sms_week_cap", _l("The weekly limit cannot be below the daily one."))
    number, service = _sender(data, country)
    return {"quiet_end_minute": start, "quiet_start_minute": end, "sms_day_cap": day_cap,
            "sms_week_cap": week_cap, "sms_from": number, "sms_messaging_service_sid": service}


def update(actor: Staff, club: Club, data: dict) -> Club:
    """Change a club's details, SMS hours, caps and own SMS sender; audited with before and after."""
    details = clubs.checked_details(data)
    values = {**details, **checked_sms(data, details["country"])}
    before = {key: getattr(club, key) for key in values}
    for key, value in values.items():
        setattr(club, key, value)
    db.session.flush()
    changed = {key for key in values if before[key] != values[key]}
    if changed:
        audit.record(actor, "update", "club", club.id, club_id=club.id,
                     before={key: before[key] for key in sorted(changed)},
                     after={key: values[key] for key in sorted(changed)})
    return club


def window_times(club: Club) -> dict:
    """The club's SMS window as times, for the edit form."""
    return {"sms_window_start": time(club.quiet_end_minute // 60, club.quiet_end_minute % 60),
            "sms_window_end": time(club.quiet_start_minute // 60, club.quiet_start_minute % 60)}
