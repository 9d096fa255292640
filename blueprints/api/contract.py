"""Reading the API's input exactly as the OpenAPI document (clubcrm/api_schema.py) describes it: what it allows is
read, what it refuses is refused. A query parameter that is sent must be valid (an empty `to=` is not a date, an
empty `club_id=` is not an id); one left out takes its default. A JSON id is any integer, 7.0 included."""
import re
from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l

from clubcrm import api_schema
from clubcrm.errors import InvalidInput


def matching(field: str, value: str | None, pattern: str, message) -> str | None:
    """VALUE if it is None or matches the document's PATTERN (search semantics, as JSON Schema's), else refuse it."""
    if value is not None and re.search(pattern, value) is None:
        raise InvalidInput(field, message)
    return value


def text(field: str, max_length: int) -> str | None:
    """The query parameter FIELD as plain text of at most MAX_LENGTH characters (None when left out)."""
    value = request.args.get(field)
    if value is None:
        return None
    if len(value) > max_length:
        raise InvalidInput(field, _l("At most %(n)s characters.", n=max_length))
    return matching(field, value, api_schema.PLAIN, _l("Text cannot contain control characters."))


def row_id(field: str) -> int | None:
    """The query parameter FIELD as a row id, a whole number from 1 (None when left out)."""
    value = request.args.get(field)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= api_schema.MAX_ID):
        raise InvalidInput(field, _l("Send an id: a whole number from 1."))
    return int(value)


def day(field: str) -> date | None:
    """The query parameter FIELD as a day written YYYY-MM-DD, from 2000 to 2100 (None when left out)."""
    value = request.args.get(field)
    if value is None:
        return None
    try:
        if re.search(api_schema.DAY, value) is None:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, _l("Enter a date between 2000 and 2100 as YYYY-MM-DD.")) from None


def body_id(body: dict, field: str) -> int | None:
    """BODY[FIELD] as a row id, None when missing or null; JSON's 7.0 is the integer 7, as JSON Schema reads it."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and 1 <= value <= api_schema.MAX_ID:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= api_schema.MAX_ID:
        raise InvalidInput(field, _l("Send an id: a whole number from 1."))
    return value
