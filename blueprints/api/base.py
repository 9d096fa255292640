"""The API's blueprint: bearer-token login, the rate limit, and every error as {"error": {...}} JSON."""
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from clubcrm import db_outage, statement_timeout
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.models import Staff
from clubcrm.services import api_tokens
from clubcrm.services.club_closing import refuse_if_closed
from clubcrm.services.ratelimit import RateLimiter

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
# Endpoints anyone may read without a token.
PUBLIC_ENDPOINTS = {"api.openapi"}

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
    503: "unavailable",
}


def http_messages() -> dict[int, str]:
    """Plain words for the HTTP errors, in the request's language."""
    return {
        400: _("The request could not be read."),
        401: _("Send a valid API token: Authorization: Bearer <token>."),
        403: _("This login may not do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
        415: _("Send the body as JSON (Content-Type: application/json)."),
        422: _("Some input is not valid."),
        429: _("Too many requests: wait a moment and try again."),
        503: _("The database cannot be reached right now; nothing was saved. Try again in a minute."),
    }


def is_api_request() -> bool:
    """Tell whether this request is for the API (JSON errors), even when no route of it matched."""
    path = request.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def error_response(status: int, code: str, message, field: str | None = None,
                   headers: dict | None = None) -> Response:
    """Build the API's error answer."""
    response = jsonify({"error": {"code": code, "message": str(message), "field": field}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def http_error_response(error: HTTPException) -> Response:
    """Answer an HTTP error (routing, abort) under /api/v1 as JSON."""
    status = error.code or 500
    if status >= 500:
        return server_error_response()
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ClubCRM"'
    message = http_messages().get(status) or error.description
    return error_response(status, HTTP_CODES.get(status, "error"), message, headers=headers)


def server_error_response() -> Response:
    """Answer an unexpected failure: nothing was saved (a bug to fix, never an answer to plan for)."""
    db.session.rollback()
    return error_response(500, "server_error", _("Internal error; nothing was saved."))


def too_long_response() -> Response:
    """Answer a request stopped by the statement time limit: 503, nothing was changed; ask for less."""
    db.session.rollback()
    return error_response(503, "too_long", _("This request took too long and was stopped; nothing was changed. "
                                             "Ask for less, for example a shorter period."))


def unavailable_response() -> Response:
    """Answer while the database cannot be reached: 503, try again after Retry-After seconds."""
    return error_response(503, "unavailable", http_messages()[503],
                          headers={"Retry-After": str(db_outage.RETRY_AFTER_SECONDS)})


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Answer a refused rule with its status, code, message and field; nothing it began is kept."""
    db.session.rollback()
    return error_response(error.http_status, error.code, error.message, error.field)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Answer an abort() in the API as JSON."""
    return http_error_response(error)


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    """Answer 503 while the database is unreachable or when a statement ran past the request's time limit;
    otherwise log a bug and answer 500 as JSON."""
    if db_outage.is_unreachable(error):
        from blueprints.errors import unavailable   # here: blueprints.errors imports this package

        return unavailable(error)
    if statement_timeout.is_timeout(error):
        current_app.logger.warning("An API request was stopped by the statement time limit: %s", error)
        return too_long_response()
    current_app.logger.exception("Unhandled error in the API")
    return server_error_response()


def _limiter() -> RateLimiter:
    limiter = current_app.extensions.get("clubcrm_api_ratelimit")
    if limiter is None:
        limiter = RateLimiter(int(current_app.config["API_RATE_LIMIT_PER_MINUTE"]))
        current_app.extensions["clubcrm_api_ratelimit"] = limiter
    return limiter


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _sep, value = request.headers.get("Authorization", "").strip().partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


@bp.before_request
def authenticate():
    """Find the staff behind the bearer token and count the request against its (or the address's) limit."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = bearer_token()
    with unit_of_work():
        staff = api_tokens.authenticate(token) if token else None
    # A known token is limited on its own; guesses and calls without one are limited per address.
    key = f"token:{api_tokens.hash_token(token)[:24]}" if staff else f"addr:{request.remote_addr}"
    wait = _limiter().hit(key)
    if wait is not None:
        return error_response(429, "rate_limited", http_messages()[429], headers={"Retry-After": str(wait)})
    if staff is None:
        return error_response(401, "unauthorized", http_messages()[401],
                              headers={"WWW-Authenticate": 'Bearer realm="ClubCRM"'})
    if staff.club is not None:   # a closed club's tokens open nothing, as its logins do not
        try:
            refuse_if_closed(staff.club, None)
        except DomainError as error:
            return error_response(error.http_status, error.code, error.message)
    g.api_staff = staff
    return None


def current_staff() -> Staff:
    """The staff whose token this request carries."""
    return g.api_staff


@bp.after_request
def no_store(response: Response) -> Response:
    """Keep members' data out of caches."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response
