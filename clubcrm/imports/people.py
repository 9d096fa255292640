"""Find the members the rows of a contract or visit file name, as the members file identified them: by card code,
phone or email, set-based (one IN query per column and chunk, never a query per row)."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.imports.history_headers import WHO_FIELDS
from clubcrm.models import Club, Member
from clubcrm.phones import to_e164
from clubcrm.services.members import normalize_card

CHUNK = 1000
# What find() maps a card code held in another club of the chain to: enough to say so, nothing of that member.
OTHER_CLUB = object()


@dataclass(frozen=True)
class Who:
    """The identifying values of one row, normalised as the members' columns hold them."""

    card_code: str | None = None
    phone: str | None = None
    email: str | None = None


def read_who(raw: dict[str, str], club: Club) -> Who:
    """The row's card code, phone and email; refuse a phone that is no number, or a row naming nobody."""
    phone = raw.get("phone", "")
    who = Who(card_code=normalize_card(raw.get("card_code")), phone=to_e164(phone, club.country) if phone else None,
              email=(raw.get("email") or "").strip().lower() or None)
    if not (who.card_code or who.phone or who.email):
        field = next((key for key in WHO_FIELDS if key in raw), "card_code")
        raise InvalidInput(field, _l("Say whose row this is: a card code, phone or email of an imported member."))
    return who


def has_who(fields: list[str | None]) -> bool:
    """Tell whether a mapping has a column that names the member."""
    return any(f in WHO_FIELDS for f in fields)


def find(club: Club, whos: list[Who]) -> dict[str, dict[str, Member | object]]:
    """The club's members holding each of the card codes, phones and emails in WHOS, by field and value; a card
    code held in another club of the chain maps to OTHER_CLUB."""
    found: dict[str, dict[str, Member | object]] = {}
    for field in WHO_FIELDS:
        values = sorted({getattr(w, field) for w in whos if getattr(w, field)})
        column = getattr(Member, field)
        compared = func.lower(column) if field == "email" else column
        # A card code names one member in the whole chain: its holder in another club is told apart from nobody
        # ("import the members first" would mislead, as the members import refuses that code too). Phones and
        # emails are unique per club only: another club's member with the same one is not whom the row means.
        scope = [] if field == "card_code" else [Member.club_id == club.id]
        found[field] = {}
        for start in range(0, len(values), CHUNK):
            for value, member in db.session.execute(
                    select(compared, Member).where(*scope, compared.in_(values[start:start + CHUNK]))
                    .order_by(Member.id)):
                found[field].setdefault(value, member if member.club_id == club.id else OTHER_CLUB)
    return found


def member_of(who: Who, found: dict[str, dict[str, Member | object]]) -> Member:
    """The member the row names; refuse naming the column when nobody, another club's member, two people, or an
    erased member match."""
    matches = {field: found[field].get(getattr(who, field)) for field in WHO_FIELDS if getattr(who, field)}
    for field, member in matches.items():
        if member is OTHER_CLUB:
            raise InvalidInput(field, _l("This card code belongs to a member of another club of the chain."))
        if member is None:
            raise InvalidInput(field, _l("No member of the club has this value: import the members first."))
    members = {m.id: m for m in matches.values()}
    if len(members) > 1:
        raise InvalidInput(next(iter(matches)), _l("The card code, phone and email of this row belong to different "
                                                  "members."))
    member = next(iter(members.values()))
    if member.erased_at is not None:
        raise InvalidInput(next(iter(matches)), _l("This member's data was erased."))
    return member
