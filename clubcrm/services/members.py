"""Members and leads: register, edit, find, and the scope rule that staff see only their club."""
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, or_, select, union_all
from sqlalchemy.exc import IntegrityError

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, DomainError, InvalidInput, InvalidInputs, NotFound, raise_all
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.models import Club, LeadCycle, Member, Staff
from clubcrm.phones import to_e164, try_e164
from clubcrm.services import audit, consent, lead_cycles, repeats
from clubcrm.services.contracts import Standing, standings
from clubcrm.services.locks import lock_club_leads
from clubcrm.services.scope import get_in_scope

CONSENT_SOURCES = ("desk", "web_form", "import", "sms")


def fold(text: str) -> str:
    """Case- and accent-fold a name for search, so "makinen" finds "Mäkinen"."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_card(code: str | None) -> str | None:
    """Card codes compare without case or surrounding spaces (a scanner with Caps Lock still matches)."""
    code = (code or "").strip().upper()
    return code or None


def name_keys(first: str, last: str) -> tuple[str, str]:
    """Return the folded "first last" and "last first" keys for prefix search."""
    first, last = fold(first), fold(last)
    return f"{first} {last}".strip(), f"{last} {first}".strip()


def get_for(staff: Staff, member_id: int) -> Member:
    """Return the member if this login may see them; another club's member is simply not found."""
    return get_in_scope(staff, Member, member_id, "member_id", _l("No such member."))


def visible(staff: Staff, member: Member) -> Member:
    """Return MEMBER if STAFF may see them, else refuse as get_for does (for services handed a member)."""
    if not staff.sees_club(member.club_id):
        raise NotFound("member_id", _l("No such member."))
    return member


def _clean(club: Club, data: dict) -> dict:
    """Validate and normalise member fields; raise InvalidInput for a bad field, InvalidInputs for several (every
    bad field is named at once, so a form shows all its errors together)."""
    out: dict = {}
    errors: list[InvalidInput] = []

    def refuse(field: str, message) -> None:
        errors.append(InvalidInput(field, message))

    first = (data.get("first_name") or "").strip()
    if not first:
        refuse("first_name", _l("Enter a first name."))
    elif len(first) > 80:
        refuse("first_name", _l("A name can have at most 80 characters."))
    last = (data.get("last_name") or "").strip()
    if len(last) > 80:
        refuse("last_name", _l("A name can have at most 80 characters."))
    out["first_name"], out["last_name"] = first, last
    phone = (data.get("phone") or "").strip()
    try:
        out["phone"] = to_e164(phone, club.country) if phone else None
    except InvalidInput as error:
        errors.append(error)
    try:
        out["email"] = checked_email(data.get("email"))
    except InvalidInput as error:
        errors.append(error)
    card = normalize_card(data.get("card_code"))
    if card and (len(card) > 64 or any(ch.isspace() for ch in card)):
        refuse("card_code", _l("A card code has at most 64 characters and no spaces."))
    out["card_code"] = card
    birth = data.get("birth_date")
    if birth is not None and not isinstance(birth, date):
        refuse("birth_date", _l("Enter a date."))
    elif birth is not None and birth.year < 1900:
        refuse("birth_date", _l("A birth date must be in 1900 or later."))
    elif birth is not None and birth > utcnow().date():
        refuse("birth_date", _l("A birth date cannot be in the future."))
    out["birth_date"] = birth
    locale = data.get("locale") or club.default_locale
    if locale not in SUPPORTED_LOCALES:
        refuse("locale", _l("Choose one of the offered languages."))
    out["locale"] = locale
    out["interest"] = (data.get("interest") or "").strip()[:120] or None
    out["notes"] = (data.get("notes") or "").strip() or None
    raise_all(errors)
    return out


def problems(club: Club, data: dict, exclude_id: int | None = None) -> list[InvalidInput]:
    """Every refusal DATA would meet as a member of CLUB (MEMBER EXCLUDE_ID when editing), without writing: a form
    whose own checks failed on some fields still shows what the others lack."""
    try:
        _check_unique(club.id, _clean(club, data), exclude_id)
    except InvalidInputs as error:
        return list(error.errors)
    except InvalidInput as error:
        return [error]
    return []


