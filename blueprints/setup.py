"""The first run in the browser: while the database holds no club every page leads to /setup, which makes the
first club and owner login for whoever has the setup code; afterwards /setup is 404."""
from zoneinfo import available_timezones

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy.exc import SQLAlchemyError

from blueprints import api
from blueprints.auth import SESSION_KEY
from blueprints.forms import show_error
from blueprints.forms.setup import SetupForm
from clubcrm import db_outage, setup_code
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.services import clubs, first_run, login_sessions

bp = Blueprint("setup", __name__)

# Open before setup: static files, setup itself, the language switch, and Twilio's webhooks (they refuse an
# unsigned request with 403 on their own, and Twilio must not be sent to a form).
OPEN = {"static", "setup.form", "auth.set_locale", "twilio_hooks.status", "twilio_hooks.inbound"}
# app.extensions' key remembering that a club exists: clubs are never deleted, so one look per process suffices.
DONE = "clubcrm.set_up"


def is_set_up() -> bool:
    """Tell whether the installation holds a club (asked once per process until it does)."""
    if current_app.extensions.get(DONE):
        return True
    if clubs.any_club():
        current_app.extensions[DONE] = True
        return True
    return False


@bp.before_app_request
def lead_to_setup():
    """Send every page to /setup while the database holds no club."""
    # The API is left to its bearer tokens: before setup there is no login, so it answers every request with its
    # JSON 401 (and a turnstile script gets JSON, never the setup page).
    if request.endpoint in OPEN or api.is_api_request():
        return None
    try:
        if is_set_up():
            return None
    except SQLAlchemyError as error:
        if db_outage.is_unreachable(error):
            raise   # answered 503 by the error pages
        db.session.rollback()   # no tables yet (before `clubcrm db upgrade`): the page answers for itself
        return None
    if not current_app.extensions.get(setup_code.ANNOUNCED):
        # Gunicorn's workers log the code at start; any other server (flask run, another WSGI host) at its first
        # page, so the log shows it however the server was started.
        setup_code.log_code(current_app)
    return redirect(url_for("setup.form"))


@bp.route("/setup", methods=["GET", "POST"])
def form():
    """Set up an empty installation: its first club and owner login, for whoever has the setup code."""
    code_file = setup_code.path(current_app)
    if is_set_up():
        setup_code.discard(code_file)   # left by a worker that wrote it while another finished setup
        abort(404)
    form = SetupForm()
    if not form.is_submitted():
        form.locale.data = str(get_locale())   # the language this page is shown in
    if form.validate_on_submit():
        # Counted before the verdict, as a login is, so that parallel guesses see each other.
        with unit_of_work():
            attempt = first_run.begin_code_attempt(request.remote_addr)
        try:
            first_run.check_code(attempt, code_file, form.setup_code.data)
        except DomainError as error:
            db.session.commit()   # keep the verdict: a wrong code counts, a throttled attempt is forgotten
            show_error(form, error)
        else:
            db.session.commit()
            try:
                with unit_of_work():
                    club, owner = first_run.set_up(form.data)
                    token = login_sessions.start(owner, request.user_agent.string, request.remote_addr)
            except DomainError as error:
                if error.code == "already_set_up":   # another browser or the shell finished first
                    abort(404)
                show_error(form, error)
            else:
                setup_code.discard(code_file)
                current_app.extensions[DONE] = True
                login_user(owner)
                session[SESSION_KEY] = token
                flash(_("%(club)s is set up and you are logged in as its owner. The checklist below shows what "
                        "to do next.", club=club.name), "success")
                return redirect(url_for("desk.index"))
    setup_code.current(code_file)   # write it now, so that whoever runs this server can read it
    return render_template("setup/form.html", form=form, timezones=sorted(available_timezones()),
                           currencies=sorted(clubs.CURRENCIES)), 422 if form.errors else 200
