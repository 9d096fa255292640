"""Importing package balances from another system: each row a member's units left of a service, written as a
Package and its opening ledger row (a grant, reason "opening balance (import)"): a balance is never written
directly, so it equals the sum of its ledger from the first day."""
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubcrm.clock import local_today
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.formatting import day as shown_day
from clubcrm.imports.history_rows import read_rows
from clubcrm.imports.history_values import by_name, read_day, read_named, read_units
from clubcrm.imports.reading import Table
from clubcrm.imports.rows import Refusal
from clubcrm.imports.run import Checked, refuse_history_if_closed
from clubcrm.models import Club, Member, Package, Service, Staff
from clubcrm.services import audit, packages

REASON = "opening balance (import)"


def check(club: Club, table: Table, fields: list[str | None],
          progress: Callable[[int], None] | None = None) -> Checked:
    """Check every balance of TABLE: its member, its service, its units and expiry, one balance per member and
    service (none already in ClubCRM); write nothing. A closed club is refused whole."""
    refuse_history_if_closed(club)
    today = local_today(club.timezone)
    services = by_name(Service, club.id)
    checked = Checked(total=len(table.records))

    def read(raw: dict[str, str]) -> dict:
        service = read_named(services, raw.get("service"), "service",
                             _l("No service of the club has this name: add it under Settings first."),
                             _l("Enter the service's name."))
        units = read_units(raw.get("units", ""))
        expires_on = read_day(raw.get("expires_on", ""), "expires_on", today)
        if expires_on is not None and expires_on < today:
            raise InvalidInput("expires_on", _l("This package expired on %(date)s: nothing is left to import.",
                                                date=shown_day(expires_on)))
        return {"service_id": service.id, "service": service.name, "units": units, "expires_on": expires_on}

    rows = read_rows(club, table, fields, read, checked, progress)
    member_ids = sorted({member.id for _line, _values, member in rows})
    held: set[tuple[int, int]] = set()
    for start in range(0, len(member_ids), 1000):
        held.update((member_id, service_id) for member_id, service_id in db.session.execute(
            select(Package.member_id, Package.service_id).where(Package.member_id.in_(member_ids[start:start + 1000]))))
    seen: dict[tuple[int, int], int] = {}
    for line, values, member in rows:
        key = (member.id, values["service_id"])
        if key in held:
            checked.refusals.append(Refusal(line, "service", _l("This member already has a balance of this service "
                                                                "in ClubCRM.")))
        elif key in seen:
            checked.refusals.append(Refusal(line, "service", _l("The same member and service are on line %(line)s.",
                                                                line=seen[key])))
        else:
            seen[key] = line
            checked.rows.append((line, {**values, "member_id": member.id}))
    checked.refusals.sort(key=lambda r: r.line)
    return checked


def save(staff: Staff | None, club: Club, rows: list[dict], filename: str = "") -> int:
    """Grant each balance through the ledger (packages.grant: the package, its opening row, its audit) and set the
    expiry the other system gave; flush."""
    today = local_today(club.timezone)
    services = {s.id: s for s in db.session.scalars(select(Service).where(Service.club_id == club.id))}
    for values in rows:
        member = db.session.get(Member, values["member_id"])
        entry = packages.grant(staff, member, services[values["service_id"]], values["units"], today, reason=REASON)
        package = db.session.get(Package, entry.package_id)
        # The other system's expiry, not the service's validity counted from today (blank: none).
        package.expires_on = values["expires_on"]
    audit.record(staff, "import", "package", None, club_id=club.id,
                 after={"imported": len(rows), "file": filename[:120]})
    db.session.flush()
    return len(rows)


def shown(values: dict) -> dict:
    """The row's values as the preview shows them."""
    return {"service": values["service"], "units": values["units"],
            "expires_on": values["expires_on"].isoformat() if values["expires_on"] else None}