def checked_email(raw: str | None) -> str | None:
    """An email address as stored (lower case), checked with email-validator's syntax rules (no DNS lookup: a
    desk at rush hour does not wait for the network); None when empty. `irina@` and `a b@c.d` are refused."""
    email = (raw or "").strip().lower() or None
    if email is None:
        return None
    if len(email) > 254:
        raise InvalidInput("email", _l("This is not an email address."))
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput("email", _l("This is not an email address.")) from None


def _check_unique(club_id: int, values: dict, exclude_id: int | None = None) -> None:
    """Refuse a phone that another member of the club already has, or a card code used in any club (both at
    once when both are taken)."""
    errors: list[InvalidInput] = []
    phone = values.get("phone")
    if phone is not None:
        query = select(Member.id).where(Member.club_id == club_id, Member.phone == phone)
        if exclude_id is not None:
            query = query.where(Member.id != exclude_id)
        if db.session.scalar(query.limit(1)) is not None:
            errors.append(InvalidInput("phone", _l("Another member already has this phone number."),
                                       code="duplicate"))
    try:
        refuse_taken_card(club_id, values.get("card_code"), exclude_id)
    except InvalidInput as error:
        errors.append(error)
    raise_all(errors)


def refuse_taken_card(club_id: int, card_code: str | None, member_id: int | None = None) -> None:
    """Raise InvalidInput on card_code if a member other than MEMBER_ID holds CARD_CODE in any club of the chain,
    saying whether it is one of CLUB_ID's own members or another club's."""
    holder = holder_of_card(card_code) if card_code else None
    if holder is None or holder.id == member_id:
        return
    if holder.club_id == club_id:
        raise InvalidInput("card_code", _l("Another member already has this card code."), code="duplicate")
    raise InvalidInput("card_code", _l("A member of another club of the chain already has this card code."),
                       code="duplicate")


def _flush_or_refuse(change: Callable[[], None], recheck: Callable[[], None]) -> None:
    """Make CHANGE (adding or editing a member) and flush it in a savepoint. When a unique key breaks, the change
    is undone and RECHECK (the check that ran before) raises the refusal it now sees; else the error goes on."""
    # A card code is unique in the whole chain and no lock covers two clubs (lock_club_leads orders one club's new
    # leads, an edit takes none): another club's desk may save the same code between the check and this flush.
    try:
        with db.session.begin_nested():
            change()
    except IntegrityError:
        recheck()
        raise


def lead_source(club: Club, data: dict, source: str = "walk_in") -> lead_cycles.Source:
    """Check where a lead came from: DATA's `source` (else SOURCE), `campaign`, and the referring member named by
    `referrer` (a card code, phone or id typed at the desk) or `referrer_member_id` (the API's id). A referrer that
    is not the club's member is refused naming its field: typed, as invalid (a form shows it with the rest); by
    id, as not found."""
    by_id = data.get("referrer_member_id")
    typed = (data.get("referrer") or "").strip() if by_id is None else ""
    field = "referrer_member_id" if "referrer_member_id" in data else "referrer"
    chosen = data.get("source") or source
    referrer = None
    if chosen == "referral" and by_id is not None:
        referrer = db.session.get(Member, by_id)
        if referrer is None or referrer.club_id != club.id or referrer.erased_at is not None:
            raise NotFound(field, NOT_FOUND)
    elif chosen == "referral" and typed:
        try:
            referrer = lookup(club, typed, field)
        except NotFound as error:
            raise InvalidInput(field, error.message, code="not_found") from None
        if referrer.erased_at is not None:
            raise InvalidInput(field, NOT_FOUND, code="not_found")
    return lead_cycles.checked_source(chosen, data.get("campaign"), referrer, by_id is not None or bool(typed),
                                      field)


