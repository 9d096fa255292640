"""Lifecycle settings for managers: tools, their rules, holdout shares, texts and the contact budget."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.lifecycle import BudgetForm, MeasurementForm, RuleForm, ToolForm
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.i18n import LOCALE_NAMES
from clubcrm.lifecycle import engine, labels
from clubcrm.lifecycle import settings as lifecycle_settings
from clubcrm.services import checklist, measurement_settings
from clubcrm.sms import segments

bp = Blueprint("lifecycle", __name__, url_prefix="/settings/lifecycle")


def _tool_form(tool, form: ToolForm | None = None) -> ToolForm:
    """TOOL's form (a fresh one unless FORM was submitted), with ids of its own: the page has one per tool."""
    form = form or ToolForm(formdata=None, obj=tool)
    for field in form:
        field.id = f"tool-{tool.id}-{field.name}"
    return form


def text_costs(form: RuleForm, club) -> dict:
    """Each non-empty text's segment count and what sending it to 1,000 members costs, in minor units ({link}
    counted as the link it becomes, or its sentence left out where the club's texts carry no links)."""
    price = current_app.config["SMS_SEGMENT_PRICE_MINOR"]
    costs = {}
    for field in form.text_fields():
        if isinstance(field.data, str) and field.data.strip():
            counted = segments.count(lifecycle_settings.as_counted(field.data, club))
            costs[field.name] = (counted, counted.segments * price * 1000)
    return costs


def _page(club, budget: BudgetForm | None = None, tool_id: int | None = None, tool_form: ToolForm | None = None,
          measurement: MeasurementForm | None = None, status: int = 200):
    tools = lifecycle_settings.club_tools(club)
    forms = {tool.id: _tool_form(tool, tool_form if tool.id == tool_id else None) for tool in tools}
    return render_template("lifecycle/index.html", club=club, tools=tools, tool_forms=forms,
                           budget=budget or BudgetForm(formdata=None, obj=club), labels=labels,
                           measurement=measurement or MeasurementForm(formdata=None, obj=club).fill(club),
                           fields_of=lifecycle_settings.fields_of), status


@bp.get("/")
@role_required("manager")
def index():
    """Show the contact budget, the tools and the rules beneath each."""
    club = current_club()
    with unit_of_work():
        engine.club_rules(club)  # a club from before the lifecycle engine gets the defaults (race-safe)
        checklist.record_review(current_user, club)  # the getting-started step "review the lifecycle rules"
    return _page(club)


@bp.get("/budget")
@bp.get("/measurement")
@bp.get("/tools/<id:tool_id>")
@role_required("manager")
def back_to_page(tool_id: int | None = None):
    """Send a reload of a refused form's address back to the page, at the form's card."""
    anchor = f"tool-{tool_id}" if tool_id else request.path.rstrip("/").rsplit("/", 1)[-1]
    return redirect(url_for("lifecycle.index") + f"#{anchor}")


def _save(club, name: str, form, save, saved: str):
    """Call SAVE with FORM's data in a unit of work; on success flash SAVED and go back to the page, else show
    the page with the refusal on FORM's field (the page's form NAME)."""
    if form.validate_on_submit():
        try:
            with unit_of_work():
                save(form)
        except InvalidInput as error:
            show_error(form, error)
        else:
            flash(saved, "success")
            return redirect(url_for("lifecycle.index"))
    return _page(club, **{name: form}, status=422)


@bp.post("/budget")
@role_required("manager")
def budget():
    """Save the contact budget and the gap between two SMS."""
    club = current_club()
    return _save(club, "budget", BudgetForm(), lambda form: lifecycle_settings.update_budget(
        current_user, club, form.touch_budget_min.data, form.touch_budget_max.data, form.sms_gap_days.data),
        _("Contact budget saved."))


@bp.post("/measurement")
@role_required("manager")
def measurement():
    """Save the programme holdout share, the average call length and the hourly staff cost."""
    club = current_club()
    return _save(club, "measurement", MeasurementForm(), lambda form: measurement_settings.update(
        current_user, club, form.programme_holdout_pct.data, form.call_minutes.data, form.staff_hour_cost.data),
        _("Measurement settings saved."))


@bp.post("/tools/<id:tool_id>")
@role_required("manager")
def tool(tool_id: int):
    """Switch a tool on or off and save its holdout share."""
    club = current_club()
    name = labels.name(labels.TOOL_NAMES, lifecycle_settings.tool_of(club, tool_id).key)
    form = ToolForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                lifecycle_settings.update_tool(current_user, club, tool_id, form.enabled.data,
                                               form.holdout_pct.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            flash(_("%(tool)s saved.", tool=name), "success")
            return redirect(url_for("lifecycle.index"))
    return _page(club, tool_id=tool_id, tool_form=form, status=422)


@bp.route("/rules/<id:rule_id>", methods=["GET", "POST"])
@role_required("manager")
def rule(rule_id: int):
    """Show a rule's form, or save its timing, channel, threshold and texts."""
    club = current_club()
    found = lifecycle_settings.rule_of(club, rule_id)
    form = RuleForm(obj=found, data={f"text_{locale}": text for locale, text in (found.texts or {}).items()})
    if form.validate_on_submit():
        try:
            with unit_of_work():
                lifecycle_settings.update_rule(current_user, club, rule_id, form.values())
        except InvalidInput as error:
            show_error(form, error)
        else:
            flash(_("%(rule)s saved.", rule=labels.name(labels.RULE_NAMES, found.key)), "success")
            return redirect(url_for("lifecycle.index"))
    page = render_template("lifecycle/rule.html", club=club, rule=found, form=form, labels=labels,
                           uses=lifecycle_settings.fields_of(found),
                           placeholders=lifecycle_settings.placeholders_of(found),
                           text_max=lifecycle_settings.TEXT_MAX, costs=text_costs(form, club),
                           default_language=LOCALE_NAMES.get(club.default_locale, club.default_locale))
    return page, 422 if form.is_submitted() else 200
