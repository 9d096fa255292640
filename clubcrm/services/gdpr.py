"""GDPR: a member's data as one JSON document, and erasure of their personal data that keeps the anonymous
rows (memberships, visits, contacts, messages' states) so that counts and reports stay true."""
import base64
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, select, update

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput, NotAllowed, NotFound
from clubcrm.extensions import db
from clubcrm.models import (
    MemberLink, MemberPageEvent, MemberPhoto,
    AuditEvent, Booking, ClubSession, ConsentEvent, Freeze, LeadCycle, LedgerEntry, Member, Membership, Message,
    Package, Rule, Service, Staff, StaffContact, Tool, Touchpoint, Visit, Assignment,
)
from clubcrm.services import audit, consent, member_links, photos, sessions
from clubcrm.sms.dispatch import touchpoint_became

# What a person types to confirm an erasure (or the member's full name).
CONFIRM_WORD = "ERASE"
# The placeholder name of an erased member: a fixed word and the row id, nothing about the person.
ERASED_FIRST_NAME = "Erased"
# Keys of audit values that hold what a person typed or who the member is; dropped from erased members' events.
PERSONAL_KEYS = frozenset({"first_name", "last_name", "name", "phone", "to_phone", "email", "card_code",
                           "birth_date", "notes", "note", "body", "interest", "reason", "reply"})
# Ledger reasons the code writes itself (a sale, a gift, a plan's bonus); any other was typed by staff.
SYSTEM_REASONS = ("sale", "gift")
# Messages not yet with Twilio and not claimed by the dispatcher ('sending' is its own): never sent to an
# erased member.
UNSENT = ("queued",)


def _check(staff: Staff, member: Member) -> None:
    if not staff.sees_club(member.club_id):
        raise NotFound("member_id", _l("No such member."))
    if not staff.has_role("manager"):
        raise NotAllowed("member_id", _l("Only a manager can do this."))


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, *skip: str) -> dict:
    """Every column of OBJ as JSON-able values."""
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


