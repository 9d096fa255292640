"""Service packages: grant and redeem units through the ledger; a balance never goes below zero."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Member, Package, Service, Staff
from clubcrm.services import audit
from clubcrm.services.locks import lock_member
from clubcrm.services.members import refuse_erased, visible

MAX_UNITS = 1000


def service_for(club_id: int, service_id: int | None) -> Service:
    """Return the club's service SERVICE_ID or refuse naming the field."""
    service = db.session.get(Service, service_id) if service_id else None
    if service is None or service.club_id != club_id:
        raise InvalidInput("service_id", _l("Choose a service."))
    return service


def _check_units(units: int | None) -> int:
    if units is None or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        raise InvalidInput("units", _l("Enter a whole number of units from 1 to 1000."))
    return units


def package_of(member_id: int, service_id: int) -> Package | None:
    """Return the member's package of a service, if they ever had one (as the database holds it now)."""
    return db.session.scalar(
        select(Package).where(Package.member_id == member_id, Package.service_id == service_id)
        .execution_options(populate_existing=True)
    )


def grant(
    staff: Staff | None,
    member: Member,
    service: Service,
    units: int,
    today: date,
    reason: str,
    price_minor: int | None = None,
) -> LedgerEntry:
    """Add units to a member's package (a sale, a plan bonus or a gift) and extend its validity."""
    if staff is not None:   # None: the engine's own grants (a plan's bonus units)
        visible(staff, member)
    units = _check_units(units)
    if service.club_id != member.club_id:
        raise InvalidInput("service_id", _l("Choose a service."))
    # A member's first package is created here: two grants at once would both find none and both insert it.
    # Under the member lock the second finds the first's package (and its validity as it is now).
    lock_member(member.id)
    refuse_erased(member)
    package = package_of(member.id, service.id)
    if package is None:
        package = Package(club_id=member.club_id, member_id=member.id, service_id=service.id, balance=0)
        db.session.add(package)
        db.session.flush()
    if service.valid_days:
        new_expiry = today + timedelta(days=service.valid_days)
        package.expires_on = max(package.expires_on or new_expiry, new_expiry)
    db.session.execute(
        update(Package).where(Package.id == package.id).values(balance=Package.balance + units)
    )
    entry = LedgerEntry(package_id=package.id, kind="grant", units=units, reason=reason,
                        staff_id=staff.id if staff else None, price_minor=price_minor,
                        currency=service.currency if price_minor is not None else None)
    db.session.add(entry)
    db.session.flush()
    db.session.refresh(package)
    audit.record(staff, "grant", "package", package.id, club_id=member.club_id, member_id=member.id,
                 after={"service": service.name, "units": units, "balance": package.balance,
                        "reason": reason})
    return entry


def redeem(
    staff: Staff | None,
    member: Member,
    service_id: int | None,
    today: date,
    units: int = 1,
    reason: str = "",
    visit_id: int | None = None,
) -> LedgerEntry:
    """Take units from a member's package; refused atomically if the balance would go below zero."""
    if staff is not None:
        visible(staff, member)
    refuse_erased(member)
    units = _check_units(units)
    service = service_for(member.club_id, service_id)
    package = package_of(member.id, service.id)
    if package is None:
        raise NotFound("service_id", _l("This member has no package of this service."))
    if package.expires_on is not None and package.expires_on < today:
        raise InvalidInput("service_id", _l("This package has expired."), code="expired")
    # One conditional UPDATE: under concurrent redeems the database serialises them on the row,
    # and a redeem that would overdraw matches no row.
    result = db.session.execute(
        update(Package)
        .where(Package.id == package.id, Package.balance >= units)
        .values(balance=Package.balance - units)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidInput("units", _l("Not enough units left on this package."), code="balance_empty")
    entry = LedgerEntry(package_id=package.id, kind="redeem", units=-units, reason=reason or None,
                        staff_id=staff.id if staff else None, visit_id=visit_id)
    db.session.add(entry)
    db.session.flush()
    db.session.expire(package, ["balance"])
    audit.record(staff, "redeem", "package", package.id, club_id=member.club_id, member_id=member.id,
                 after={"service": service.name, "units": units, "balance": package.balance})
    return entry


def balances(member_id: int) -> list[Package]:
    """Return a member's packages with their services, by service name."""
    return list(
        db.session.scalars(
            select(Package).join(Service).where(Package.member_id == member_id).order_by(Service.name)
        )
    )


def give_back(staff: Staff | None, entry_id: int, reason: str) -> LedgerEntry:
    """Return the units that redeem entry ENTRY_ID took (a booking paid with a package, cancelled): an 'adjust'
    entry adds them to the same package; its validity is not extended, unlike a grant's."""
    taken = db.session.get(LedgerEntry, entry_id)
    package = db.session.get(Package, taken.package_id)
    db.session.execute(update(Package).where(Package.id == package.id)
                       .values(balance=Package.balance - taken.units))
    entry = LedgerEntry(package_id=package.id, kind="adjust", units=-taken.units, reason=reason[:200],
                        staff_id=staff.id if staff else None)
    db.session.add(entry)
    db.session.flush()
    db.session.expire(package, ["balance"])
    audit.record(staff, "give_back", "package", package.id, club_id=package.club_id, member_id=package.member_id,
                 after={"units": -taken.units, "balance": package.balance, "reason": reason[:200]})
    return entry


def active_services(club_id: int) -> list[Service]:
    """The services the club sells now, by name."""
    return list(db.session.scalars(select(Service).where(Service.club_id == club_id, Service.active)
                                   .order_by(Service.name)))
