"""The club's settings for measuring its lifecycle tools: the programme holdout share, and what a staff call
costs (its average length and the staff's hourly cost), from which a tool's cost per extra renewal is read."""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from clubcrm.errors import InvalidInput
from clubcrm.formatting import money, to_minor
from clubcrm.models import Club, Staff
from clubcrm.services import audit
from clubcrm.services.settings import whole

PROGRAMME_HOLDOUT_MAX = 50   # the database's check constraint: at most half the members held out of everything
CALL_MINUTES = (1, 120)
# An hourly cost above this (in the currency's major unit) is a typo, and would overflow the column in some
# currencies' minor units.
HOURLY_COST_MAX = Decimal(100_000)
NAMES = ("programme_holdout_pct", "call_minutes", "staff_hour_cost_minor")


def hourly_cost_minor(value, currency: str) -> int:
    """The hourly staff cost VALUE, typed in CURRENCY's major unit (a Decimal), in minor units; refused on the
    form's field `staff_hour_cost`."""
    try:
        amount = Decimal(value) if value is not None and not isinstance(value, bool | float) else None
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or not 0 <= amount <= HOURLY_COST_MAX:
        highest = money(to_minor(HOURLY_COST_MAX, currency), currency)
        raise InvalidInput("staff_hour_cost", _l("Enter an hourly cost from 0 to %(max)s.", max=highest))
    try:
        return to_minor(amount, currency)
    except ValueError:
        raise InvalidInput("staff_hour_cost", _l("Too many decimals for this currency.")) from None


def update(staff: Staff, club: Club, programme_holdout_pct, call_minutes, staff_hour_cost) -> Club:
    """Set the club's programme holdout share, average call length and hourly staff cost (typed in its currency)."""
    values = {
        "programme_holdout_pct": whole(programme_holdout_pct, "programme_holdout_pct", 0, PROGRAMME_HOLDOUT_MAX),
        "call_minutes": whole(call_minutes, "call_minutes", *CALL_MINUTES),
        "staff_hour_cost_minor": hourly_cost_minor(staff_hour_cost, club.currency),
    }
    audit.update(staff, "club", club, values, club_id=club.id)
    return club
