"""The club's data: CSV exports for managers, and a member's GDPR export and erasure from their card."""
import json
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, StringField, ValidationError
from wtforms.validators import Optional

from blueprints.access import current_club, role_required
from blueprints.forms import BaseForm, show_error
from blueprints.members import load_member
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.services import exports, gdpr

bp = Blueprint("data", __name__, url_prefix="/data")
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _in_range(form, field) -> None:
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


class VisitsPeriodForm(BaseForm):
    """The visits export's optional period (GET parameters: nothing changes, no CSRF token)."""

    class Meta(BaseForm.Meta):
        csrf = False

    start = DateField(_l("From"), validators=[Optional(), _in_range])
    end = DateField(_l("To"), validators=[Optional(), _in_range])


class EraseForm(BaseForm):
    """The confirmation an erasure needs: ERASE or the member's full name, typed."""

    confirmation = StringField(_l("Type ERASE or the member's full name"))


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
