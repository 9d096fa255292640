"""GET /api/v1/reports/renewals: the renewals and the verdict lines of the reports page (the programme's, then a
tool's each), as JSON."""
import math
from dataclasses import replace

from flask import jsonify
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from blueprints import report_tables as rt
from blueprints.api import contract, shapes
from blueprints.api.base import bp, current_staff
from blueprints.forms.reports import ReportFilterForm
from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import NotAllowed, NotFound
from clubcrm.models import Club
from clubcrm.reports import refresh, tool_tables
from clubcrm.reports.scope import Scope, lenient_period
from clubcrm.reports.snapshot import Stored
from clubcrm.reports.tools import ToolReport
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


# How long a client waits for a scope's first figures: the worker looks every minute.
RETRY_AFTER_SECONDS = 60
ACTIVITY = ("sms_sent", "sms_delivered", "sms_opened", "segments", "cost_minor", "calls", "replies", "bookings")


def _minor(value: float | None) -> int | None:
    """An amount in minor units, whole (money is never a float in the API)."""
    return round(value) if value is not None and math.isfinite(value) else None


def tool_row(e: dict, activity: dict) -> dict:
    """One line of the tools table as the API gives it: the verdict with the interval it reads, the time to a
    verdict, the sample-ratio alarm, the costs, the counts and the activity (ACTIVITY's keys)."""
    return {
        "key": e["key"], "name": e["tool"], "verdict": e["verdict"], "verdict_text": rt.verdict_text(e["verdict"]),
        "difference": shapes.number(e["difference"]), "low": shapes.number(e["low"]),
        "high": shapes.number(e["high"]), "alpha": shapes.number(e["alpha"]),
        "months_to_verdict": shapes.number(e["months_to_verdict"]), "time_text": rt.time_text(e),
        "held_share": shapes.number(e["held_share"]), "expected_share": shapes.number(e["expected_share"]),
        "srm_p": shapes.number(e["srm_p"]), "srm_alarm": e["srm_alarm"],
        "break_even": shapes.number(e["break_even"]),
        "cost_per_extra_renewal": _minor(e["cost_per_extra_renewal"]), "cost_low": _minor(e["cost_low"]),
        "cost_high": _minor(e["cost_high"]),
        "assigned": e["assigned"], "assigned_renewed": e["assigned_renewed"],
        "assigned_rate": shapes.number(e["assigned_rate"]), "held": e["held"], "held_renewed": e["held_renewed"],
        "held_rate": shapes.number(e["held_rate"]), "naive_rate": shapes.number(e["naive_rate"]),
        "holdout_pct": e["holdout_pct"], "currency": e["currency"], **activity,
    }


def tool_rows(report: ToolReport, currency: str) -> tuple[dict, list[dict], int]:
    """The programme's line, a line per tool (the page's tools and activity tables joined), and the family of tools
    judged together. The programme's activity is all its tools' together."""
    effect, activity = rt.tool_tables(report, currency)
    programme, lines = effect.rows[0], effect.rows[1:]
    done = [{"sms_sent": a["sent"], "sms_delivered": a["delivered"], "sms_opened": a["opened"],
             "segments": a["segments"],
             "cost_minor": a["cost"], "calls": a["calls"], "replies": a["replies"], "bookings": a["bookings"]}
            for a in activity.rows]
    rows = [tool_row(e, a) for e, a in zip(lines, done, strict=True)]
    whole = {key: sum(a[key] for a in done) for key in ACTIVITY}
    return tool_row(programme, whole), rows, report.family


@bp.get("/reports/renewals")
def renewals():
    """The renewal rate and what each tool adds to it, for one club and period (managers and owners)."""
    staff = current_staff()
    if not staff.has_role("manager"):
        raise NotAllowed(None, _l("Reports are for managers and owners."))
    club = api_scope.club_for(staff, contract.row_id("club_id"))
    scope = _scope(club)
    stored = refresh.stored(scope.club_ids)
    figures = Stored(replace(scope, today=stored.as_of), stored) if stored is not None else None
    report = tool_tables.stored(figures.scope, stored) if figures is not None else None
    if report is None:   # answered at once: the worker computes, never this request
        if figures is not None:
            with unit_of_work():
                tool_tables.ask(figures.scope, stored, clock.utcnow())
        answer = jsonify({"status": "being_computed", "retry_after": RETRY_AFTER_SECONDS,
                          "message": str(_l("The figures of this club are being computed; ask again in a minute."))})
        return answer, 202, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    total = figures.renewal_report().total
    programme, tools, family = tool_rows(report, club.currency)
    return jsonify({
        "club_id": club.id, "from": scope.start.isoformat(), "to": scope.end.isoformat(), "plan_id": scope.plan_id,
        "renewals": {"cycles": total.cycles, "pending": total.pending, "renewed": total.renewed,
                     "rate": shapes.number(total.rate)},
        "programme": programme, "tools": tools, "family": family,
        "computed_at": stored.computed_at.isoformat(), "as_of": stored.as_of.isoformat(),
    })
