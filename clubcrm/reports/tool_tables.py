"""The per-tool table, stored whole per scope, period and plan, and computed by the worker (never a request).

Its intervals, verdicts and distinct counts (members reached, the programme's first cycle of each draw) do not add up
over days or plans, so the stored day counts cannot give it. A page or API call that finds no table for its period
asks for one and says "being computed"; the worker's report_refresh job computes the tables asked for, as of the
day the scope's figures stand on. When a scope's figures are renewed (each night), its tables are dropped but the
default period's, which is computed again at once, so that the page as it opens has its table ready.
"""
from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime

from sqlalchemy import delete, select, update

from clubcrm.db import insert_ignoring
from clubcrm.extensions import db
from clubcrm.models import ReportRefresh, ReportToolTable
from clubcrm.reports import stats
from clubcrm.reports.refresh import club_ids_of
from clubcrm.reports.scope import Scope, period
from clubcrm.reports.tools import ToolReport, ToolStats, tool_report


def _key(refresh: ReportRefresh, scope: Scope) -> dict:
    return {"refresh_id": refresh.id, "starts_on": scope.start, "ends_on": scope.end, "plan_id": scope.plan_id or 0}


def stored(scope: Scope, refresh: ReportRefresh) -> ToolReport | None:
    """SCOPE's per-tool table as of REFRESH's day, or None while it is not computed (one statement)."""
    row = db.session.get(ReportToolTable, tuple(_key(refresh, scope).values()))
    if row is None or row.computed_at is None or row.as_of != refresh.as_of:
        return None
    return from_json(row.result)


def ask(scope: Scope, refresh: ReportRefresh, now: datetime) -> None:
    """Ask the worker for SCOPE's per-tool table (a second ask while it waits changes nothing)."""
    insert_ignoring(ReportToolTable, [{**_key(refresh, scope), "as_of": refresh.as_of, "requested_at": now}],
                    ["refresh_id", "starts_on", "ends_on", "plan_id"])


def renewed(refresh: ReportRefresh, now: datetime) -> None:
    """The scope's figures were just renewed: drop its tables, and ask for the default period's anew."""
    db.session.execute(delete(ReportToolTable).where(ReportToolTable.refresh_id == refresh.id))
    start, end = period(None, None, refresh.as_of)
    ask(Scope(club_ids_of(refresh.scope), start, end, refresh.as_of), refresh, now)


def due() -> list[tuple]:
    """The keys of the tables asked for and not computed yet, oldest ask first."""
    return [tuple(row) for row in db.session.execute(
        select(ReportToolTable.refresh_id, ReportToolTable.starts_on, ReportToolTable.ends_on,
               ReportToolTable.plan_id)
        .where(ReportToolTable.computed_at.is_(None)).order_by(ReportToolTable.requested_at))]


def compute(key: tuple, now: datetime) -> bool:
    """Compute the table of KEY as of its scope's figures' day; False if the scope's figures moved on meanwhile."""
    row = db.session.get(ReportToolTable, key)
    refresh = db.session.get(ReportRefresh, key[0])
    if row is None or refresh is None or refresh.as_of != row.as_of:
        return False
    scope = Scope(club_ids_of(refresh.scope), row.starts_on, row.ends_on, refresh.as_of, row.plan_id or None)
    result = to_json(tool_report(scope))
    db.session.execute(update(ReportToolTable).where(*(
        getattr(ReportToolTable, name) == value for name, value in zip(
            ("refresh_id", "starts_on", "ends_on", "plan_id"), key, strict=True)))
        .values(result=result, computed_at=now).execution_options(synchronize_session=False))
    return True


def to_json(report: ToolReport) -> dict:
    return asdict(report)


def from_json(data: dict) -> ToolReport:
    """The ToolReport that to_json stored."""
    def tool(values: dict) -> ToolStats:
        comparison = values.get("comparison")
        return replace(ToolStats(values["tool"]), **{
            **values, "comparison": stats.Comparison(**comparison) if comparison else None,
            "strata": [stats.Stratum(**s) for s in values.get("strata", ())]})
    return ToolReport(tool(data["programme"]), [tool(t) for t in data["tools"]], data["family"])