def _checked_lead(club: Club, data: dict, source: str) -> tuple[dict, lead_cycles.Source]:
    """A new lead's member fields and source, checked; every bad field named at once."""
    errors: list[InvalidInput] = []
    values, origin = {}, None
    try:
        values = _clean(club, data)
    except InvalidInputs as error:
        errors += error.errors
    except InvalidInput as error:
        errors.append(error)
    try:
        origin = lead_source(club, data, source)
    except InvalidInput as error:
        errors.append(error)
    raise_all(errors)
    return values, origin


def create_lead(staff: Staff | None, club: Club, data: dict, source: str = "walk_in") -> Member:
    """Register a lead (a walk-in, a web form, an import row) that came through the channel SOURCE, and open their
    lead cycle; where they came from is DATA's `source` (else SOURCE), with its `campaign` and referring member
    (see lead_source). member.source keeps the first source: a later cycle has its own."""
    values, origin = _checked_lead(club, data, source)
    _check_unique(club.id, values)
    first_key, rev_key = name_keys(values["first_name"], values["last_name"])
    member = Member(club_id=club.id, source=origin.source, name_key=first_key, name_key_rev=rev_key,
                    created_by_id=staff.id if staff else None, **values)
    if data.get("sms_consent"):
        if not values["phone"]:
            raise InvalidInput("sms_consent", _l("SMS consent needs a phone number."))
        member.sms_consent = True
        member.sms_consent_at = utcnow()
        # Where the consent was given is the channel (SOURCE): a campaign's lead ticked it on the web form.
        member.sms_consent_source = source if source in CONSENT_SOURCES else "desk"
    # Only the card code is said again: a phone taken at once is web_leads' duplicate, found by its IntegrityError.
    _flush_or_refuse(lambda: db.session.add(member), lambda: refuse_taken_card(club.id, values["card_code"]))
    if member.sms_consent:
        consent.record(club.id, member.id, True, member.sms_consent_source, staff=staff, now=member.sms_consent_at)
    lead_cycles.start(staff, member, origin, member.created_at)
    audit.record(staff, "create", "member", member.id, club_id=club.id, member_id=member.id,
                 after={**{k: v for k, v in values.items() if k != "notes"}, "source": origin.source,
                        "campaign": origin.campaign})
    return member


@dataclass(frozen=True)
class Inquiry:
    """What a lead's inquiry at the desk made: a new lead, or a new cycle on a lost lead who asked again; KNOWN: the
    desk chose a person already known, who stays as they are (an open lead, a member who bought)."""

    member: Member
    new_cycle: bool = False
    known: bool = False


class KnownPerson(InvalidInput):
    """The phone or email typed at the desk belongs to a person the club already knows: the desk is offered them
    instead of a second record (MEMBER)."""

    def __init__(self, field: str, member: Member):
        super().__init__(field, _l("This person is already known: %(name)s.", name=member.full_name),
                         code="duplicate")
        self.member = member


def create_walk_in(staff: Staff, club: Club, data: dict) -> Member:
    """Register a lead at the desk (see take_inquiry)."""
    return take_inquiry(staff, club, data).member


