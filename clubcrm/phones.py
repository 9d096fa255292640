"""Phone numbers: whatever staff type, stored and compared as E.164."""
from functools import lru_cache

import phonenumbers
from flask_babel import lazy_gettext as _l

from clubcrm.errors import InvalidInput


def to_e164(raw: str, country: str) -> str:
    """Read a phone typed in any common format (spaces, dashes, 00 or + prefix) as E.164."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise InvalidInput("phone", _l("This is not a phone number we can read.")) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", _l("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_e164(raw: str, country: str) -> str | None:
    """Return the E.164 form of RAW if it is a valid phone number, else None."""
    if sum(ch.isdigit() for ch in raw) < 6:
        return None
    try:
        return to_e164(raw, country)
    except InvalidInput:
        return None


@lru_cache(maxsize=4096)  # a results page shows up to 20 numbers; parsing each costs ~40 µs
def display(e164: str | None) -> str:
    """Format an E.164 number for people to read."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164
