"""Cells of contract and visit files read as values: dates as another system writes them, instants in the club's
time zone or with their offset, prices in the club's currency, whole units."""
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from sqlalchemy import select

from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.imports.rows import read_date
from clubcrm.services.members import fold
from clubcrm.services.settings import price_in_minor

MESSAGE_DAY = _l("Enter a date such as 31.12.2026 or 2026-12-31.")
MESSAGE_INSTANT = _l("Enter a date and time such as 31.12.2026 18:30 or 2026-12-31T18:30:00+02:00.")
# "31.12.2026 18:30", "2026-12-31 18:30:15": the club's local time.
_LOCAL = re.compile(r"(?P<day>[\d./-]+)[ T]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?")


def by_name(model, club_id: int) -> dict:
    """The club's plans or services (MODEL) by folded name, retired ones too: past contracts and balances were
    sold on them; a name in use twice resolves to the one still sold."""
    found: dict = {}
    for item in db.session.scalars(select(model).where(model.club_id == club_id)
                                   .order_by(model.active.desc(), model.id)):
        found.setdefault(fold(item.name), item)
    return found


def read_named(items: dict, text: str | None, field: str, unknown, blank):
    """Return the item of ITEMS (from by_name) that TEXT names, or refuse FIELD: UNKNOWN for a name the club does
    not have, BLANK for none."""
    name = (text or "").strip()
    item = items.get(fold(name)) if name else None
    if item is None:
        raise InvalidInput(field, unknown if name else blank)
    return item


def read_day(text: str, field: str, today: date) -> date | None:
    """Read a contract date (blank: None); a two-digit year is 20yy, as contracts are of this century."""
    try:
        # read_date takes a two-digit year as the latest one not after its "today": contracts are 20yy.
        return read_date(text, date.max)
    except InvalidInput:
        raise InvalidInput(field, MESSAGE_DAY) from None


def read_instant(text: str, field: str, tz: str) -> datetime:
    """Read a visit's time: ISO 8601 with an offset, or the club's local time (a date alone is its noon)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(field, MESSAGE_INSTANT)
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return moment
    local = _LOCAL.fullmatch(text)
    try:
        if local:
            day = read_date(local["day"], date.max)
            clock = time(int(local["h"]), int(local["m"]), int(local["s"] or 0))
        else:
            day, clock = read_date(text, date.max), time(12)
        if day is None:
            raise InvalidInput(field, MESSAGE_INSTANT)
        return datetime.combine(day, clock, ZoneInfo(tz))
    except (InvalidInput, ValueError):
        raise InvalidInput(field, MESSAGE_INSTANT) from None


def read_price(text: str, currency: str, field: str = "price") -> int | None:
    """Read a price in major units as people write it (1 200,50 · 1.200,50 · 1200.50 · 59 €); blank: None."""
    cleaned = re.sub(r"[^\d,.\-]", "", text or "")
    if not cleaned:
        if re.search(r"\d", text or ""):
            raise InvalidInput(field, _l("Enter a price such as 590,00."))
        return None
    if "," in cleaned and "." in cleaned:   # the later one is the decimal mark
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    if cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "", cleaned.count(".") - 1)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput(field, _l("Enter a price such as 590,00.")) from None
    return price_in_minor(amount, currency, field)


def read_units(text: str, field: str = "units") -> int:
    """Read the units left on a package: a whole number from 1 to 1000."""
    try:
        units = int((text or "").strip().replace(" ", ""))
    except ValueError:
        units = 0
    if not 1 <= units <= 1000:
        raise InvalidInput(field, _l("Enter the units left as a whole number from 1 to 1000."))
    return units