def take_inquiry(staff: Staff, club: Club, data: dict, use_member_id: int | None = None,
                 offer_known: bool = False) -> Inquiry:
    """Register a lead at the desk with where they came from (DATA's `source`, walk_in by default). A lost lead of
    the club who asks again (the same phone or email) gets a new lead cycle, not a second member; the same form sent
    again within moments answers what the first made.

    OFFER_KNOWN (the desk's form): a phone or email of a person the club knows is refused with KnownPerson, which
    names them, until the desk chooses them (USE_MEMBER_ID): then a lost lead gets a new cycle and anyone else stays
    as they are. Never a second record of the person."""
    values, origin = _checked_lead(club, data, "walk_in")
    # No member row exists yet to lock: two submits at once queue on the club's row instead, so the second
    # finds the first's lead (or its phone taken) rather than inserting beside it.
    lock_club_leads(club.id)
    first_key, _rev = name_keys(values["first_name"], values["last_name"])
    same = [Member.club_id == club.id, Member.created_by_id == staff.id, Member.source == origin.source,
            Member.name_key == first_key, Member.erased_at.is_(None)]
    same += [getattr(Member, field).is_(None) if values[field] is None else getattr(Member, field) == values[field]
             for field in ("phone", "email", "card_code", "birth_date")]
    first = repeats.latest_within(select(Member).where(*same), Member.created_at, "LEAD_REPEAT_SECONDS")
    if first is not None:
        return Inquiry(first)
    known = known_person(club, values["phone"], values["email"])
    chosen = known is not None and use_member_id == known.id
    if known is not None and offer_known and not chosen:
        raise KnownPerson("phone" if values["phone"] and known.phone == values["phone"] else "email", known)
    if known is not None and known.converted_at is None:
        asked = repeats.latest_within(
            select(LeadCycle).where(LeadCycle.member_id == known.id, LeadCycle.created_by_id == staff.id,
                                    LeadCycle.ended_at.is_(None)), LeadCycle.started_at, "LEAD_REPEAT_SECONDS")
        if asked is not None:
            return Inquiry(known, new_cycle=True)
        if lead_cycles.can_reopen(known):
            lead_cycles.reopen(staff, known, origin)
            return Inquiry(known, new_cycle=True)
    if chosen:
        return Inquiry(known, known=True)
    return Inquiry(create_lead(staff, club, data, source="walk_in"))


def known_person(club: Club, phone: str | None, email: str | None) -> Member | None:
    """The club's member (not erased) with this phone (E.164) or email, if any; the phone's first."""
    conditions = [column == value for column, value in ((Member.phone, phone), (Member.email, email)) if value]
    if not conditions:
        return None
    return db.session.scalar(
        select(Member).where(Member.club_id == club.id, Member.erased_at.is_(None), or_(*conditions))
        .order_by(case((Member.phone == phone, 0), else_=1) if phone else Member.id, Member.id).limit(1))


def refuse_erased(member: Member, field: str | None = None, error: type[DomainError] = Conflict,
                  message=None) -> None:
    """Raise ERROR (code "erased") on FIELD if MEMBER's personal data was erased."""
    # An erased person is kept only as anonymous history: nothing new may be written about them. No field by
    # default: the card hides an erased member's forms, so the refusal is flashed rather than put under one.
    if member.erased_at is not None:
        raise error(field, message or _l("This member's personal data was erased; nothing more can be done "
                                         "for them."), code="erased")


def update(staff: Staff, member: Member, data: dict) -> Member:
    """Change a member's details; the audit trail keeps the old values."""
    visible(staff, member)
    refuse_erased(member, "first_name",
                  message=_l("This member's personal data was erased; there is nothing to edit."))
    values = _clean(member.club, data)
    _check_unique(member.club_id, values, exclude_id=member.id)
    before = {k: getattr(member, k) for k in values if getattr(member, k) != values[k]}

    def change() -> None:
        for key, value in values.items():
            setattr(member, key, value)
        member.name_key, member.name_key_rev = name_keys(member.first_name, member.last_name)
    _flush_or_refuse(change, lambda: _check_unique(member.club_id, values, exclude_id=member.id))
    consent_given = bool(data.get("sms_consent"))
    if consent_given != member.sms_consent:
        if consent_given and not member.phone:
            raise InvalidInput("sms_consent", _l("SMS consent needs a phone number."))
        before["sms_consent"] = member.sms_consent
        member.sms_consent = consent_given
        member.sms_consent_at = utcnow()
        member.sms_consent_source = "desk"
        consent.record(member.club_id, member.id, consent_given, "desk", staff=staff, now=member.sms_consent_at)
    if before:
        audit.record(staff, "update", "member", member.id, club_id=member.club_id,
                     member_id=member.id, before=before,
                     after={k: getattr(member, k) for k in before})
    db.session.flush()
    return member


def _branch(condition, *order):
    """Ids of one indexed branch of the desk search, cut to :limit in ORDER when given."""
    query = select(Member.id).where(Member.club_id == bindparam("club_id"), condition)
    if order:
        query = query.order_by(*order).limit(bindparam("limit"))
    return select(query.subquery().c.id)


