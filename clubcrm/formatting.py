"""Money and dates, formatted by Babel in the current language and the club's time zone."""
from datetime import date, datetime
from decimal import Decimal

from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel.numbers import get_currency_precision
from flask_babel import format_currency, format_date, format_datetime, get_locale


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Turn minor units (cents) into the currency's major unit, exactly."""
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Turn an amount in major units into minor units; refuses fractions of a minor unit."""
    scaled = amount.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError("more decimals than the currency has")
    return int(scaled)


def money(amount_minor: int | None, currency: str) -> str:
    """Format minor units as money in the current locale, e.g. 1 234,50 €."""
    if amount_minor is None:
        return ""
    return format_currency(to_major(amount_minor, currency), currency)


def day(value: date | None, form: str = "medium") -> str:
    """Format a calendar date in the current locale."""
    return format_date(value, form) if value is not None else ""


def moment(value: datetime | None, form: str = "short", tz: str | None = None) -> str:
    """Format an instant in the current locale, in zone TZ (default: the viewer's club's zone)."""
    if value is None:
        return ""
    if tz is None:
        return format_datetime(value, form)
    return babel_dates.format_datetime(value, form, tzinfo=ZoneInfo(tz), locale=get_locale())
