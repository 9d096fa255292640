"""Settings → Clubs: the owner's clubs of the chain, added, edited, closed from a day and opened again."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.access import role_required
from blueprints.forms import show_error
from blueprints.forms.clubs import CloseClubForm, EditClubForm, NewClubForm
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.models import Club
from clubcrm.services import club_closing, club_edit, clubs

bp = Blueprint("clubs", __name__, url_prefix="/settings/clubs")


def _club(club_id: int) -> Club:
    club = db.session.get(Club, club_id)
    if club is None:
        abort(404)
    return club


def _list(form: NewClubForm | None = None, status: int = 200):
    return render_template("settings/clubs.html", rows=club_edit.listing(),
                           form=form or NewClubForm(formdata=None), is_closed=club_closing.is_closed), status


def _edit(club: Club, form: EditClubForm | None = None, close: CloseClubForm | None = None, status: int = 200):
    form = form or EditClubForm(formdata=None, obj=club, data=club_edit.window_times(club))
    close = close or CloseClubForm(formdata=None, closed_on=club.closed_on)
    return render_template("settings/club_edit.html", club=club, form=form, close=close,
                           closed=club_closing.is_closed(club)), status


@bp.get("/")
@role_required("owner")
def index():
    """List the clubs of the chain."""
    return _list()


@bp.post("/")
@role_required("owner")
def add():
    """Add a club with its default lifecycle tools and rules."""
    form = NewClubForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                club = clubs.create(current_user, form.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Club %(name)s added.", name=club.name), "success")
            return redirect(url_for("clubs.edit", club_id=club.id))
    return _list(form, 422)


@bp.get("/<id:club_id>")
@role_required("owner")
def edit(club_id: int):
    """Show one club's settings and its closing day."""
    return _edit(_club(club_id))


@bp.post("/<id:club_id>")
@role_required("owner")
def save(club_id: int):
    """Save a club's details, SMS hours, caps and own sender."""
    club = _club(club_id)
    form = EditClubForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                club_edit.update(current_user, club, form.data)
        except DomainError as error:
            db.session.refresh(club)
            show_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("clubs.edit", club_id=club.id))
    return _edit(club, form=form, status=422)


@bp.post("/<id:club_id>/close")
@role_required("owner")
def close(club_id: int):
    """Close a club from a day: no sales, check-ins, logins or SMS there from then."""
    club = _club(club_id)
    form = CloseClubForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                dropped = club_closing.close(current_user, club, form.closed_on.data)
        except DomainError as error:
            db.session.refresh(club)
            show_error(form, error)
        else:
            flash(ngettext("Club closed from the chosen day; %(num)d open task dropped.",
                           "Club closed from the chosen day; %(num)d open tasks dropped.", dropped), "success")
            return redirect(url_for("clubs.edit", club_id=club.id))
    return _edit(club, close=form, status=422)


@bp.post("/<id:club_id>/reopen")
@role_required("owner")
def reopen(club_id: int):
    """Open a closed club again."""
    club = _club(club_id)
    with unit_of_work():
        club_closing.reopen(current_user, club)
    flash(_("The club is open again."), "success")
    return redirect(url_for("clubs.edit", club_id=club.id))
