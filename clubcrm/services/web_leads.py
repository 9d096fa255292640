"""Leads from the club's website form: a person who is already known is found, not registered twice, and the SMS
consent ticked for a known member's phone waits for that phone's YES (nothing on a form proves whose phone it is)."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Staff
from clubcrm.phones import to_e164, try_e164
from clubcrm.services import lead_cycles, members
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


@dataclass(frozen=True)
class Registered:
    """What a web-form lead made: a new lead, or the known member it duplicates (duplicate), on whom a lost lead's
    new inquiry opened a new lead cycle (new_cycle)."""

    member: Member
    duplicate: bool = False
    new_cycle: bool = False


def register(staff: Staff | None, club: Club, data: dict) -> Registered:
    """Register a web-form lead with its source (DATA's `source`, web_form by default, `campaign`,
    `referrer_member_id`), or answer the member it duplicates; a lost lead asking again starts a new lead cycle."""
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
    origin = members.lead_source(club, fields, "web_form")   # refused alike, known person or not
    found = find_duplicate(club, fields.get("phone"), fields.get("email"))
    if found is not None:
        return _known(staff, club, found, origin, fields["phone"] if wants_sms else None)
    lead = {key: fields.get(key) for key in ("first_name", "last_name", "phone", "email", "interest", "locale")}
    source = {"source": origin.source, "campaign": origin.campaign, "referrer_member_id": fields.get(
        "referrer_member_id")}
    try:
        # A savepoint: the same form sent twice at once loses the race on (club, phone), and is a duplicate.
        with db.session.begin_nested():
            member = members.create_lead(staff, club, {**lead, **source, "sms_consent": wants_sms}, source="web_form")
    except IntegrityError:
        found = find_duplicate(club, fields.get("phone"), fields.get("email"))
        if found is None:
            raise
        return Registered(found, duplicate=True)
    return Registered(member)


def _known(staff: Staff | None, club: Club, found: Member, origin: lead_cycles.Source,
           consent_phone: str | None) -> Registered:
    """Answer a known person: ask their phone to confirm the SMS consent ticked (CONSENT_PHONE), and open a new
    lead cycle when they are a lost lead asking again."""
    if consent_phone is not None:
        _request_consent(staff, club, found, consent_phone)
    if not lead_cycles.can_reopen(found):
        return Registered(found, duplicate=True)
    try:
        lead_cycles.reopen(staff, found, origin)
    except Conflict:     # the same inquiry sent twice at once: the first opened the cycle
        return Registered(found, duplicate=True)
    return Registered(found, duplicate=True, new_cycle=True)


def _request_consent(staff: Staff | None, club: Club, member: Member, phone: str) -> None:
    """Ask the known member's phone to confirm the SMS consent ticked on the form, when the phone typed is the
    member's own (an email match says nothing about whose phone it is); one confirmation SMS per 48 hours."""
    if member.phone is None or member.phone != try_e164(phone, club.country):
        return
    confirmation.request(staff, member, "web_form", utcnow())
