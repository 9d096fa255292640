"""Error pages for every HTTP error, 4xx for domain errors that reach the top, 503 while the database is away or
when a request's statement ran past its time limit."""
from flask import Blueprint, Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from blueprints import api, member_page
from clubcrm import db_outage, statement_timeout
from clubcrm.errors import DomainError
from clubcrm.extensions import db, login_manager

bp = Blueprint("errors", __name__)


def install_handlers(app: Flask) -> None:
    """Register the error pages on APP."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if api.is_api_request():   # also a route under /api/v1 that does not exist, or a method it lacks
            return api.http_error_response(error)
        if request.path.startswith("/m/"):   # a member page: the plain page, no hint of a staff site behind it
            return member_page.plain_error(error.code)
        return render_template("errors/error.html", code=error.code, error=error), error.code

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return render_template("errors/error.html", code=error.http_status, error=error), error.http_status

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if db_outage.is_unreachable(error):
            return unavailable(error)
        db.session.rollback()
        if statement_timeout.is_timeout(error):   # the reports have a page of their own for it, with their filters
            app.logger.warning("A request was stopped by the statement time limit: %s", error)
            if api.is_api_request():
                return api.too_long_response()
            stopped = {"message": _("This page took too long and was stopped; nothing was changed. Try again, or ask "
                                    "for less.")}
            return render_template("errors/error.html", code=503, error=stopped), 503
        app.logger.exception("Unhandled error")
        if api.is_api_request():
            return api.server_error_response()
        try:
            return render_template("errors/error.html", code=500, error=None), 500
        except Exception:  # the page itself failed: still answer, in plain words
            return "Internal error; nothing was saved.", 500


def unavailable(error: Exception):
    """Answer 503 with Retry-After while the database cannot be reached: a page, or the API's JSON error."""
    from flask import current_app

    current_app.logger.warning("The database cannot be reached: %s", error)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it once the database is back
        pass
    retry = {"Retry-After": str(db_outage.RETRY_AFTER_SECONDS)}
    if api.is_api_request():
        return api.unavailable_response()
    # Whoever is logged in, the page is drawn as for nobody: loading the login would ask the database again.
    login_manager._update_request_context_with_user()
    try:
        return render_template("errors/unavailable.html"), 503, retry
    except Exception:  # the page itself failed: still answer 503, in plain words
        return "The database cannot be reached right now; nothing was saved.", 503, retry
