"""The one CSV writer of every download (data exports, report tables, import reports).

Spreadsheets are the readers, so the file is made for them and safe in them (OWASP's CSV injection guidance,
ASVS 1.2.10): UTF-8 with a BOM so that the letters read right; RFC 4180 quoting with every text cell quoted, so
that a separator inside a cell (a `;` for a German Excel) never starts a new cell; a text cell that a
spreadsheet would run as a formula (it starts with = + - @, a tab, a line break or NUL, also after spaces, or
with their full-width forms) gets a leading `'`. Only values that are numbers in Python (ints, Decimals,
floats, flags) are written bare, with a decimal point: a negative amount stays a number, while the text "-5"
typed in a name is defused like any other text. Dates are ISO; an instant is written in one named time zone,
and its column's header says which ("created_at (UTC)"). Lines are produced one at a time, so a million rows
never sit in memory.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

BOM = "\ufeff"
EOL = "\r\n"
# What makes a spreadsheet evaluate a cell: =, +, -, @ (and their full-width forms, which some spreadsheets
# read as the same), also behind leading blanks that an import may trim; or a leading tab, CR, LF or NUL.
_FORMULA = re.compile(r"^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n\x00]")


@dataclass(frozen=True)
class Column:
    """A column's header; INSTANT marks a column of instants, whose header then names the time zone."""

    label: str
    instant: bool = False


def defused(text: str) -> str:
    """TEXT as a spreadsheet shows it and never runs it: a leading quote before anything formula-like."""
    return "'" + text if _FORMULA.match(text) else text


def number(value: int | float | Decimal) -> str | None:
    """A number as the CSV holds it: a decimal point, no exponent, floats to 4 places; None if not finite."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if not math.isfinite(value):
        return None
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def plain(value, zone: str = "UTC") -> str:
    """A value as text, undefused (what a page's data-value holds): numbers as number() writes them, ISO dates,
    aware instants in ZONE."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return number(value) or ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("an instant without a time zone cannot be written")
        return value.astimezone(ZoneInfo(zone)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def cell(value, zone: str = "UTC") -> str:
    """VALUE as one CSV field: numbers bare, text quoted and defused, nothing for None and ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return number(value) or ""
    return _quoted(defused(plain(value, zone)))


def header_label(column: Column | str, zone: str) -> str:
    """A column's header, with the time zone named when the column holds instants."""
    if isinstance(column, Column):
        return f"{column.label} ({zone})" if column.instant else column.label
    return str(column)


def lines(columns: Sequence[Column | str], rows: Iterable[Sequence], zone: str = "UTC") -> Iterator[str]:
    """The CSV of ROWS under COLUMNS, one line at a time, the first with a BOM; instants are written in ZONE
    (an IANA name), and an instant outside a column marked as one is refused (its header would not say the
    zone)."""
    ZoneInfo(zone)   # an unknown zone fails here, before the download starts
    return _lines(list(columns), rows, zone)


def _lines(columns: list[Column | str], rows: Iterable[Sequence], zone: str) -> Iterator[str]:
    instant = [isinstance(c, Column) and c.instant for c in columns]
    width = len(columns)
    yield BOM + ",".join(_quoted(defused(header_label(c, zone))) for c in columns) + EOL
    for row in rows:
        values = tuple(row)
        if len(values) != width:
            raise ValueError(f"a row of {len(values)} values under {width} columns")
        out = []
        for index, value in enumerate(values):
            kind = type(value)
            # The common kinds first, without the generic path's checks (a million visits go through here).
            if kind is int:
                out.append(str(value))
            elif kind is str:
                out.append(_quoted(defused(value)) if value else "")
            elif value is None:
                out.append("")
            else:
                if isinstance(value, datetime) and not instant[index]:
                    raise ValueError(f"an instant in column {header_label(columns[index], zone)!r}, not marked "
                                     "as one")
                out.append(cell(value, zone))
        yield ",".join(out) + EOL
