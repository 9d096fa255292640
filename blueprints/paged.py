"""The page of a long list that a request asks for: its number from the query string, its size from the config."""
from flask import current_app, has_request_context, request

from clubcrm import paging


def requested(param: str = "page") -> tuple[int, int]:
    """Return (number, size) of the page asked for: a bad number is page 1 (one past the end becomes the last page
    in clubcrm.paging, once the list's length is known); outside a request, page 1."""
    raw = request.args.get(param) if has_request_context() else None
    return paging.number_from(raw), paging.size_from(current_app.config.get("LIST_PAGE_SIZE"))
