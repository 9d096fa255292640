"""Does the renewal report find what the simulator put in? For the programme and each tool: the simulator's truth
(truth.py, from its own records), the report's difference and the interval its verdict reads, the standard error
behind that interval, whether the interval covers the truth, and the sample-ratio alarm. The only module of the
simulator that reads the report's code: it grades it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from clubcrm.extensions import db
from clubcrm.models import Assignment
from clubcrm.reports import stats
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import ToolStats, tool_report
from clubcrm.simulation import SimResult


@dataclass(frozen=True)
class ToolCheck:
    tool: str                  # a tool's key, or "programme"
    configured: float | None   # the configured mean effect, as a share (0.03 = 3 points); None for the programme
    truth: float | None        # what switching it off changes on its assigned cycles (truth.py)
    assigned: int
    held: int
    difference: float | None
    low: float | None          # the interval the verdict reads (always-valid, family-adjusted)
    high: float | None
    se: float | None           # the standard error behind it: half-width / the sequence's multiplier
    verdict: str
    srm_alarm: bool
    held_share: float | None       # held / all cycles, as the report counts them
    expected_share: float | None   # from the shares in force
    naive_rate: float | None
    # The programme's unit of draw is the member and calendar year: its held share among members (assignment log).
    members_held_share: float | None = None

    @property
    def covered(self) -> bool | None:
        """Whether the interval holds the truth; None when there is no interval."""
        if self.truth is None or self.low is None:
            return None
        return self.low <= self.truth <= self.high

    @property
    def z(self) -> float | None:
        """The standardised error (difference − truth) / SE; None without both."""
        if self.truth is None or self.difference is None or not self.se:
            return None
        return (self.difference - self.truth) / self.se


def standard_error(item: ToolStats) -> float | None:
    """The SE the interval was built from: its half-width over the confidence sequence's multiplier at the cycles
    it rests on (None when the interval was clipped at ±1 or there is none)."""
    c = item.comparison
    estimate = stats.mantel_haenszel(item.strata) if item.strata else None
    if c is None or c.low is None or estimate is None or c.low <= -1 or c.high >= 1:
        return None
    return (c.high - c.low) / 2 / stats.cs_multiplier(estimate[2], c.alpha)


def check(result: SimResult, effects: dict[str, float]) -> list[ToolCheck]:
    """The report over the simulated span, the programme first and then tool by tool, beside the truth."""
    scope = Scope((result.club.id,), result.first, result.last, result.last)
    report = tool_report(scope)
    checks = []
    for item in [report.programme, *report.tools]:
        c = item.comparison
        configured = None if item.tool == "programme" else effects.get(item.tool, 0) / 100
        checks.append(ToolCheck(
            item.tool, configured, result.truth.effect(item.tool),
            c.exposed_n if c else 0, c.held_n if c else 0, c.difference if c else None, c.low if c else None,
            c.high if c else None, standard_error(item), c.verdict if c else "no_holdout",
            bool(c and c.srm_alarm), c.held_share if c else None, c.expected_share if c else None,
            item.naive_rate, members_held_share(result.club.id) if item.tool == "programme" else None))
    return checks


def members_held_share(club_id: int) -> float | None:
    """The share of (member, calendar year) draws of the programme that are held out: its unit of randomisation.
    Held-out members renew less, so they bring fewer cycles; a cycle-level share below the setting is then expected."""
    year = func.extract("year", Assignment.first_on)
    rows = db.session.execute(
        select(Assignment.member_id, year, func.max(case((Assignment.held, 1), else_=0)))
        .where(Assignment.club_id == club_id, Assignment.tool_key == "programme")
        .group_by(Assignment.member_id, year)).all()
    return sum(held for *_, held in rows) / len(rows) if rows else None


def check_leads(result: SimResult, effects: dict[str, float]) -> list[ToolCheck]:
    """The lead report over the simulated span, lead tool by lead tool, beside the simulator's lead truth
    (truth.compute_leads): its per-tool comparison of lead cycles bought within the cycle, exposed against held."""
    from clubcrm.reports.tools import lead_tool_report   # the lead report: read only here, to grade it

    scope = Scope((result.club.id,), result.first, result.last, result.last)
    report = lead_tool_report(scope)
    checks = []
    for item in report.tools:
        c = item.comparison
        checks.append(ToolCheck(
            item.tool, effects.get(item.tool, 0) / 100,
            result.lead_truth.effect(item.tool) if result.lead_truth is not None else None,
            c.exposed_n if c else 0, c.held_n if c else 0, c.difference if c else None, c.low if c else None,
            c.high if c else None, standard_error(item), c.verdict if c else "no_holdout",
            bool(c and c.srm_alarm), c.held_share if c else None, c.expected_share if c else None,
            item.naive_rate))
    return checks
