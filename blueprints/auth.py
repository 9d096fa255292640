"""Log in and out, and choose the interface language."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.forms import show_error
from blueprints.forms.auth import LoginForm
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.services.auth import authenticate

bp = Blueprint("auth", __name__)


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
        try:
            staff = authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.commit()  # keep the failure count: it is what locks a guessed account
            show_error(form, error)
        else:
            db.session.commit()
            login_user(staff)
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out."""
    logout_user()
    return redirect(url_for("auth.login"))


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
