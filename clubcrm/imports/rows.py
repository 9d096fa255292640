"""One spreadsheet row to a member's fields: names split, dates and yes/no read, then the members rules."""
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from clubcrm.errors import InvalidInput
from clubcrm.i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from clubcrm.models import Club
from clubcrm.services.members import _clean, fold

YES = {"yes", "y", "true", "1", "x", "+", "ok", "ja", "j", "да", "д", "kylla", "k", "joo", "on", "da", "ano",
       "agree", "si", "✓", "✔"}
NO = {"no", "n", "false", "0", "-", "nein", "нет", "н", "ei", "e", "ne", "nie", "off", ""}
LOCALES = {fold(name): code for code, name in LOCALE_NAMES.items()} | {code: code for code in SUPPORTED_LOCALES} | {
    "english": "en", "englisch": "en", "английский": "en", "eng": "en",
    "german": "de", "deutsch": "de", "немецкий": "de", "saksa": "de", "ger": "de", "deu": "de",
    "russian": "ru", "russisch": "ru", "русский": "ru", "venaja": "ru", "rus": "ru",
    "finnish": "fi", "finnisch": "fi", "финский": "fi", "suomi": "fi", "fin": "fi",
    "slovenian": "sl", "slovene": "sl", "slowenisch": "sl", "slovenscina": "sl", "slv": "sl", "si": "sl",
    "slovak": "sk", "slowakisch": "sk", "slovencina": "sk", "slk": "sk",
}
# Day first (the six locales write dates so): 31.12.1990, 31/12/1990, 31-12-1990, 1.2.90; or year first.
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})\.?")
_YEAR_FIRST = re.compile(r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})\.?")
# Excel writes a date cell with its time when the cell's format has one: "1990-12-31 00:00:00".
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
MESSAGE_DATE = _l("Enter a date such as 31.12.1990 or 1990-12-31.")


@dataclass
class Refusal:
    """One problem of one row: the line, the member field and what is wrong, in plain words."""

    line: int
    field: str
    message: object   # a lazy string: rendered in the reader's language


def read_date(text: str, today: date) -> date | None:
    """Read a date typed day first or year first; a two-digit year is the latest one not after TODAY."""
    text = _TIME.sub("", text.strip()).replace(" ", "") if text else ""
    if not text:
        return None
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DAY_FIRST.fullmatch(text)
        if not match:
            raise InvalidInput("birth_date", MESSAGE_DATE)
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput("birth_date", MESSAGE_DATE) from None


def read_yes_no(text: str) -> bool:
    """Read a yes or a no in any of the six languages (x, 1, ✓ and blank too)."""
    word = fold(text).strip(" .!")
    if word in YES:
        return True
    if word in NO:
        return False
    raise InvalidInput("sms_consent", _l("Write yes or no."))


def read_locale(text: str, club: Club) -> str:
    """Read a language as a code (ru) or a name in English or in itself; blank is the club's language."""
    word = fold(text)
    if not word:
        return club.default_locale
    code = LOCALES.get(word) or LOCALES.get(word.replace("_", "-").split("-")[0])
    if code is None:
        raise InvalidInput("locale", _l("Choose one of the offered languages."))
    return code


def split_name(text: str, last_first: bool) -> tuple[str, str]:
    """Split a full name: "Anna Maria Virtanen" → (Anna Maria, Virtanen); "Last, First" or a ФИО last first."""
    text = " ".join(text.split())
    if "," in text:
        last, _sep, first = text.partition(",")
        return first.strip(), last.strip()
    parts = text.split(" ")
    if len(parts) == 1:
        return parts[0], ""
    if last_first:
        return " ".join(parts[1:]), parts[0]
    return " ".join(parts[:-1]), parts[-1]


def _raw(fields: list[str | None], cells: list[str]) -> dict[str, str]:
    """The cells of one record by member field (columns mapped to nothing left out)."""
    raw: dict[str, str] = {}
    for field, cell in zip(fields, cells, strict=False):   # a short row leaves its last fields blank
        if field is not None:
            raw[field] = cell.strip()
    return raw


def _member_data(raw: dict[str, str], club: Club, today: date, skip: set[str]) -> dict:
    """The row as members._clean takes it; a field in SKIP is left blank (it was already refused)."""
    data: dict = {}
    if "full_name" in raw or "full_name_rev" in raw:
        key = "full_name" if "full_name" in raw else "full_name_rev"
        data["first_name"], data["last_name"] = split_name(raw[key], last_first=key == "full_name_rev")
    for key in ("first_name", "last_name", "phone", "email", "card_code", "notes", "interest"):
        if raw.get(key):
            data[key] = raw[key]
    if raw.get("birth_date") and "birth_date" not in skip:
        data["birth_date"] = read_date(raw["birth_date"], today)
    if "locale" not in skip:
        data["locale"] = read_locale(raw.get("locale", ""), club)
    if "sms_consent" not in skip:
        data["sms_consent"] = read_yes_no(raw.get("sms_consent", ""))
    for key in skip:
        data.pop(key, None)
    if "first_name" in skip:
        data["first_name"] = "-"   # keep looking for the row's other problems
    return data


def normalize(line: int, fields: list[str | None], cells: list[str], club: Club, today: date
              ) -> tuple[dict | None, list[Refusal]]:
    """Return (member values, []) for a good row, or (None, every problem found) for a bad one."""
    raw = _raw(fields, cells)
    problems: list[Refusal] = []
    skip: set[str] = set()
    while True:
        try:
            data = _member_data(raw, club, today, skip)
            values = _clean(club, data)
            if data.get("sms_consent") and not values["phone"] and "phone" not in skip:
                raise InvalidInput("sms_consent", _l("SMS consent needs a phone number."))
        except InvalidInput as error:
            fields_refused = [each.field or "file" for each in getattr(error, "errors", None) or [error]]
            for each in getattr(error, "errors", None) or [error]:
                problems.append(Refusal(line, each.field or "file", each.message))
            if any(field in skip for field in fields_refused) or len(problems) > 10:
                return None, problems
            skip.update(fields_refused)
            continue
        if problems:
            return None, problems
        values["sms_consent"] = bool(data.get("sms_consent"))
        return values, []
