"""Leads from the club's website form: a person who is already known is found, not registered twice."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from clubcrm.clock import utcnow
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Staff
from clubcrm.phones import try_e164
from clubcrm.services import audit, consent, members


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
    if fields.get("name") and not fields.get("first_name"):
        fields["first_name"], fields["last_name"] = split_name(fields["name"])
        if max(len(fields["first_name"]), len(fields["last_name"])) > 80:
            raise InvalidInput("name", _l("A name can have at most 80 characters."))
    if not (fields.get("first_name") or "").strip():
        raise InvalidInput("name", _l("Enter a name."))
    wants_sms = bool(fields.pop("consent", False))
    if wants_sms and not (fields.get("phone") or "").strip():
        raise InvalidInput("consent", _l("SMS consent needs a phone number."))
    found = find_duplicate(club, fields.get("phone"), fields.get("email"))
    if found is not None:
        if wants_sms:
            _grant_consent(staff, club, found, fields["phone"])
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


def _grant_consent(staff: Staff | None, club: Club, member: Member, phone: str) -> None:
    """Record the SMS consent a known person gave in the form, when the phone typed is the member's own (an
    email match says nothing about whose phone it is). A STOP sent earlier still holds until START."""
    if member.sms_consent or member.phone is None or member.phone != try_e164(phone, club.country):
        return
    now = utcnow()
    member.sms_consent, member.sms_consent_at, member.sms_consent_source = True, now, "web_form"
    consent.record(club.id, member.id, True, "web_form", staff=staff, now=now)
    audit.record(staff, "update", "member", member.id, club_id=club.id, member_id=member.id,
                 before={"sms_consent": False}, after={"sms_consent": True})
