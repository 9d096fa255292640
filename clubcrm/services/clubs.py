"""Clubs of the chain: the checks every way of making or editing a club shares (setup, Settings → Clubs,
`clubcrm club add`), and making one with its default lifecycle tools and rules and opening hours."""
from zoneinfo import available_timezones

from babel import Locale
from flask_babel import lazy_gettext as _l
from phonenumbers import SUPPORTED_REGIONS
from sqlalchemy import func, select

from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.lifecycle import defaults
from clubcrm.models import Club, Staff
from clubcrm.phones import to_e164
from clubcrm.services import audit, lead_cycles, opening_hours

# ISO 4217 codes Babel has names for (it formats money in these).
CURRENCIES = frozenset(Locale("en").currencies)
# The fields setup, the clubs page and the CLI ask for; `phone` is optional.
DETAILS = ("name", "timezone", "currency", "country", "default_locale", "phone")


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def checked_details(data: dict) -> dict:
    """Return the club's details from DATA, normalised (codes upper-case, phone E.164), or refuse the first
    bad one naming its field."""
    name = _text(data, "name")
    if not name or len(name) > 80:
        raise InvalidInput("name", _l("Enter a name of at most 80 characters."))
    timezone = _text(data, "timezone")
    if timezone not in available_timezones():
        raise InvalidInput("timezone", _l("Choose a time zone such as Europe/Helsinki."))
    currency = _text(data, "currency").upper()
    if currency not in CURRENCIES:
        raise InvalidInput("currency", _l("Choose a currency code such as EUR."))
    country = _text(data, "country").upper()
    if country not in SUPPORTED_REGIONS:
        raise InvalidInput("country", _l("Choose a country code such as FI."))
    locale = _text(data, "default_locale")
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput("default_locale", _l("Choose one of the offered languages."))
    phone = _text(data, "phone")
    return {"name": name, "timezone": timezone, "currency": currency, "country": country,
            "default_locale": locale, "phone": to_e164(phone, country) if phone else None}


def any_club() -> bool:
    """Tell whether the database holds a club (a fresh installation holds none until setup)."""
    return bool(db.session.scalar(select(func.count()).select_from(Club)))


def create(actor: Staff | None, data: dict) -> Club:
    """Add a club with the details in DATA, its default lifecycle tools and rules, its default opening hours and
    its default lost reasons; the caller commits."""
    details = checked_details(data)
    club = Club(**details)
    db.session.add(club)
    db.session.flush()
    defaults.ensure(club)
    opening_hours.add_defaults(club)
    lead_cycles.ensure_reasons(club.id)
    audit.record(actor, "create", "club", club.id, club_id=club.id, after=details)
    return club
