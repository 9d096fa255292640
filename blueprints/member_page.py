"""The member page: PUBLIC_URL/m/<token> from an SMS opens the member's own page, without a login.

The token is the only key: a token that is unknown, expired, of an erased member or of a club whose member page is
off answers the same plain 404 page (`missing`), and a client that misses too often is slowed down (429). Every
response is `no-store` and `noindex`; the token never reaches a log (clubcrm.log_redaction keeps it out of the
request lines, and our own lines name the touchpoint). Every change is a POST with a CSRF token, and each one is
safe to repeat: a double tap books once.
"""
import logging

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh

from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.i18n import locale_or
from clubcrm.services import member_links, member_page, member_page_answers
from clubcrm.services.ratelimit import RateLimiter

bp = Blueprint("member_page", __name__, url_prefix="/m")
log = logging.getLogger(__name__)
LIMITER_KEY = "clubcrm.member_page_misses"


@bp.after_request
def private(response: Response) -> Response:
    """Nothing of a member page is kept by a browser or a proxy, or indexed by a search engine."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def missing() -> tuple[str, int] | tuple[str, int, dict]:
    """The one answer for every token that opens nothing: the same body whatever the reason. A client address that
    misses more than MEMBER_PAGE_MISSES_PER_MINUTE times a minute is answered 429 until the minute is over."""
    limiter = current_app.extensions.get(LIMITER_KEY)
    if limiter is None:
        limiter = current_app.extensions[LIMITER_KEY] = RateLimiter(
            int(current_app.config.get("MEMBER_PAGE_MISSES_PER_MINUTE") or 20))
    wait = limiter.hit(request.remote_addr or "-")
    if wait is not None:
        return render_template("member_page/missing.html", code=429), 429, {"Retry-After": str(wait)}
    return render_template("member_page/missing.html", code=404), 404


def plain_error(code: int):
    """Any other error under /m/ (a wrong method, a bad CSRF token, a path with no route): the plain page too."""
    response = current_app.make_response((render_template("member_page/missing.html", code=code), code))
    return private(response)


def _found(token: str):
    found = member_links.find(token)
    if found is not None:
        speak_as_member(found)
    return found


def speak_as_member(found) -> None:
    """Render the rest of this request in the member's language and their club's time zone."""
    g.member_locale = locale_or(found.member.locale, found.club.default_locale)
    g.member_timezone = found.club.timezone
    refresh()   # a language already chosen for this request (a staff preview's note) is chosen again


def _back(token: str):
    return redirect(url_for("member_page.page", token=token))


def _act(token: str, action, *args):
    """Run ACTION(found, *args) in one transaction for the member TOKEN opens; its message (or the refusal's) is
    flashed on the page it redirects back to."""
    found = _found(token)
    if found is None:
        return missing()
    try:
        with unit_of_work():
            said = action(found, *args)
    except DomainError as error:
        flash(str(error.message), "error")
        log.info("member page of touchpoint %s: %s refused (%s)",
                 found.touchpoint.id if found.touchpoint else None, action.__name__, error.code)
    else:
        if said:
            flash(str(said), "success")
    return _back(token)


@bp.get("/<token>")
def page(token: str):
    found = _found(token)
    if found is None:
        return missing()
    return render_page(found, token)


def render_page(found, token: str, preview: str | None = None) -> str:
    """The member's page; PREVIEW: as staff see it from the card, under that note (no open counted, every button
    disabled)."""
    return render_template("member_page/page.html", token=token, view=member_page.view(found), found=found,
                           preview=preview)


@bp.post("/<token>/viewed")
def viewed(token: str):
    """The page's own script posts here once it is shown in a browser: the first one counts as the link's open."""
    found = _found(token)
    if found is None:
        return missing()
    with unit_of_work():
        member_page_answers.viewed(found)
    return "", 204


@bp.post("/<token>/book/<id:session_id>")
def book(token: str, session_id: int):
    return _act(token, member_page.book, session_id)


@bp.post("/<token>/cancel/<id:booking_id>")
def cancel(token: str, booking_id: int):
    return _act(token, member_page.cancel, booking_id)


@bp.post("/<token>/renewal")
def renewal(token: str):
    return _act(token, member_page_answers.answer_renewal, request.form.get("answer", ""))


@bp.post("/<token>/sms")
def sms(token: str):
    return _act(token, member_page_answers.set_sms, request.form.get("sms", ""))


@bp.post("/<token>/language")
def language(token: str):
    return _act(token, member_page_answers.set_language, request.form.get("locale", ""))
