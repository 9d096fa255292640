"""Staff tasks: the "Today" list of calls and greetings the lifecycle engine planned, with one-click outcomes."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from blueprints import paged
from blueprints.access import current_club, role_required
from blueprints.auth import _safe_next
from blueprints.forms import show_error
from blueprints.forms.tasks import CallForm, OutcomeForm
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.formatting import day
from clubcrm.lifecycle import labels
from clubcrm.services import desk_calls, tasks

bp = Blueprint("tasks", __name__, url_prefix="/today")

# The label tables templates name codes by: lifecycle_name('rule', tp.rule.key).
_TABLES = {
    "stage": labels.STAGE_NAMES, "tool": labels.TOOL_NAMES, "rule": labels.RULE_NAMES,
    "channel": labels.CHANNEL_NAMES, "status": labels.STATUS_NAMES, "skip": labels.SKIP_REASONS,
    "task": labels.TASK_KIND_NAMES, "outcome": labels.OUTCOME_NAMES,
}


def lifecycle_name(table: str, code: str | None) -> str:
    """Name a lifecycle code (stage, tool, rule, channel, status, skip, task, outcome) in the reader's language."""
    return labels.name(_TABLES[table], code)


def fact_value(value, key: str = "") -> str:
    """Show one fact's value: ISO dates as dates in the reader's language, yes/no for flags."""
    if key == "instead_of_sms":
        return labels.name(labels.SKIP_REASONS, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return day(date.fromisoformat(value))
        except ValueError:
            pass
    return str(value)


def why(facts: dict | None) -> list[str]:
    """Say why a touchpoint fired: its facts as "label: value", leaving out facts that have no value."""
    return [f"{labels.name(labels.FACT_NAMES, key)}: {fact_value(value, key)}"
            for key, value in (facts or {}).items() if value is not None and value != ""]


def call_script(touchpoint, session, club) -> str | None:
    """What to say on a call: the rule's text in the member's language, if the rule has one."""
    from clubcrm.lifecycle.render import text_for

    member = touchpoint.member
    rendered = text_for(touchpoint.rule, member.first_name, member.locale, club, touchpoint.facts or {}, session)
    return rendered.text if rendered else None


def script_for_clerk(touchpoint, session, club) -> str | None:
    """The call's script in the clerk's own language, shown under the member's when the two differ (a clerk may not
    read the member's language); None when they are the same or the rule has no text in the clerk's language."""
    from flask_babel import get_locale

    from clubcrm.i18n import locale_or
    from clubcrm.lifecycle.render import text_for

    clerk = str(get_locale() or "en")
    member = touchpoint.member
    if locale_or(member.locale, club.default_locale) == clerk or not (touchpoint.rule.texts or {}).get(clerk):
        return None
    rendered = text_for(touchpoint.rule, member.first_name, clerk, club, touchpoint.facts or {}, session)
    return rendered.text if rendered and rendered.locale == clerk else None


def open_task_count() -> int | None:
    """Count the current club's open tasks and calls due today, for the navigation (one statement)."""
    if not current_user.is_authenticated:
        return None
    try:
        club = current_club()
    except HTTPException:  # an owner before any club exists
        return None
    today = local_today(club.timezone)
    return desk_calls.count_owed(club.id, today)


def _back(form: OutcomeForm) -> str:
    """Return where an outcome click goes back to: the form's `next` when it stays on this site, else Today."""
    target = form.next.data
    return target if target and _safe_next(target) == target else url_for("tasks.index")


def render_today(form: OutcomeForm | None = None, status: int = 200):
    """Render the page of the Today list asked for; FORM's errors say why a click was refused."""
    club = current_club()
    today = local_today(club.timezone)
    return render_template("tasks/today.html", club=club, today=today, calls=desk_calls.open_calls(club.id, today),
                           tasks=tasks.today_page(club, today, *paged.requested(), staff_id=current_user.id),
                           form=form), status


@bp.get("/")
@role_required("desk", "manager")
def index():
    """Show the open tasks due today, overdue ones first."""
    return render_today()


@bp.get("/<id:touchpoint_id>/outcome")
@role_required("desk", "manager")
def back_to_list(touchpoint_id: int):
    """Send a reload of an outcome's address (after a refused click, say) back to the list."""
    return redirect(url_for("tasks.index"))


@bp.post("/<id:touchpoint_id>/outcome")
@role_required("desk", "manager")
def outcome(touchpoint_id: int):
    """Close a task with what came of it and log the contact."""
    form = OutcomeForm()
    if not form.validate_on_submit():
        return render_today(form, 422)
    club = current_club()
    if form.outcome.data == "renewed":
        # Recorded with the sale, not before it: the card opens its sell form, which closes this task when the
        # membership is sold (a click alone would close the call while the member stays expired).
        try:
            task = tasks.get_task(current_user, touchpoint_id)
        except NotFound:
            abort(404)
        if task.status != "planned":
            show_error(form, DomainError("touchpoint_id", _("This task is not open.")))
            return render_today(form, 409)
        return redirect(url_for("members.card", member_id=task.member_id, sell="task", task=task.id) + "#section-sell")
    try:
        with unit_of_work():
            task = tasks.record_outcome(current_user, touchpoint_id, form.outcome.data, form.note.data,
                                        local_today(club.timezone))
            name = task.member.full_name
    except NotFound:
        abort(404)
    except DomainError as error:
        show_error(form, error)
        return render_today(form, error.http_status)
    if task.status == "planned":
        flash(_("%(name)s did not answer: the call is on tomorrow's list.", name=name), "success")
        return redirect(_back(form))
    flash(_("%(name)s: %(outcome)s. The task is done.", name=name,
            outcome=lifecycle_name("outcome", form.outcome.data)), "success")
    if form.outcome.data == "booked":
        # The booking picker: the week's sessions, each opening with this member in its booking form.
        return redirect(url_for("sessions.index", book=task.member_id))
    return redirect(_back(form))



@bp.post("/calls/<id:call_id>")
@role_required("desk", "manager")
def call_outcome(call_id: int):
    """Record how a call about a cancelled or moved session went."""
    form = CallForm()
    if not form.validate_on_submit():
        return render_today(form, 422)
    club = current_club()
    try:
        with unit_of_work():
            call = desk_calls.record(current_user, call_id, form.outcome.data, local_today(club.timezone))
            name, again = call.member.full_name, call.done_at is None
    except NotFound:
        abort(404)
    except DomainError as error:
        show_error(form, error)
        return render_today(form, error.http_status)
    if again:
        flash(_("%(name)s did not answer: the call is on tomorrow's list.", name=name), "success")
    else:
        flash(_("%(name)s: %(outcome)s. The task is done.", name=name,
                outcome=lifecycle_name("outcome", form.outcome.data)), "success")
    return redirect(url_for("tasks.index"))
