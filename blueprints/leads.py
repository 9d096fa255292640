"""The lead list: the club's open leads with their stage, source, age and contacts; one-click outcomes, lost with
a reason, an assignment; and the manager's merge of two records of one person."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import paged
from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.leads import AssignForm, LeadOutcomeForm, MergeForm
from blueprints.forms.members import LostForm, reason_choices
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.extensions import db
from clubcrm.models import LEAD_SOURCES, Member
from clubcrm.services import lead_cycles, lead_list, members, merge

bp = Blueprint("leads", __name__, url_prefix="/leads")


def render_list(refused=None, status: int = 200):
    """Render the page of the lead list asked for (its filters from the address); REFUSED: a form whose click was
    refused, with its errors."""
    club = current_club()
    filters, problems = lead_list.checked_filters(club.id, request.args.get("stage"), request.args.get("source"),
                                                  request.args.get("staff"))
    with unit_of_work():   # the club's first look at its lost reasons seeds the defaults
        reasons = lead_cycles.reason_choices(club.id)
    staff = lead_list.staff_choices(club.id)
    page = lead_list.page(club.id, filters, local_today(club.timezone), *paged.requested())
    lost_form = LostForm(formdata=None)
    lost_form.reason.choices = reason_choices(reasons)
    return render_template("leads/index.html", club=club, leads=page, filters=filters, problems=problems,
                           stages=lead_list.OPEN_STAGES, sources=LEAD_SOURCES, staff=staff, reasons=reasons,
                           outcomes=lead_list.LIST_OUTCOMES, nobody=lead_list.NOBODY, refused=refused,
                           query=request.query_string.decode("utf-8", "replace")), status


def _list_url() -> str:
    """The list's address with the query string the click came from: back to the same filters and page."""
    query = request.query_string.decode("utf-8", "replace")
    return url_for("leads.index") + (f"?{query}" if query else "")


def _run(cycle_id: int, form, action, success):
    """Find the open lead cycle CYCLE_ID (another club's or none: 404), validate FORM, run ACTION() in one
    transaction, flash SUCCESS(result) and go back to the list; a refusal (a cycle closed meanwhile too) shows the
    list again with the reason."""
    try:
        lead_list.open_cycle(current_user, cycle_id)
    except NotFound as error:
        if error.code != "closed":
            abort(404)
        show_error(form, error)
        return render_list(form, 409)
    if not form.validate_on_submit():
        return render_list(form, 422)
    try:
        with unit_of_work():
            result = action()
            message = success(result)
    except NotFound as error:
        if error.code == "closed":
            show_error(form, error)
            return render_list(form, 409)
        abort(404)
    except DomainError as error:
        show_error(form, error)
        return render_list(form, error.http_status)
    flash(message, "success")
    return redirect(_list_url())


@bp.get("/")
@role_required("desk", "manager")
def index():
    """Show the club's open leads, oldest first, filtered by stage, source and assigned staff."""
    return render_list()


@bp.post("/<id:cycle_id>/outcome")
@role_required("desk", "manager")
def outcome(cycle_id: int):
    """Record what came of a call to the lead: on their open task if they have one, else as a contact."""
    form = LeadOutcomeForm()
    club = current_club()
    return _run(cycle_id, form, lambda: lead_list.record_outcome(current_user, cycle_id, form.outcome.data,
                                                       local_today(club.timezone)),
                lambda member: _("%(name)s: contact logged.", name=member.full_name))


@bp.post("/<id:cycle_id>/lost")
@role_required("desk", "manager")
def lost(cycle_id: int):
    """Close the lead's cycle as lost, with one of the club's reasons."""
    form = LostForm()
    form.reason.choices = reason_choices(lead_cycles.reason_choices(current_club().id))

    def action():
        cycle = lead_list.open_cycle(current_user, cycle_id)
        member = db.session.get(Member, cycle.member_id)
        lead_cycles.mark_lost(current_user, member, form.reason.data)
        return member
    return _run(cycle_id, form, action, lambda member: _("%(name)s is marked as a lost lead.", name=member.full_name))


@bp.post("/<id:cycle_id>/assign")
@role_required("desk", "manager")
def assign(cycle_id: int):
    """Assign the lead to a staff member of the club, or to nobody."""
    form = AssignForm()
    raw = (form.staff_id.data or "").strip()
    staff_id = int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else (None if not raw else -1)

    def success(cycle):
        member = db.session.get(Member, cycle.member_id)
        if cycle.assigned_staff_id is None:
            return _("%(name)s is assigned to nobody.", name=member.full_name)
        name = dict(lead_list.staff_choices(cycle.club_id)).get(cycle.assigned_staff_id, "")
        return _("%(name)s is assigned to %(staff)s.", name=member.full_name, staff=name)
    return _run(cycle_id, form, lambda: lead_list.assign(current_user, cycle_id, staff_id), success)


@bp.route("/merge", methods=["GET", "POST"])
@role_required("manager")
def merge_form():
    """Merge two records of one person: name both (card code, phone or id), see them side by side, confirm."""
    club = current_club()
    posted = request.method == "POST"
    form = MergeForm() if posted else MergeForm(formdata=request.args, meta={"csrf": False})
    if not posted and not (form.keep.data or form.drop.data):
        return _merge_page(form, None, None, 200)
    if posted and not form.validate_on_submit():
        return _merge_page(form, None, None, 422)
    keep = drop = None
    for field in ("keep", "drop"):
        if not posted and not (form[field].data or "").strip():
            continue      # arriving from the list with one record named: ask for the other, no error yet
        try:
            found = members.lookup(club, form[field].data, field)
        except DomainError as error:
            show_error(form, error)
            continue
        keep, drop = (found, drop) if field == "keep" else (keep, found)
    if keep is None or drop is None:
        return _merge_page(form, keep, drop, 422 if form.errors else 200)
    if keep.id == drop.id:
        show_error(form, DomainError("drop", _("These are the same record: choose two records of one person.")))
        return _merge_page(form, keep, drop, 422)
    if not (posted and form.confirm.data == "yes"):
        return _merge_page(form, keep, drop, 200)
    keep_id, name = keep.id, keep.full_name
    try:
        with unit_of_work():
            merge.merge(current_user, keep.id, drop.id)
    except DomainError as error:
        show_error(form, error)
        return _merge_page(form, keep, drop, 409 if error.http_status == 409 else 422)
    flash(_("The two records are merged into %(name)s's.", name=name), "success")
    return redirect(url_for("members.card", member_id=keep_id))


def _merge_page(form: MergeForm, keep, drop, status: int):
    """Render the merge page: the form, and each record found with its rows per table."""
    counts = {member.id: merge.count_rows([member.id]) for member in (keep, drop) if member is not None}
    return render_template("leads/merge.html", form=form, keep=keep, drop=drop, counts=counts), status
