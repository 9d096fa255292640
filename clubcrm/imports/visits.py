"""Importing a visit history from another system: each row a check-in (member, time), recorded as a visit of the
importing club (source "import") on the membership that was valid that day, so that the lifecycle engine's
silence, visit counts and milestones see the member's past as if it had happened here."""
from collections.abc import Callable
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from clubcrm.clock import local_date, utcnow
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.imports.history_rows import read_rows
from clubcrm.imports.history_values import read_instant
from clubcrm.imports.reading import Table
from clubcrm.imports.rows import Refusal
from clubcrm.imports.run import Checked, refuse_history_if_closed
from clubcrm.models import Club, Membership, Staff, Visit
from clubcrm.services import audit
from clubcrm.services.contracts import is_live

CHUNK = 1000


def check(club: Club, table: Table, fields: list[str | None],
          progress: Callable[[int], None] | None = None) -> Checked:
    """Check every visit of TABLE: its member and time (not in the future, not already recorded); find the
    membership valid that day; write nothing. A closed club is refused whole."""
    refuse_history_if_closed(club)
    now = utcnow()
    checked = Checked(total=len(table.records))

    def read(raw: dict[str, str]) -> dict:
        moment = read_instant(raw.get("visited_at", ""), "visited_at", club.timezone)
        if moment > now:
            raise InvalidInput("visited_at", _l("A visit cannot be in the future."))
        return {"checked_in_at": moment.astimezone(UTC)}

    rows = read_rows(club, table, fields, read, checked, progress)
    member_ids = sorted({member.id for _line, _values, member in rows})
    contracts: dict[int, list[Membership]] = {}
    recorded: set[tuple[int, object]] = set()
    for start in range(0, len(member_ids), CHUNK):
        chunk = member_ids[start:start + CHUNK]
        for membership in db.session.scalars(select(Membership).where(Membership.member_id.in_(chunk))):
            contracts.setdefault(membership.member_id, []).append(membership)
        recorded.update((m, _utc(at)) for m, at in db.session.execute(
            select(Visit.member_id, Visit.checked_in_at).where(Visit.member_id.in_(chunk))))
    seen: dict[tuple[int, object], int] = {}
    for line, values, member in rows:
        key = (member.id, _utc(values["checked_in_at"]))
        if key in recorded:
            checked.refusals.append(Refusal(line, "visited_at", _l("This visit is already recorded.")))
            continue
        if key in seen:
            checked.refusals.append(Refusal(line, "visited_at", _l("The same visit is on line %(line)s.",
                                                                   line=seen[key])))
            continue
        seen[key] = line
        day = local_date(values["checked_in_at"], club.timezone)
        valid = [m for m in contracts.get(member.id, ()) if m.starts_on <= day <= m.ends_on and is_live(m, day)]
        membership = max(valid, key=lambda m: (m.starts_on, m.id)) if valid else None
        checked.rows.append((line, {**values, "member_id": member.id,
                                    "membership_id": membership.id if membership else None}))
    checked.refusals.sort(key=lambda r: r.line)
    return checked


def _utc(moment: datetime) -> datetime:
    """The instant as compared: UTC, to the second (what both engines keep of a check-in)."""
    return moment.astimezone(UTC).replace(microsecond=0)


def save(staff: Staff | None, club: Club, rows: list[dict], filename: str = "") -> int:
    """Insert the visits in bulk (source "import", this club); one audit event; flush."""
    if not rows:
        return 0
    db.session.execute(insert(Visit.__table__), [
        {"club_id": club.id, "member_id": v["member_id"], "membership_id": v["membership_id"],
         "checked_in_at": v["checked_in_at"], "source": "import", "staff_id": None} for v in rows])
    audit.record(staff, "import", "visit", None, club_id=club.id,
                 after={"imported": len(rows), "file": filename[:120]})
    db.session.flush()
    return len(rows)


def shown(values: dict) -> dict:
    """The row's values as the preview shows them."""
    return {"visited_at": values["checked_in_at"].isoformat(), "with_membership": values["membership_id"] is not None}
