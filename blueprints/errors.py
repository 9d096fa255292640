"""Error pages for every HTTP error, and 4xx for domain errors that reach the top."""
from flask import Blueprint, Flask, render_template
from werkzeug.exceptions import HTTPException

from blueprints import api
from clubcrm.errors import DomainError
from clubcrm.extensions import db

bp = Blueprint("errors", __name__)


def install_handlers(app: Flask) -> None:
    """Register the error pages on APP."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if api.is_api_request():   # also a route under /api/v1 that does not exist, or a method it lacks
            return api.http_error_response(error)
        return render_template("errors/error.html", code=error.code, error=error), error.code

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return render_template("errors/error.html", code=error.http_status, error=error), error.http_status

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if api.is_api_request():
            return api.server_error_response()
        try:
            return render_template("errors/error.html", code=500, error=None), 500
        except Exception:  # the page itself failed: still answer, in plain words
            return "Internal error; nothing was saved.", 500
