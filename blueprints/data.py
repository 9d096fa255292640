"""The club's data: CSV exports for managers, and a member's GDPR export and erasure from their card."""
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.data import EraseForm, VisitsPeriodForm
from blueprints.members import load_member
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.services import exports, gdpr

bp = Blueprint("data", __name__, url_prefix="/data")


@bp.get("/")
@role_required("manager")
def index():
    """Show the club's downloads."""
    return render_template("data/index.html", club=current_club(), form=VisitsPeriodForm(formdata=None))


@bp.get("/<any(members, memberships, visits):kind>.csv")
@role_required("manager")
def download(kind: str):
    """Download the club's members, memberships or visits as CSV, streamed."""
    club = current_club()
    form = VisitsPeriodForm(formdata=request.args)
    if kind == "visits" and not form.validate():
        return render_template("data/index.html", club=club, form=form), 400
    start, end = (form.start.data, form.end.data) if kind == "visits" else (None, None)
    try:
        with unit_of_work():   # commits the audit event before the first row goes out
            lines = exports.export(current_user, club, kind, start, end)
    except DomainError as error:
        show_error(form, error)
        return render_template("data/index.html", club=club, form=form), error.http_status
    period = "".join(f"-{d.isoformat()}" for d in (start, end) if d)
    filename = f"{kind}-club{club.id}{period}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/members/<id:member_id>/export.json")
@role_required("manager")
def member_export(member_id: int):
    """Download everything stored about the member as JSON (GDPR access request)."""
    member = load_member(member_id)
    with unit_of_work():
        document = gdpr.export(current_user, member)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="member-{member.id}.json"'})


@bp.route("/members/<id:member_id>/erase", methods=["GET", "POST"])
@role_required("manager")
def erase(member_id: int):
    """Erase the member's personal data after a typed confirmation."""
    member = load_member(member_id)
    if member.erased_at is not None:
        flash(_("This member's personal data was already erased."), "info")
        return redirect(url_for("members.card", member_id=member.id))
    form = EraseForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                gdpr.erase(current_user, member, form.confirmation.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("The member's personal data is erased; their anonymous history stays in the reports."),
                  "success")
            return redirect(url_for("members.card", member_id=member_id))
        member = load_member(member_id)
    return render_template("data/erase.html", member=member, form=form), 422 if form.errors else 200
