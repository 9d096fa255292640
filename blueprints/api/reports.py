"""GET /api/v1/reports/renewals: the renewals and per-tool table of the reports page, as JSON."""
from flask import jsonify
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from blueprints import report_tables as rt
from blueprints.api import body, shapes
from blueprints.api.base import bp, current_staff
from blueprints.forms.reports import ReportFilterForm
from clubcrm import clock
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.models import Club
from clubcrm.reports.renewals import renewal_report
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import tool_report
from clubcrm.services import api_scope

# The dashboard's filter form reads the same period and plan; its fields by the API's parameter names.
FIELD_NAMES = {"start": "from", "end": "to", "plan": "plan_id", "club": "club_id"}


def _scope(club: Club) -> Scope:
    """The report's scope from ?from=&to=&plan_id=, checked by the dashboard's own filter form."""
    plan_id = body.query_id("plan_id")
    form = ReportFilterForm(formdata=MultiDict({
        "club": str(club.id), "start": body.query_text("from", 10) or "", "end": body.query_text("to", 10) or "",
        "plan": str(plan_id) if plan_id else "",
    }))
    form.club.choices = [(str(club.id), club.name)]
    form.offer_plans((club.id,))
    if not form.validate():
        field, messages = next(iter(form.errors.items()))
        raise InvalidInput(FIELD_NAMES.get(field, field), messages[0])
    today = clock.local_today(club.timezone)
    start, end = form.period(today)
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
    club = api_scope.club_for(staff, body.query_id("club_id"))
    scope = _scope(club)
    total = renewal_report(scope).total
    return jsonify({
        "club_id": club.id, "from": scope.start.isoformat(), "to": scope.end.isoformat(), "plan_id": scope.plan_id,
        "renewals": {"cycles": total.cycles, "pending": total.pending, "renewed": total.renewed,
                     "rate": shapes.number(total.rate)},
        "tools": _tool_rows(scope, club.currency),
    })
