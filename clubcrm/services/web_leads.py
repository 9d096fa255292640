"""Leads from the club's website form: a person who is already known is found, not registered twice, and the SMS
consent ticked for a known member's phone waits for that phone's YES (nothing on a form proves whose phone it is)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from clubcrm.clock import utcnow
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Staff
from clubcrm.phones import to_e164, try_e164
from clubcrm.services import members
from clubcrm.sms import confirmation


def split_name(name: str) -> tuple[str, str]:
    """Split a one-field name into first and last name: the last word is the last name."""
    words = " ".join((name or "").split())
    first, _, last = words.rpartition(" ")
    return (first, last) if first else (last, "")


def find_duplicate(club: Club, phone: str | None, email: str | None) -> Member | None:
    """Return the club's member with this phone number (in any common format) or email, if any."""
    e164 = try_e164(phone, club.country) if phone else None
    email = (email or "").strip().lower() or None
    conditions = [column == value for column, value in ((Member.phone, e164), (Member.email, email)) if value]
    if not conditions:
        return None
    return db.session.scalar(
        select(Member).where(Member.club_id == club.id, Member.erased_at.is_(None), or_(*conditions))
        .order_by(Member.id).limit(1)
    )


def register(staff: Staff | None, club: Club, data: dict) -> tuple[Member, bool]:
    """Register a web-form lead, or return the member it duplicates; the flag says which (True: duplicate)."""
    fields = dict(data)
    if fields.get("name") and not (fields.get("first_name") or "").strip():
        fields["first_name"], fields["last_name"] = split_name(fields["name"])
        if max(len(fields["first_name"]), len(fields["last_name"])) > 80:
            raise InvalidInput("name", _l("A name can have at most 80 characters."))
    if not (fields.get("first_name") or "").strip():
        raise InvalidInput("name", _l("Enter a name."))
    wants_sms = bool(fields.pop("consent", False))
    if wants_sms and not (fields.get("phone") or "").strip():
        raise InvalidInput("consent", _l("SMS consent needs a phone number."))
    if (fields.get("phone") or "").strip():
        to_e164(fields["phone"], club.country)   # a number that is not valid is refused, known person or not
    found = find_duplicate(club, fields.get("phone"), fields.get("email"))
    if found is not None:
        if wants_sms:
            _request_consent(staff, club, found, fields["phone"])
        return found, True
    lead = {key: fields.get(key) for key in ("first_name", "last_name", "phone", "email", "interest", "locale")}
    try:
        # A savepoint: the same form sent twice at once loses the race on (club, phone), and is a duplicate.
        with db.session.begin_nested():
            member = members.create_lead(staff, club, {**lead, "sms_consent": wants_sms}, source="web_form")
    except IntegrityError:
        found = find_duplicate(club, fields.get("phone"), fields.get("email"))
        if found is None:
            raise
        return found, True
    return member, False


def _request_consent(staff: Staff | None, club: Club, member: Member, phone: str) -> None:
    """Ask the known member's phone to confirm the SMS consent ticked on the form, when the phone typed is the
    member's own (an email match says nothing about whose phone it is); one confirmation SMS per 48 hours."""
    if member.phone is None or member.phone != try_e164(phone, club.country):
        return
    confirmation.request(staff, member, "web_form", utcnow())
