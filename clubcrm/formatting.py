"""Money and dates, formatted by Babel in the current language and the club's time zone."""
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from zoneinfo import ZoneInfo

from babel import Locale, dates as babel_dates
from babel.numbers import (
    NumberPattern, get_currency_precision, get_decimal_symbol, get_group_symbol, parse_pattern,
)
from flask_babel import format_currency, format_date, format_datetime, get_locale, to_user_timezone


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
    """Format a calendar date in the current locale (as Flask-Babel's format_date writes it)."""
    if value is None:
        return ""
    if type(value) is not date:   # a datetime: Flask-Babel converts it to the viewer's zone first
        return format_date(value, form)
    return _day(value, form, str(get_locale() or "en"))


@lru_cache(maxsize=8192)
def _day(value: date, form: str, locale: str) -> str:
    """A date's text in LOCALE, kept: a member card writes some fifty dates, most of them the same few (Babel parses
    the pattern and reads the language's data for each; a tenth of the card's time, profiled)."""
    return without_year_word(babel_dates.format_date(value, form, locale=locale), locale)


def without_year_word(text: str, locale: str) -> str:
    """TEXT without Russian's trailing "г." (year): a sentence ending with a date then ended in "г.." (issue 16), and
    a date reads as well without it."""
    if locale.startswith("ru") and text.endswith("г.") and text[-3:-2].isspace():   # CLDR puts a narrow space
        return text[:-3]
    return text


def moment(value: datetime | None, form: str = "short", tz: str | None = None) -> str:
    """Format an instant in the current locale, in zone TZ (default: the viewer's club's zone). The default form is
    the date as day() writes it and the short time ("Nov 24, 2026, 8:08 AM"), so that a page never mixes
    "Nov 24, 2026" and "11/24/26" (issue 16); another FORM is Babel's."""
    if value is None:
        return ""
    if form == "short":
        local = value.astimezone(ZoneInfo(tz)) if tz is not None else to_user_timezone(value)
        locale = str(get_locale() or "en")
        return f"{_day(local.date(), 'medium', locale)}, {babel_dates.format_time(local, 'short', locale=locale)}"
    if tz is None:
        return format_datetime(value, form)
    return babel_dates.format_datetime(value, form, tzinfo=ZoneInfo(tz), locale=get_locale())


@lru_cache(maxsize=256)
def _number_style(locale_id: str, pattern: str) -> tuple[NumberPattern, str, str, Decimal] | None:
    """PATTERN parsed and the language's group and decimal symbols, once per language and pattern; None for the
    patterns decimal() leaves to Babel (exponents, significant digits, currencies)."""
    parsed = parse_pattern(pattern)
    if parsed.exp_prec or "@" in parsed.pattern or "¤" in parsed.pattern:
        return None
    locale = Locale.parse(locale_id)
    return parsed, get_group_symbol(locale), get_decimal_symbol(locale), Decimal(10) ** -parsed.frac_prec[1]


def decimal(value, pattern: str) -> str:
    """VALUE as Babel's format_decimal(value, PATTERN) writes it in the current language, character for character
    (tests/test_formatting.py compares them), at a fifth of its cost.

    Babel looks the pattern and the language's symbols up again for every number; a report page shows hundreds
    (a quarter of the KPI page's time, profiled). Its NumberPattern.apply, minus the lookups: the value scaled
    (percent), its sign taken before rounding, rounded half-even to the most fraction digits, grouped, and the
    fraction cut to the pattern's least digits."""
    style = _number_style(str(get_locale() or "en"), pattern)
    if style is None or value is None:
        return format_decimal_babel(value, pattern)
    parsed, group, decimal_symbol, quantum = style
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    number = number.scaleb(parsed.scale)
    if not number.is_finite():
        return format_decimal_babel(value, pattern)
    negative = int(number.is_signed())
    whole, _sep, fraction = f"{abs(number).normalize().quantize(quantum):f}".partition(".")
    least, most = parsed.frac_prec
    if len(whole) < parsed.int_prec[0]:
        whole = "0" * (parsed.int_prec[0] - len(whole)) + whole
    size, grouped = parsed.grouping[0], ""
    while len(whole) > size:
        grouped = group + whole[-size:] + grouped
        whole = whole[:-size]
        size = parsed.grouping[1]
    text = whole + grouped
    fraction = (fraction or "0").ljust(least, "0")
    if not (most == 0 or (least == 0 and int(fraction) == 0)):
        while len(fraction) > least and fraction[-1] == "0":
            fraction = fraction[:-1]
        text += decimal_symbol + fraction
    text = parsed.prefix[negative] + (text if parsed.number_pattern != "" else "") + parsed.suffix[negative]
    return re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", text) if "'" in text else text


def format_decimal_babel(value, pattern: str) -> str:
    """Babel's own formatting of VALUE with PATTERN in the current language (what decimal() matches)."""
    from flask_babel import format_decimal

    return format_decimal(value, pattern)