def export(staff: Staff, member: Member) -> dict:
    """Gather everything stored about MEMBER as a JSON-able document, and audit that it was taken."""
    _check(staff, member)
    ids = [member.id]
    names = dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.club_id.is_(None)
                                                                         | (Staff.club_id == member.club_id))).all())
    memberships = list(db.session.scalars(select(Membership).where(Membership.member_id == member.id)
                                          .order_by(Membership.starts_on, Membership.id)))
    freezes = {}
    for freeze in db.session.scalars(select(Freeze).join(Membership).where(Membership.member_id == member.id)
                                     .order_by(Freeze.starts_on, Freeze.id)):
        freezes.setdefault(freeze.membership_id, []).append(_row(freeze))
    plans = {m.id: m.plan.name for m in memberships}
    packages = []
    for package, service_name in db.session.execute(
            select(Package, Service.name).join(Service, Service.id == Package.service_id)
            .where(Package.member_id == member.id).order_by(Package.id)):
        ledger = db.session.scalars(select(LedgerEntry).where(LedgerEntry.package_id == package.id)
                                    .order_by(LedgerEntry.created_at, LedgerEntry.id))
        packages.append({**_row(package), "service": service_name, "ledger": [_row(e) for e in ledger]})
    bookings = [
        {**_row(booking), "session": {"title": title, "kind": kind, "starts_at": _plain(starts_at)}}
        for booking, title, kind, starts_at in db.session.execute(
            select(Booking, ClubSession.title, ClubSession.kind, ClubSession.starts_at)
            .join(ClubSession, ClubSession.id == Booking.session_id)
            .where(Booking.member_id == member.id).order_by(ClubSession.starts_at, Booking.id))
    ]
    touchpoints = [
        {**_row(point), "tool": tool_key, "rule": rule_key}
        for point, tool_key, rule_key in db.session.execute(
            select(Touchpoint, Tool.key, Rule.key).join(Tool, Tool.id == Touchpoint.tool_id)
            .join(Rule, Rule.id == Touchpoint.rule_id)
            .where(Touchpoint.member_id == member.id).order_by(Touchpoint.due_on, Touchpoint.id))
    ]

    def rows(model, order):
        return [_row(r) for r in db.session.scalars(select(model).where(model.member_id.in_(ids)).order_by(*order))]

    document = {
        "format": "clubcrm-member-export/1",
        "exported_at": _plain(utcnow()),
        "club": {"id": member.club.id, "name": member.club.name},
        "member": _row(member),
        "consent_events": [{**r, "staff": names.get(r["staff_id"])} for r in
                           rows(ConsentEvent, (ConsentEvent.created_at, ConsentEvent.id))],
        "memberships": [{**_row(m), "plan": plans[m.id], "freezes": freezes.get(m.id, [])} for m in memberships],
        "visits": rows(Visit, (Visit.checked_in_at, Visit.id)),
        "packages": packages,
        "bookings": bookings,
        "touchpoints": touchpoints,
        # Their times as a lead: source, campaign, referrer, how each ended.
        "lead_cycles": rows(LeadCycle, (LeadCycle.started_at, LeadCycle.id)),
        # The measurement draws: which tools (and whether the whole programme) held the member's cycles out.
        "assignments": rows(Assignment, (Assignment.first_on, Assignment.id)),
        "messages": rows(Message, (Message.created_at, Message.id)),
        # Their page's links (when made and until when; the token is nowhere, its hash is no data about them) and
        # what they did there.
        "member_links": [{k: v for k, v in r.items() if k != "token_hash"}
                         for r in rows(MemberLink, (MemberLink.created_at, MemberLink.id))],
        "member_page_events": rows(MemberPageEvent, (MemberPageEvent.created_at, MemberPageEvent.id)),
        "staff_contacts": [{**r, "staff": names.get(r["staff_id"])} for r in
                           rows(StaffContact, (StaffContact.created_at, StaffContact.id))],
        "audit_events": [{**r, "staff": names.get(r["staff_id"])} for r in
                         rows(AuditEvent, (AuditEvent.created_at, AuditEvent.id))],
        "photo": _photo(member.id),
    }
    # Recorded after gathering, so the document does not list its own export; no personal data in the event.
    audit.record(staff, "gdpr_export", "member", member.id, club_id=member.club_id, member_id=member.id)
    db.session.flush()
    return document


def _photo(member_id: int) -> dict | None:
    """The member's photo as the export carries it (the JPEG in base64), or None."""
    photo = db.session.get(MemberPhoto, member_id)
    if photo is None:
        return None
    return {"content_type": photo.content_type, "width": photo.width, "height": photo.height,
            "updated_at": _plain(photo.updated_at), "base64": base64.b64encode(photo.image).decode("ascii")}


def _confirmed(member: Member, confirmation: str | None) -> bool:
    typed = " ".join((confirmation or "").split())
    return bool(typed) and (typed == CONFIRM_WORD or typed.casefold() == member.full_name.casefold())


def _scrub(values: dict | None, needles: list[str]) -> dict | None:
    """An audit event's values without personal keys, and any other text that mentions the person blanked."""
    if not values:
        return values
    out = {}
    for key, value in values.items():
        if key in PERSONAL_KEYS:
            out[key] = None
        elif isinstance(value, str) and any(n in value.casefold() for n in needles):
            out[key] = None
        else:
            out[key] = value
    return out


def _needles(member: Member) -> list[str]:
    """The member's personal values as they may appear inside other text, case-folded."""
    values = [member.first_name, member.last_name, member.full_name, member.phone, member.email, member.card_code]
    if member.phone and member.phone.startswith("+"):
        values.append(member.phone[1:])
    return [v.casefold() for v in values if v and len(v) >= 3]


