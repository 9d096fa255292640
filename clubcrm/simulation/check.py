"""Does the renewal report find what the simulator put in? Per tool: the truth the simulator booked, the
report's difference and 95% interval, and whether the interval covers the truth."""
from __future__ import annotations

from dataclasses import dataclass

from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import tool_report
from clubcrm.simulation import SimResult


@dataclass(frozen=True)
class ToolCheck:
    tool: str
    configured: float          # the configured effect, as a share (0.08 = 8 points)
    truth: float | None        # what the tool added on average to the cycles assigned to it (see year.py)
    assigned: int
    held: int
    difference: float | None
    low: float | None
    high: float | None
    verdict: str
    naive_rate: float | None

    @property
    def covered(self) -> bool | None:
        """Whether the 95% interval holds the truth; None when there is no interval."""
        if self.truth is None or self.low is None:
            return None
        return self.low <= self.truth <= self.high


def check(result: SimResult, effects: dict[str, int]) -> list[ToolCheck]:
    """The report over the simulated span, tool by tool, beside the simulator's truth."""
    scope = Scope((result.club.id,), result.first, result.last, result.last)
    checks = []
    for item in tool_report(scope):
        c = item.comparison
        checks.append(ToolCheck(
            item.tool, effects.get(item.tool, 0) / 100, result.truth.effect(item.tool),
            c.exposed_n if c else 0, c.held_n if c else 0, c.difference if c else None, c.low if c else None,
            c.high if c else None, c.verdict if c else "no_holdout", item.naive_rate))
    return checks
