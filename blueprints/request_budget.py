"""Request budgets: the most bytes of body each kind of route reads, enforced while the body is read.

API bodies get API_MAX_CONTENT_LENGTH, the import upload its file limit (jobs.MAX_BYTES) plus the form around it,
every other staff form MAX_CONTENT_LENGTH, and any request without a login (the login page, Twilio's webhooks,
the public pages) ANONYMOUS_MAX_CONTENT_LENGTH. The budget is applied before anything reads the body (CSRF and
the NUL check read the form): a Content-Length over it is answered 413 before a byte is read, and the WSGI input
itself is replaced by a BudgetStream, so a chunked body (which gunicorn delivers with `wsgi.input_terminated`)
ends in 413 as soon as it passes the budget, whoever reads it and however.
"""
import io

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints import api, auth
from clubcrm.imports import jobs
from clubcrm.services import photos

# The import form around its file: the multipart boundaries, the CSRF token and the file's part headers.
UPLOAD_FORM_BYTES = 64 * 1024
# Endpoints that take a file, each with the function that says how large the file may be.
UPLOAD_ENDPOINTS = {"imports.index": lambda: jobs.MAX_BYTES, "photos.upload": lambda: photos.MAX_BYTES}


def budget() -> int:
    """The most bytes this request's body may have."""
    config = current_app.config
    if api.is_api_request():
        return int(config["API_MAX_CONTENT_LENGTH"])
    # A live login session, not merely a cookie that names a staff id: an old copy of a logged-out cookie gets
    # the anonymous budget.
    auth.check_login_session()
    if not current_user.is_authenticated:
        return int(config["ANONYMOUS_MAX_CONTENT_LENGTH"])
    upload = UPLOAD_ENDPOINTS.get(request.endpoint or "")
    if upload is not None:
        return upload() + UPLOAD_FORM_BYTES
    return int(config["MAX_CONTENT_LENGTH"])


class BudgetStream(io.RawIOBase):
    """A request body that ends in 413 at its LIMIT + 1st byte.

    Werkzeug's own LimitedStream(max_content_length) returns a body cut at the maximum when it is read whole
    (get_data, an urlencoded form), so an oversized chunked JSON or form would be read cut short instead of
    refused: this stream reads one byte past the budget to tell the two apart."""

    def __init__(self, stream, limit: int) -> None:
        self._stream = stream
        self.limit = limit
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        allowed = min(len(buffer), self.limit + 1 - self.read_so_far)
        data = self._stream.read(allowed) if allowed > 0 else b""
        buffer[:len(data)] = data
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise RequestEntityTooLarge()
        return len(data)


def has_body() -> bool:
    """Tell whether the request carries a body: a Content-Length above 0, or a chunked one."""
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def apply_budget() -> None:
    """Give this request's body its budget; refuse at once a body that announces more (413)."""
    if not has_body():   # most GETs and every static file: no budget to find, so no login to load
        return
    limit = budget()
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    request.environ["wsgi.input"] = BudgetStream(request.environ["wsgi.input"], limit)
    # Werkzeug's own maximum one byte above the budget, so that BudgetStream is the one that sees the byte too many.
    request.max_content_length = limit + 1


def install(app: Flask) -> None:
    """Apply the budgets to APP, first of all its before_request steps."""
    app.before_request_funcs.setdefault(None, []).insert(0, apply_budget)
