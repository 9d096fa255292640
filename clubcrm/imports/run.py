"""The import itself: check every row (duplicates too, set-based), then insert the members in bulk, or nothing."""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, exists, func, insert, literal, select, true

from clubcrm.clock import local_today, utcnow
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.imports.headers import has_name
from clubcrm.imports.reading import Table
from clubcrm.imports.rows import Refusal, normalize
from clubcrm.models import Club, ConsentEvent, LeadCycle, Member, Staff
from clubcrm.models.base import UTCDateTime
from clubcrm.services import audit, club_closing
from clubcrm.services.members import name_keys

# Rows checked between two progress reports and per IN query (well under SQLite's 32,766 parameters).
CHUNK = 1000
UNIQUE_FIELDS = ("phone", "email", "card_code")


def duplicate_in_club(name: str, member_id: int, other_club: bool = False, person: str = ""):
    """Say that PERSON, member MEMBER_ID of the club, already has this value of NAME (named, so that staff know whom
    without looking the number up); for a card code held in another club (OTHER_CLUB), say that much without the
    member, whom this club's staff have no business with."""
    if other_club:
        # The words of the member form's refusal (services.members), so that both say the same.
        return _l("A member of another club of the chain already has this card code.")
    person = person or str(member_id)
    if name == "phone":
        return _l("%(person)s (member %(member)s) already has this phone number.", person=person, member=member_id)
    if name == "email":
        return _l("%(person)s (member %(member)s) already has this email address.", person=person, member=member_id)
    return _l("%(person)s (member %(member)s) already has this card code.", person=person, member=member_id)


def duplicate_in_file(name: str, line: int):
    """Say that LINE of the same file already has this value of NAME."""
    if name == "phone":
        return _l("The same phone number is on line %(line)s.", line=line)
    if name == "email":
        return _l("The same email address is on line %(line)s.", line=line)
    return _l("The same card code is on line %(line)s.", line=line)


MODES = ("all", "valid")


def refuse_history_if_closed(club: Club) -> None:
    """Refuse memberships, balances or visits for CLUB if it is closed: each row is a sale or a check-in there.

    The members file is neither, so a closed club's owner may still complete its member list."""
    try:
        club_closing.refuse_if_closed(club, "file")
    except NotAllowed as error:
        # Raised as InvalidInput, code kept: the preview and the import job show an InvalidInput's own message,
        # while any other error reads "the file could not be checked" and is logged as a crash.
        raise InvalidInput(error.field, error.message, code=error.code) from None