def _prefix(column):
    """COLUMN starting with :key, as a range, so a plain b-tree index serves it on both engines."""
    return and_(column >= bindparam("key"), column < bindparam("key_end"))


# Built once: every branch can use its own index whatever the planner knows (SQLite has no statistics
# unless ANALYZE ran), each prefix branch stops after :limit rows in its index's order, and no
# statement is rebuilt (nor its cache key computed) per keystroke.
_SEARCH = (
    select(Member)
    .where(Member.id.in_(union_all(
        _branch(Member.card_code == bindparam("text")),
        _branch(Member.phone == bindparam("phone")),
        _branch(_prefix(Member.name_key), Member.name_key, Member.id),
        _branch(_prefix(Member.name_key_rev), Member.name_key_rev, Member.id),
    )))
    .order_by(Member.name_key, Member.id)
    .limit(bindparam("limit"))
)


def search(club_id: int, query: str, country: str, limit: int = 20) -> list[Member]:
    """Find members by name prefix, phone in any common format, or card code (one statement)."""
    text = " ".join((query or "").split())
    if not text:
        return []
    key = fold(text)
    card = normalize_card(text)
    phone = try_e164(text, country)
    found = list(db.session.scalars(_SEARCH, {
        "club_id": club_id, "text": card, "phone": phone, "key": key, "key_end": key + "\U0010ffff",
        "limit": limit,
    }))
    # An exact card or phone match goes first: that is the member the scanner or caller meant.
    found.sort(key=lambda m: 0 if m.card_code == card or (phone and m.phone == phone) else 1)
    return found


def search_with_standing(club: Club, query: str, today: date) -> list[tuple[Member, Standing]]:
    """Find members as search() does, each with where they stand today (for the desk's result list)."""
    found = search(club.id, query, club.country)
    where = standings(found, today)
    return [(member, where[member.id]) for member in found]


# The one answer for "nobody" and for "somebody of another club": a form learns nothing of other clubs.
NOT_FOUND = _l("No member has this card code, phone or id.")


def lookup(club: Club, text: str | None, field: str = "member") -> Member:
    """Find CLUB's member by card code, phone or member id typed in a staff form; another club's member is
    simply not found (NotFound on FIELD, the same text as for nobody)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(field, _l("Enter a card code, a phone number or a member id."))
    if len(text) > 64:
        raise NotFound(field, NOT_FOUND)
    card = Member.card_code == normalize_card(text)
    matches = [card]
    phone = try_e164(text, club.country)
    if phone:
        matches.append(Member.phone == phone)
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 2**31 - 1:
        matches.append(Member.id == int(text))
    # One club's card codes and phones are unique, but a code can equal another member's id: the card wins.
    member = db.session.scalar(
        select(Member).where(Member.club_id == club.id, or_(*matches))
        .order_by(case((card, 0), else_=1), Member.id).limit(1)
    )
    if member is None:
        raise NotFound(field, NOT_FOUND)
    return member


def lookup_or_search(club: Club, text: str | None) -> tuple[Member | None, list[Member] | None]:
    """The member of CLUB that TEXT names: a card code, phone or id first (lookup), else a name or its start;
    (member, None), or (None, the members it could be) when a name fits several. NotFound when nobody fits."""
    try:
        return lookup(club, text), None
    except NotFound:
        found = search(club.id, text or "", club.country, limit=10)
        if len(found) == 1:
            return found[0], None
        if not found:
            raise
        return None, found


def find_by_card(club_id: int, card_code: str) -> Member | None:
    """Return the member of CLUB_ID holding CARD_CODE, if any."""
    return db.session.scalar(
        select(Member).where(Member.club_id == club_id, Member.card_code == normalize_card(card_code))
    )


def holder_of_card(card_code: str) -> Member | None:
    """Return the member holding CARD_CODE in any club of the chain (codes are unique chain-wide), if any."""
    code = normalize_card(card_code)
    if code is None or len(code) > 64:
        return None
    return db.session.scalar(_BY_CARD, {"code": code})


# Built once: every scan at the desk asks.
_BY_CARD = select(Member).where(Member.card_code == bindparam("code"))
