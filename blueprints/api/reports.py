"""GET /api/v1/reports/renewals: the renewals and per-tool table of the reports page, as JSON."""

from flask import jsonify
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from blueprints import report_tables as rt
from blueprints.api import contract, shapes
from blueprints.api.base import bp, current_staff
from blueprints.forms.reports import ReportFilterForm
from clubcrm import clock
from clubcrm.errors import NotAllowed, NotFound
from clubcrm.models import Club
from clubcrm.reports.renewals import renewal_report
from clubcrm.reports.scope import Scope, lenient_period
from clubcrm.reports.tools import tool_report
from clubcrm.services import api_scope


def plan_ids(club_id: int) -> set[int]:
    """The ids of the club's plans, as the dashboard's filter offers them."""
    form = ReportFilterForm(formdata=MultiDict())
    form.offer_plans((club_id,))
    return {int(value) for value, _label in form.plan.choices if value}


def _scope(club: Club) -> Scope:
    """The report's scope from ?from=&to=&plan_id=, read as the OpenAPI document says (a sent date must be one).

    A period given backwards is read forwards, and one longer than the dashboard allows is shortened to its last
    three years: the answer's from and to say what was read."""
    start, end = contract.day("from"), contract.day("to")
    plan_id = contract.row_id("plan_id")
    if plan_id is not None and plan_id not in plan_ids(club.id):
        raise NotFound("plan_id", _l("No such plan."))
    today = clock.local_today(club.timezone)
    start, end = lenient_period(start, end, today)
    return Scope((club.id,), start, end, today, plan_id)


def _tool_rows(scope: Scope, currency: str) -> list[dict]:
    """The page's two per-tool tables (effect, activity) joined into one row per tool."""
    effect, activity = rt.tool_tables(tool_report(scope), currency)
    rows = []
    for e, a in zip(effect.rows, activity.rows, strict=True):
        rows.append({
            "key": e["key"], "name": e["tool"], "verdict": e["verdict"], "more_needed": e["more_needed"],
            "verdict_text": rt.verdict_text(e["verdict"], e["more_needed"]),
            "difference": shapes.number(e["difference"]), "low": shapes.number(e["low"]),
            "high": shapes.number(e["high"]), "assigned": e["assigned"],
            "assigned_rate": shapes.number(e["assigned_rate"]), "held": e["held"],
            "held_rate": shapes.number(e["held_rate"]), "naive_rate": shapes.number(e["naive_rate"]),
            "holdout_pct": e["holdout_pct"], "sms_sent": a["sent"], "sms_delivered": a["delivered"],
            "segments": a["segments"], "cost_minor": a["cost"], "currency": a["currency"], "calls": a["calls"],
            "replies": a["replies"], "bookings": a["bookings"],
        })
    return rows


@bp.get("/reports/renewals")
def renewals():
    """The renewal rate and what each tool adds to it, for one club and period (managers and owners)."""
    staff = current_staff()
    if not staff.has_role("manager"):
        raise NotAllowed(None, _l("Reports are for managers and owners."))
    club = api_scope.club_for(staff, contract.row_id("club_id"))
    scope = _scope(club)
    total = renewal_report(scope).total
    return jsonify({
        "club_id": club.id, "from": scope.start.isoformat(), "to": scope.end.isoformat(), "plan_id": scope.plan_id,
        "renewals": {"cycles": total.cycles, "pending": total.pending, "renewed": total.renewed,
                     "rate": shapes.number(total.rate)},
        "tools": _tool_rows(scope, club.currency),
    })