@dataclass
class Checked:
    """Every record of a file checked: the rows that can go in, with their lines, and the refusals."""

    total: int = 0
    rows: list[tuple[int, dict]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def refused_lines(self) -> list[int]:
        return sorted({r.line for r in self.refusals})


@dataclass
class Result:
    """What an import did: counts, the refusals, and whether it wrote anything."""

    checked: Checked
    imported: int = 0
    dry_run: bool = False

    @property
    def refused(self) -> int:
        return len(self.checked.refused_lines)


def _existing(club_id: int, field_name: str, values: list[str]) -> dict[str, tuple[int, int, str]]:
    """Map each of VALUES some member of the club (for a card code: of any club) already has in FIELD_NAME to that
    member's id, club id and name."""
    column = getattr(Member, field_name)
    compared = func.lower(column) if field_name == "email" else column
    found: dict[str, tuple[int, int, str]] = {}
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        # Set-based, as every check of the file: members.refuse_taken_card, the forms' check, is a query per row.
        for value, member_id, member_club_id, first, last in db.session.execute(
                select(compared, Member.id, Member.club_id, Member.first_name, Member.last_name).where(
                    # A card code names one member in the whole chain (a chain plan opens every club's desk).
                    true() if field_name == "card_code" else Member.club_id == club_id, compared.in_(chunk))):
            found.setdefault(value, (member_id, member_club_id, f"{first} {last}".strip()))
    return found


def check(club: Club, table: Table, fields: list[str | None],
          progress: Callable[[int], None] | None = None) -> Checked:
    """Check every record of TABLE read with FIELDS against the rules and for duplicates; write nothing."""
    if not has_name(fields):
        raise InvalidInput("mapping", _l("Choose the column that holds the first name or the full name."))
    today = local_today(club.timezone)
    checked = Checked(total=len(table.records))
    seen: dict[str, dict[str, int]] = {name: {} for name in UNIQUE_FIELDS}
    for start in range(0, len(table.records), CHUNK):
        good: list[tuple[int, dict]] = []
        for line, cells in table.records[start:start + CHUNK]:
            values, problems = normalize(line, fields, cells, club, today)
            if values is None:
                checked.refusals.extend(problems)
            else:
                good.append((line, values))
        # One IN query per unique field and chunk, never a query per row.
        taken = {name: _existing(club.id, name, sorted({v[name] for _l, v in good if v[name]}))
                 for name in UNIQUE_FIELDS}
        for line, values in good:
            problems = []
            for name in UNIQUE_FIELDS:
                value = values[name]
                if value is None:
                    continue
                if value in taken[name]:
                    member_id, member_club_id, person = taken[name][value]
                    problems.append(Refusal(line, name, duplicate_in_club(name, member_id, member_club_id != club.id,
                                                                          person)))
                elif value in seen[name]:
                    problems.append(Refusal(line, name, duplicate_in_file(name, seen[name][value])))
            if problems:
                checked.refusals.extend(problems)
                continue
            for name in UNIQUE_FIELDS:
                if values[name] is not None:
                    seen[name][values[name]] = line
            checked.rows.append((line, values))
        if progress is not None:
            progress(min(start + CHUNK, checked.total))
    checked.refusals.sort(key=lambda r: r.line)
    return checked


def save(staff: Staff | None, club: Club, rows: list[dict], filename: str = "") -> int:
    """Insert ROWS as members of CLUB (source "import") in bulk, their consents and one audit event; flush."""
    if not rows:
        return 0
    now = utcnow()
    staff_id = staff.id if staff is not None else None
    mappings = []
    for values in rows:
        first_key, rev_key = name_keys(values["first_name"], values["last_name"])
        consent = values["sms_consent"]
        mappings.append({
            **values, "club_id": club.id, "source": "import", "name_key": first_key, "name_key_rev": rev_key,
            "sms_consent_at": now if consent else None, "sms_consent_source": "import" if consent else None,
            "created_at": now, "created_by_id": staff_id,
        })
    # A Core executemany: 0.6 s for 10,000 rows on SQLite, where the ORM's bulk insert (which groups the rows by
    # the keys they leave out) and multi-row VALUES compiled per statement took 13-16 s; on PostgreSQL, RETURNING
    # (to learn the ids) made it 18 s for 50,000 rows against 4 s without.
    db.session.execute(insert(Member.__table__), mappings)
    # The consent events in one INSERT ... SELECT: the members this import just consented (its instant, its
    # source) that have no consent history yet.
    member, event = Member.__table__, ConsentEvent.__table__
    consented = (
        select(member.c.club_id, member.c.id, literal("sms"), true(), literal("import"),
               literal(staff_id, Integer), literal(now, UTCDateTime))
        .where(member.c.club_id == club.id, member.c.source == "import", member.c.sms_consent.is_(True),
               member.c.sms_consent_source == "import", member.c.sms_consent_at == now,
               ~exists().where(event.c.member_id == member.c.id))
    )
    db.session.execute(insert(event).from_select(
        ["club_id", "member_id", "kind", "granted", "source", "staff_id", "created_at"], consented))
    # Each imported person is a lead until a sale (or an imported membership) says otherwise: their lead cycle
    # opens now, source "import", in one INSERT ... SELECT as the consents.
    cycle = LeadCycle.__table__
    db.session.execute(insert(cycle).from_select(
        ["club_id", "member_id", "started_at", "source", "created_by_id"],
        select(member.c.club_id, member.c.id, literal(now, UTCDateTime), literal("import"),
               literal(staff_id, Integer))
        .where(member.c.club_id == club.id, member.c.source == "import", member.c.created_at == now,
               member.c.converted_at.is_(None), ~exists().where(cycle.c.member_id == member.c.id))))
    consents = sum(m["sms_consent"] for m in mappings)   # the rowcount of that INSERT read -1 on PostgreSQL
    audit.record(staff, "import", "member", None, club_id=club.id,
                 after={"imported": len(rows), "consents": consents, "file": filename[:120]})
    db.session.flush()
    return len(rows)


def run(staff: Staff | None, club: Club, table: Table, fields: list[str | None], *, mode: str = "all",
        dry_run: bool = False, filename: str = "", progress: Callable[[int], None] | None = None,
        kind: str = "members") -> Result:
    """Import TABLE's rows of KIND (members, memberships, balances, visits) into CLUB: all or nothing (MODE "all"),
    or the valid rows ("valid"); flush only.

    A dry run, or an all-or-nothing import with a refused row, writes nothing; so does a history import (not the
    members) into a closed club, refused whole by its kind's check."""
    from clubcrm.imports.kinds import complete, kind_of   # the kinds' modules build on this one

    if mode not in MODES:
        raise InvalidInput("mode", _l("Choose all or nothing, or the valid rows."))
    spec = kind_of(kind)
    if not complete(spec, fields):
        raise InvalidInput("mapping", spec.missing)
    checked = spec.check(club, table, fields, progress)
    result = Result(checked, dry_run=dry_run)
    if dry_run or (mode == "all" and checked.refusals):
        return result
    result.imported = spec.save(staff, club, [values for _line, values in checked.rows], filename)
    return result
