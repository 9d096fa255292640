"""API tokens in the app: staff list, create (the token is shown once) and revoke the tokens they may manage."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.access import role_required
from blueprints.forms import show_error
from blueprints.forms.api_tokens import TokenForm
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.services import api_tokens

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")


def _page(form: TokenForm, created: str | None = None, status: int = 200):
    return render_template("api_tokens/index.html", form=form, created=created,
                           tokens=api_tokens.visible_to(current_user)), status


@bp.get("/")
@role_required("desk", "manager")
def index():
    """List the tokens this login may manage."""
    return _page(TokenForm(formdata=None))


@bp.post("/")
@role_required("desk", "manager")
def create():
    """Create a token for this login and show it, once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        with unit_of_work():
            token = api_tokens.issue(current_user, form.label.data or "")
    except DomainError as error:
        show_error(form, error)
        return _page(form, status=422)
    body, status = _page(TokenForm(formdata=None), created=token, status=201)
    return body, status, {"Cache-Control": "no-store"}   # the one page that holds the token: keep it out of caches


@bp.post("/<id:token_id>/revoke")
@role_required("desk", "manager")
def revoke(token_id: int):
    """Revoke a token: every later request with it is refused."""
    try:
        with unit_of_work():
            token = api_tokens.revoke(current_user, token_id)
            prefix = token.prefix
    except NotFound:
        flash(_("No such token."), "danger")
        return redirect(url_for("api_tokens.index"))
    flash(_("Token %(prefix)s… is revoked.", prefix=prefix), "success")
    return redirect(url_for("api_tokens.index"))
