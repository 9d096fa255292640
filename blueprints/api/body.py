"""Reading the API's input: a JSON object body and query parameters, each value checked for its type."""
from flask import abort, request
from flask_babel import lazy_gettext as _l

from clubcrm.errors import InvalidInput

MAX_ID = 2**31 - 1


def json_object() -> dict:
    """The request body as a JSON object; 415 when it is not JSON, 400 when it is not an object.

    The body is read within the API's budget (blueprints/request_budget.py): past API_MAX_CONTENT_LENGTH, announced
    or chunked, the read itself ends in 413."""
    if not request.is_json:
        abort(415)
    try:
        body = request.get_json(silent=True)
    except RecursionError:   # "[[[[..." nested deeper than the parser goes: not a ValueError, so not silenced
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    return body


def _clean_text(field: str, value: str, max_length: int) -> str:
    if "\x00" in value:
        raise InvalidInput(field, _l("Text cannot contain NUL characters."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate, which JSON's \ud800 escape can carry
        raise InvalidInput(field, _l("This text is not valid Unicode.")) from None
    if len(value) > max_length:
        raise InvalidInput(field, _l("At most %(n)s characters.", n=max_length))
    return value


def text(body: dict, field: str, max_length: int) -> str | None:
    """BODY[FIELD] as a string (None when missing or null)."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, _l("Send text."))
    return _clean_text(field, value, max_length)


def boolean(body: dict, field: str) -> bool:
    """BODY[FIELD] as true or false (false when missing or null)."""
    value = body.get(field)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidInput(field, _l("Send true or false."))
    return value

