"""Date fields typed and shown in the reader's own format, not the browser's.

Chromium draws `<input type=date>` and `datetime-local` in the browser's language (mm/dd/yyyy for most installs),
whatever language the person chose here. These fields are text inputs instead: they show the value, and read what
is typed, in the format of the locale Flask-Babel picked for the request, and static/js/datepicker.js adds a
calendar to them.

The format is Babel's (CLDR's) short date pattern with a four-digit year (a two-digit year is a guess on a birth
date): en "M/d/yyyy", de and ru "dd.MM.yyyy", fi "d.M.yyyy", sl and sk "d. M. yyyy". Reading is lenient: one or two
digits for the day and month, spaces after the separators or not. ISO (2026-03-17, and 2026-03-17T18:00 for a time)
is always read too: links, bookmarks, scripts and tests send it. Another language's format is not: what the page
asks for is what it reads.

A date and time is the date, a space, and the time on the 24-hour clock, "HH:mm", in every locale (en's own
"h:mm a" would make people type AM/PM); "18.00", Finnish style, is read too.
"""
import re
from datetime import date, datetime
from functools import cache

from babel.dates import get_date_format
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import TextInput

ISO_DATE = "yyyy-MM-dd"
TIME_FORMAT = "HH:mm"
# A pattern's parts: a run of one field letter, a quoted literal, any other letters, or literal text.
_PART = re.compile(r"d+|M+|y+|'[^']*'|[A-Za-z]+|[^A-Za-z']+")
# Digits are ASCII: re's \d would also take other scripts' digits, which no one types here and int() would read.
_NUMBER = {"d": r"(?P<day>[0-9]{1,2})", "M": r"(?P<month>[0-9]{1,2})", "y": r"(?P<year>[0-9]{4})"}
# A time after the date: a space, a comma or ISO's T; hours and minutes (and ignored seconds) by ":" or ".".
_TIME = r"(?:\s*,\s*|\s+|T)(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})(?:[:.][0-9]{2})?"


def current_locale() -> str:
    """The request's locale as a code ("en" where there is none, as in the worker)."""
    return str(get_locale() or "en")


def _numeric(pattern: str) -> bool:
    """Whether PATTERN holds day, month and year once each, as numbers, and nothing else but separators."""
    parts = _PART.findall(pattern)
    fields = [p for p in parts if p[0].isalpha()]
    return sorted(p[0] for p in fields) == ["M", "d", "y"] and all(
        p in ("d", "dd", "M", "MM", "yyyy") for p in fields) and not any(p.startswith("'") for p in parts)


@cache
def date_pattern(locale: str) -> str:
    """The date format of LOCALE, e.g. "dd.MM.yyyy": CLDR's short pattern (else medium) with a four-digit year;
    ISO's when neither is all numbers."""
    for width in ("short", "medium"):
        pattern = re.sub(r"y+", "yyyy", get_date_format(width, locale=locale).pattern)
        if _numeric(pattern):
            return pattern
    return ISO_DATE


def datetime_pattern(locale: str) -> str:
    """The date and time format of LOCALE, e.g. "dd.MM.yyyy HH:mm"."""
    return f"{date_pattern(locale)} {TIME_FORMAT}"


@cache
def _date_regex(pattern: str) -> str:
    """A regular expression that reads PATTERN leniently: 1 or 2 digits, any spaces around the separators."""
    out = []
    for part in _PART.findall(pattern):
        if part[0] in _NUMBER:
            out.append(_NUMBER[part[0]])
        elif part.strip():
            out.append(r"\s*" + re.escape(part.strip()) + r"\s*")
        else:
            out.append(r"\s+")
    return "".join(out)


def _read(text: str, locale: str, with_time: bool) -> datetime | None:
    text = text.strip()
    for pattern in (date_pattern(locale), ISO_DATE):
        found = re.fullmatch(_date_regex(pattern) + (_TIME if with_time else ""), text)
        if found is None:
            continue
        numbers = {name: int(value) for name, value in found.groupdict().items()}
        try:
            return datetime(numbers["year"], numbers["month"], numbers["day"],
                            numbers.get("hour", 0), numbers.get("minute", 0))
        except ValueError:   # 31.02., month 13, hour 24: the right shape, no such day or time
            return None
    return None


def parse_date(text: str, locale: str) -> date | None:
    """The day TEXT names in LOCALE's format (or ISO); None if it names none."""
    found = _read(text, locale, with_time=False)
    return found.date() if found is not None else None


def parse_datetime(text: str, locale: str) -> datetime | None:
    """The naive date and time TEXT names as LOCALE's date, a space and HH:mm (or ISO's); None if none."""
    return _read(text, locale, with_time=True)


def format_date(value: date, locale: str) -> str:
    """VALUE in LOCALE's date format, e.g. 17.03.2026."""
    numbers = {"d": value.day, "M": value.month, "y": value.year}
    return "".join(
        f"{numbers[part[0]]:0{len(part)}d}" if part[0] in numbers else part
        for part in _PART.findall(date_pattern(locale)))


def format_datetime(value: datetime, locale: str) -> str:
    """VALUE in LOCALE's date format and HH:mm, e.g. 17.03.2026 18:00 (naive: the wall clock it holds)."""
    return f"{format_date(value, locale)} {value:%H:%M}"


class LocaleDateInput(TextInput):
    """A text input that says its format: as the placeholder, and to the calendar as data-date-format (and
    data-time-format for a date and time). inputmode=numeric asks a touch screen for its digit keyboard."""

    def __init__(self, with_time: bool) -> None:
        super().__init__()
        self.with_time = with_time

    def __call__(self, field: Field, **kwargs) -> Markup:
        locale = current_locale()
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("placeholder", datetime_pattern(locale) if self.with_time else date_pattern(locale))
        kwargs.setdefault("data-date-format", date_pattern(locale))
        if self.with_time:
            kwargs.setdefault("data-time-format", TIME_FORMAT)
        return super().__call__(field, **kwargs)


class _LocaleField(Field):
    """A text field read and shown in the reader's locale's format (subclasses say how: _show, _read, _refused)."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)   # what was typed, as typed, under its error
        return self._show(self.data, current_locale()) if self.data is not None else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        self.data = None
        if not text:
            return   # empty: Optional lets it be, InputRequired says it is required
        locale = current_locale()
        self.data = self._read(text, locale)
        if self.data is None:
            raise ValueError(self._refused(locale))


class LocaleDateField(_LocaleField):
    """A day (datetime.date), typed and shown in the reader's locale's format; ISO is read too."""

    widget = LocaleDateInput(with_time=False)
    _show = staticmethod(format_date)
    _read = staticmethod(parse_date)

    @staticmethod
    def _refused(locale: str) -> str:
        return _l("Enter a date as %(format)s.", format=date_pattern(locale))


class LocaleDateTimeField(_LocaleField):
    """A naive date and time (the club's wall clock, as DateTimeLocalField gave), typed and shown as the reader's
    date format and HH:mm; ISO's 2026-03-17T18:00 is read too."""

    widget = LocaleDateInput(with_time=True)
    _show = staticmethod(format_datetime)
    _read = staticmethod(parse_datetime)

    @staticmethod
    def _refused(locale: str) -> str:
        return _l("Enter a date and time as %(format)s.", format=datetime_pattern(locale))
