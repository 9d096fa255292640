"""The simulator's truth: what switching each tool off would change in the renewals of the cycles the assignment
log gave it, computed from the simulator's own records (what the gateway delivered, which calls were answered,
each member's drawn response) and nothing of the report's code.

Per tool, over the decided cycles the log drew into the tool's arms (intention to treat: reached or not): a
cycle's contribution is its renewal chance with every tool that reached it minus its chance without this tool
(effects.renewal_chance, with the same draws that decided it). The truth is the mean over the exposed arm minus
the mean over the held-out arm (zero when the held-out arm got nothing, as it should). The programme's is the same
over the programme's arms, with every tool's reach switched off at once, counting one cycle per draw (member and
calendar year: the member's first decided cycle of it), as its arm is drawn. Only cycles whose renewal window has
closed by the last day count, as in the report.

A tool drawn after a cycle's end (the win-back) has only cycles not renewed on time in both arms: its truth is
what it adds to the chance left then, (chance with − chance without) / (1 − on-time chance), as the report
measures it on those cycles.

What this leaves out: the engine's other tools may contact a cycle that one tool's holdout left free (review
finding 3); the truth counts what each tool's own reach added, not that displacement.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import Assignment
from clubcrm.simulation.effects import Responses, renewal_chance

PROGRAMME = "programme"


@dataclass
class Arm:
    n: int = 0
    added: float = 0.0

    @property
    def mean(self) -> float | None:
        return self.added / self.n if self.n else None


@dataclass
class Truth:
    """Per tool (and "programme"): the exposed and held-out arms of the decided cycles, and what the tool added."""

    exposed: dict[str, Arm] = field(default_factory=lambda: defaultdict(Arm))
    held: dict[str, Arm] = field(default_factory=lambda: defaultdict(Arm))

    def effect(self, tool: str) -> float | None:
        """The true effect of switching TOOL off, on the cycles assigned to it (None: no exposed cycle)."""
        exposed = self.exposed[tool].mean if tool in self.exposed else None
        if exposed is None:
            return None
        held = self.held[tool].mean if tool in self.held else None
        return exposed - (held or 0.0)

    def assigned(self, tool: str) -> int:
        return (self.exposed[tool].n if tool in self.exposed else 0) + (self.held[tool].n if tool in self.held else 0)


def _chance(s, effect: dict[str, float], without: set[str]) -> float:
    """The renewal chance of settled cycle S with every tool that reached it but those in WITHOUT."""
    return renewal_chance(s.base, s.late,
                          [e for t, e in effect.items() if s.reached[t] and t not in without],
                          [e for t, e in effect.items() if not s.reached[t] and t not in without])


def compute(club_id: int, settled: list, responses: Responses, first: date, last: date, window_days: int) -> Truth:
    """The truth over SETTLED (year.Settled) cycles that ended between FIRST and LAST − WINDOW_DAYS − 1."""
    closed_by = last - timedelta(days=window_days + 1)
    cycles = {s.id: s for s in settled if first <= s.ends_on <= closed_by}
    arms: dict[int, list[tuple[str, bool, bool]]] = defaultdict(list)   # (tool, held, drawn after the end)
    draws: dict[tuple[int, int], tuple[int, bool]] = {}
    for membership_id, member_id, tool_key, held, first_on in db.session.execute(
            select(Assignment.membership_id, Assignment.member_id, Assignment.tool_key, Assignment.held,
                   Assignment.first_on)
            .where(Assignment.club_id == club_id, Assignment.membership_id.is_not(None))):
        if membership_id not in cycles:
            continue
        if tool_key == PROGRAMME:
            # The programme's arm is drawn per member and calendar year: one unit per draw, its first decided cycle.
            key = (member_id, first_on.year)
            if key not in draws or membership_id < draws[key][0]:
                draws[key] = (membership_id, bool(held))
        else:
            arms[membership_id].append((tool_key, bool(held), first_on > cycles[membership_id].ends_on))
    for membership_id, held in draws.values():
        arms[membership_id].append((PROGRAMME, held, False))
    truth = Truth()
    for cycle_id, drawn in arms.items():
        s = cycles[cycle_id]
        effect = {tool: responses.of(s.member_id, tool).effect for tool in s.reached}
        full = _chance(s, effect, set())
        on_time = min(1.0, max(0.0, s.base + sum(e for t, e in effect.items() if s.reached[t])))
        for tool, held, after_end in drawn:
            arm = (truth.held if held else truth.exposed)[tool]
            arm.n += 1
            off = set(effect) if tool == PROGRAMME else {tool}
            if off & set(effect):
                added = full - _chance(s, effect, off)
                if after_end:
                    # Drawn after the end (a win-back): both arms are cycles not renewed on time, so what the tool
                    # adds is a share of the chance left then, not of the whole cycle's.
                    added = added / (1 - on_time) if on_time < 1 else 0.0
                arm.added += added
    return truth