def erase(staff: Staff, member: Member, confirmation: str | None, now: datetime | None = None) -> Member:
    """Remove MEMBER's personal data everywhere, keeping the anonymous rows that reports count; audit it."""
    _check(staff, member)
    if member.erased_at is not None:
        raise Conflict("confirmation", _l("This member's personal data was already erased."), code="already_erased")
    if not _confirmed(member, confirmation):
        raise InvalidInput("confirmation", _l("Type ERASE (or the member's full name) to confirm."))
    now = now or utcnow()
    # Compare-and-set: of two erasures at once exactly one goes on.
    if db.session.execute(update(Member).where(Member.id == member.id, Member.erased_at.is_(None))
                          .values(erased_at=now).execution_options(synchronize_session=False)).rowcount != 1:
        raise Conflict("confirmation", _l("This member's personal data was already erased."), code="already_erased")
    needles = _needles(member)
    had_consent = member.sms_consent
    member.erased_at = now
    member.first_name, member.last_name = ERASED_FIRST_NAME, f"#{member.id}"
    # Empty keys: the desk's name search never lists an erased member.
    member.name_key = member.name_key_rev = ""
    member.phone = member.email = member.card_code = member.birth_date = member.notes = member.interest = None
    photos.erase(member.id)     # a face is personal data
    member_links.forget(member.id)   # the member's page links stop working at once
    member.photo_at = None
    member.sms_consent, member.sms_consent_source = False, "erasure"
    if had_consent:
        consent.record(member.club_id, member.id, False, "erasure", staff=staff, now=now)

    def scrub_rows(model, *where, **values):
        db.session.execute(update(model).where(*where).values(**values).execution_options(synchronize_session=False))

    mine = Message.member_id == member.id
    # Messages not sent yet never will be; their touchpoints say why. One conditional statement: a row the
    # dispatcher claimed meanwhile ('sending') is its own, and its reconciler settles it.
    for (touchpoint_id,) in db.session.execute(
            update(Message).where(mine, Message.status.in_(UNSENT)).values(status="skipped", skip_reason="erased")
            .returning(Message.touchpoint_id).execution_options(synchronize_session=False)).all():
        touchpoint_became(touchpoint_id, "skipped", "erased")
    scrub_rows(Message, mine, body="", to_phone="", error_message=None)
    # A staff message's key holds a digest of its text.
    scrub_rows(Message, mine, Message.idempotency_key.like("staff:%"),
               idempotency_key="erased:" + cast(Message.id, String))
    # Open tasks and planned contacts are dropped: nobody calls or texts an erased member.
    scrub_rows(Touchpoint, Touchpoint.member_id == member.id, Touchpoint.status == "planned",
               status="skipped", skip_reason="erased")
    scrub_rows(Touchpoint, Touchpoint.member_id == member.id, facts={})
    scrub_rows(StaffContact, StaffContact.member_id == member.id, note=None)
    memberships = select(Membership.id).where(Membership.member_id == member.id)
    scrub_rows(Freeze, Freeze.membership_id.in_(memberships), reason=None)
    scrub_rows(Membership, Membership.member_id == member.id, cancel_reason=None)
    scrub_rows(LedgerEntry, LedgerEntry.package_id.in_(select(Package.id).where(Package.member_id == member.id)),
               LedgerEntry.reason.is_not(None), LedgerEntry.reason.not_in(SYSTEM_REASONS),
               LedgerEntry.reason.not_like("plan:%"), reason=None)
    # An erased person holds no class place and waits on no waitlist; a freed place goes to the next waiting.
    for booking in db.session.scalars(
            select(Booking).join(ClubSession, ClubSession.id == Booking.session_id)
            .where(Booking.member_id == member.id, Booking.status.in_(("booked", "waitlist")),
                   ClubSession.starts_at > now).order_by(ClubSession.starts_at, Booking.id)).all():
        sessions.cancel_booking(staff, booking)
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.member_id == member.id)):
        event.before, event.after = _scrub(event.before, needles), _scrub(event.after, needles)
    audit.record(staff, "erase", "member", member.id, club_id=member.club_id, member_id=member.id)
    db.session.flush()
    return member
