"""Club settings: the club's details, the plans and packages it sells."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clubcrm.errors import InvalidInput, NotFound
from clubcrm.formatting import to_minor
from clubcrm.extensions import db
from clubcrm.models import Club, Plan, Service, Staff
from clubcrm.services import audit, clubs


DUPLICATE_PLAN = _l("The club already has a plan of this name.")


def _name(value: str | None, field: str = "name") -> str:
    text = (value or "").strip()
    if not text or len(text) > 80:
        raise InvalidInput(field, _l("Enter a name of at most 80 characters."))
    return text


def whole(value, field: str, low: int, high: int) -> int:
    """Return VALUE if it is a whole number from LOW to HIGH, else refuse it on FIELD."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(field, _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high))
    return value


def update_club(staff: Staff, club: Club, data: dict) -> Club:
    """Change the club's name, time zone, currency, country, default language and usual stay."""
    details = clubs.checked_details({**data, "phone": None})
    del details["phone"]
    stay = data.get("usual_stay_minutes")
    if stay is not None:
        if not isinstance(stay, int) or not 10 <= stay <= 720:
            raise InvalidInput("usual_stay_minutes", _l("Between 10 and 720 minutes."))
        details["usual_stay_minutes"] = stay
    audit.update(staff, "club", club, details, club_id=club.id)
    return club


# The longest a club may ask members to cancel a booking on their page ahead of its start: a week.
MOST_CANCEL_MINUTES = 7 * 24 * 60
CANCEL_MINUTES_REFUSED = _l("Members may cancel until 0 to 10080 minutes (7 days) before a session starts: enter a "
                            "whole number of minutes from 0 to 10080.")


def update_member_page(staff: Staff, club: Club, data: dict) -> Club:
    """Switch the club's member page on or off (off: texts go without their link sentence and every link answers
    404) and set how many minutes before a session starts members may still cancel a booking there; audited."""
    minutes = data.get("booking_cancel_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= MOST_CANCEL_MINUTES:
        raise InvalidInput("booking_cancel_minutes", CANCEL_MINUTES_REFUSED)
    audit.update(staff, "club", club, {"member_page_enabled": bool(data.get("member_page_enabled")),
                                       "booking_cancel_minutes": minutes}, club_id=club.id)
    return club


def price_in_minor(price, currency: str, field: str = "price") -> int:
    """Turn a price typed in major units (Decimal) into minor units, refusing negatives and fractions."""
    if price is None or price < 0 or price > 10**7:
        raise InvalidInput(field, _l("Enter a price of 0 or more."))
    try:
        return to_minor(price, currency)
    except ValueError:
        raise InvalidInput(field, _l("Too many decimals for this currency.")) from None


def add_plan(staff: Staff, club: Club, data: dict) -> Plan:
    """Add a plan the club sells; its name is new in the club (the import finds plans by name)."""
    name = _name(data.get("name"))
    # Compared here, not by SQL lower(): SQLite lowers ASCII only, and a club has a handful of plans.
    taken = {other.casefold() for other in db.session.scalars(select(Plan.name).where(Plan.club_id == club.id))}
    if name.casefold() in taken:
        raise InvalidInput("name", DUPLICATE_PLAN, code="duplicate")
    plan = Plan(
        club_id=club.id, name=name,
        duration_days=whole(data.get("duration_days"), "duration_days", 1, 3660),
        visit_limit=(whole(data["visit_limit"], "visit_limit", 1, 10000)
                     if data.get("visit_limit") is not None else None),
        price_minor=price_in_minor(data.get("price"), club.currency), currency=club.currency,
        chain_wide=bool(data.get("chain_wide")),
    )
    try:
        with db.session.begin_nested():   # the same name added at the same moment elsewhere: refused, not a 500
            db.session.add(plan)
    except IntegrityError:
        raise InvalidInput("name", DUPLICATE_PLAN, code="duplicate") from None
    audit.record(staff, "create", "plan", plan.id, club_id=club.id,
                 after={"name": plan.name, "days": plan.duration_days, "price_minor": plan.price_minor,
                        "chain_wide": plan.chain_wide})
    return plan


def set_plan_price(staff: Staff, club: Club, plan_id: int, price) -> Plan:
    """Change what CLUB's plan PLAN_ID costs from now on; the memberships sold before keep the price they were
    sold at (each stores its own)."""
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.club_id != club.id:
        raise NotFound("plan_id", _l("No such plan."))
    before = plan.price_minor
    plan.price_minor = price_in_minor(price, club.currency)
    db.session.flush()
    audit.record(staff, "update", "plan", plan.id, club_id=club.id, before={"price_minor": before},
                 after={"price_minor": plan.price_minor, "name": plan.name})
    return plan


def add_service(staff: Staff, club: Club, data: dict) -> Service:
    """Add a package the club sells (units of a service)."""
    service = Service(
        club_id=club.id, name=_name(data.get("name")),
        package_units=whole(data.get("package_units"), "package_units", 1, 1000),
        price_minor=price_in_minor(data.get("price"), club.currency), currency=club.currency,
        valid_days=(whole(data["valid_days"], "valid_days", 1, 3660)
                    if data.get("valid_days") is not None else None),
    )
    db.session.add(service)
    db.session.flush()
    audit.record(staff, "create", "service", service.id, club_id=club.id,
                 after={"name": service.name, "units": service.package_units})
    return service


def set_active(staff: Staff, item: Plan | Service, active: bool) -> None:
    """Stop or resume selling a plan or a package."""
    item.active = active
    db.session.flush()
    audit.record(staff, "update", item.__tablename__, item.id, club_id=item.club_id,
                 after={"active": active})
