"""Log in and out, signed-in devices, the password, and the interface language."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.forms import show_error
from blueprints.forms.auth import LoginForm, PasswordForm
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.services import auth, login_sessions, login_throttle, passwords

bp = Blueprint("auth", __name__)

# The key of the login session's id in Flask's (signed) session cookie.
SESSION_KEY = "login_session"
# The long-lived signed cookie that marks a browser which has logged in before (see login_throttle).
DEVICE_COOKIE = "clubcrm_device"


@bp.record_once
def _prepare_dummy_hash(state) -> None:
    """Make the dummy password hash when the app is built, so no login attempt pays for it."""
    passwords.dummy_hash(state.app.config["PASSWORD_HASH_METHOD"])


@bp.before_app_request
def check_login_session() -> None:
    """Let a session cookie in only while its login session lives: logged out, ended elsewhere, idle, too old,
    password changed or login switched off, it is refused (an old copy of the cookie opens nothing). Once a
    request: the request budget asks first, before anything reads the body."""
    if g.get("login_session_checked") or request.endpoint == "static" or "_user_id" not in session:
        return
    g.login_session_checked = True
    row, wrote = login_sessions.check(session.get(SESSION_KEY))
    live = row is not None and str(row.staff_id) == session.get("_user_id")
    if live:
        g.login_session_id = row.id
        # Held for the request: the identity map keeps rows weakly, and Flask-Login's user loader then finds
        # this staff row there instead of asking the database again.
        g.login_staff = row.staff
    if wrote:
        db.session.commit()
    if not live:
        _forget()


# What a login whose password a manager set may still open before choosing its own.
_BEFORE_NEW_PASSWORD = {"static", "auth.change_password", "auth.logout", "auth.set_locale"}


@bp.before_app_request
def require_own_password():
    """Send a login whose password a manager set to the password page before anything else (the API, which
    takes bearer tokens and no login cookie, is not concerned)."""
    # The endpoint first: the API's requests must not load a user here (its own check comes later, and reconnects
    # after a database restart; tests/test_db_outage.py).
    endpoint = request.endpoint or ""
    if endpoint in _BEFORE_NEW_PASSWORD or endpoint.startswith("api.") or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash(_("Your password was set by a manager: choose your own to go on."), "info")
        return redirect(url_for("auth.change_password"))
    return None


def _forget() -> None:
    """Drop the login from this browser's cookie (the login session itself is ended by the caller)."""
    logout_user()
    session.pop(SESSION_KEY, None)
    session.pop("club_id", None)
    g.pop("login_session_id", None)
    g.pop("login_staff", None)


def _safe_next(target: str | None) -> str:
    """Follow ?next= only within this site."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and not urlsplit(target).netloc):
        return target
    return url_for("desk.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a staff member in."""
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    form = LoginForm()
    if form.validate_on_submit():
        device = login_throttle.read_device(request.cookies.get(DEVICE_COOKIE))
        # Committed before the verdict, so that parallel guesses count each other (login_throttle.record).
        with unit_of_work():
            attempt = auth.begin_login(form.email.data, request.remote_addr, device)
        try:
            staff = auth.finish_login(attempt, form.password.data)
            token = login_sessions.start(staff, request.user_agent.string, request.remote_addr)
        except DomainError as error:
            db.session.commit()  # keep the verdict: a failure counts, a throttled attempt is forgotten
            show_error(form, error)
        else:
            db.session.commit()
            login_user(staff)
            session[SESSION_KEY] = token
            response = redirect(_safe_next(request.args.get("next")))
            response.set_cookie(DEVICE_COOKIE, login_throttle.device_cookie(device, staff.id),
                                max_age=86400 * current_app.config["LOGIN_DEVICE_COOKIE_DAYS"], httponly=True,
                                secure=bool(current_app.config["SESSION_COOKIE_SECURE"]), samesite="Lax")
            return response
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out: the login session ends now, so a copy of this browser's cookie opens nothing either."""
    with unit_of_work():
        login_sessions.end_token(session.get(SESSION_KEY), "logout")
    _forget()
    return redirect(url_for("auth.login"))


@bp.get("/account/devices")
@login_required
def devices():
    """List the devices where this login is signed in, this one marked."""
    return render_template("auth/devices.html", sessions=login_sessions.live_for(current_user),
                           this_session=g.get("login_session_id"))


@bp.post("/account/devices/<id:login_session_id>/end")
@login_required
def end_device(login_session_id: int):
    """Log one of this login's devices out."""
    try:
        with unit_of_work():
            login_sessions.end_one(current_user, login_session_id)
    except NotFound as error:
        flash(str(error.message), "danger")
        return redirect(url_for("auth.devices"))
    if login_session_id == g.get("login_session_id"):
        _forget()
        return redirect(url_for("auth.login"))
    flash(_("That device is logged out."), "success")
    return redirect(url_for("auth.devices"))


@bp.post("/account/devices/end-all")
@login_required
def log_out_everywhere():
    """Log this login out on every device, this one included."""
    with unit_of_work():
        ended = login_sessions.end_all(current_user, "everywhere")
    _forget()
    flash(ngettext("Logged out on %(num)d device.", "Logged out on %(num)d devices.", ended), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change this login's password; every device is logged out, this one signs in anew."""
    form = PasswordForm()
    if form.validate_on_submit():
        device = login_throttle.read_device(request.cookies.get(DEVICE_COOKIE))
        try:
            # Two steps, as at login: the check of the current password is counted before it is made.
            with unit_of_work():
                attempt = auth.begin_password_change(current_user, form.current_password.data,
                                                     form.new_password.data, form.repeat_password.data,
                                                     request.remote_addr, device)
            auth.change_password(current_user, attempt, form.current_password.data, form.new_password.data)
            token = login_sessions.start(current_user, request.user_agent.string, request.remote_addr)
        except DomainError as error:
            db.session.commit()  # keep the verdict, as at login: a failure counts, a throttled attempt is forgotten
            show_error(form, error)
        else:
            db.session.commit()
            session[SESSION_KEY] = token
            flash(_("Your password is changed; every other device is logged out."), "success")
            return redirect(url_for("auth.devices"))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.post("/club")
@login_required
def choose_club():
    """Let an owner switch the club they are working in."""
    from clubcrm.models import Club

    club_id = request.form.get("club_id", "")
    if (current_user.club_id is None and club_id.isascii() and club_id.isdigit() and len(club_id) <= 9
            and db.session.get(Club, int(club_id))):
        session["club_id"] = int(club_id)
    return redirect(url_for("desk.index"))


@bp.post("/locale")
def set_locale():
    """Switch the interface language for this browser (and remember it for the login)."""
    code = request.form.get("locale", "")
    if code in SUPPORTED_LOCALES:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
