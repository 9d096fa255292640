"""The simulator's truth: what switching each tool off would change in the renewals of the cycles the assignment
log gave it, computed from the simulator's own records (what the gateway delivered, which calls were answered,
each member's drawn response) and nothing of the report's code.

Per tool, over the decided cycles the log drew into the tool's arms (intention to treat: reached or not): a
cycle's contribution is its expected renewal with every tool that reached it minus its expected renewal without
this tool, over the uniform draw that decides it (year.py: on time below the on-time chance, late below that plus
the late chance and the responses to the tools that reached it after the end). The truth is the mean over the
exposed arm minus the mean over the held-out arm (zero when the held-out arm got nothing, as it should). The
programme's is the same over the programme's arms, with every tool's reach switched off at once, counting one cycle
per draw (member and calendar year: the member's first decided cycle of it), as its arm is drawn. Only cycles
whose renewal window has closed by the last day count, as in the report.

What reached a cycle after its end (the win-back) is known only for cycles not renewed on time: a cycle renewed on
time was never won back, yet the win-back would have reached it had it lapsed, and its arm (drawn before the end)
is compared with the held arm over both outcomes. So the late part that the tools reaching after the end add is
counted for the lapsed cycles divided by their chance of lapsing, 1 − on-time chance (inverse-probability
weighting: its mean over the arm is what that part adds over all the arm's cycles). Counting it only where it was
seen (once, unweighted) left it out of every cycle renewed on time: the programme's truth was 0.7-1.1 points low
(four simulated years, 3,000 and 5,000 people: +3.7..+3.9 against +4.4..+4.9 weighted;
benchmarks/honesty_units.py). For a tool drawn after the end (the win-back) both arms are lapsed cycles and the
same weighting gives what the tool adds to the chance left then, as the report measures it there.

What this leaves out: the engine's other tools may contact a cycle that one tool's holdout left free (review
finding 3); the truth counts what each tool's own reach added, not that displacement.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import Assignment
from clubcrm.simulation.effects import Responses

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


def _late(on_time: float, late: float, after: float) -> float:
    """The chance of a late renewal (year.py: U at or above ON_TIME and below ON_TIME + LATE + AFTER)."""
    return max(0.0, min(1.0 - on_time, late + after))


def _added(s, effect: dict[str, float], off: set[str]) -> float:
    """What the tools in OFF add to the expected renewal of settled cycle S (year.Settled), given each tool's
    EFFECT on its member. The tools that reached S after its end count only when S lapsed (they reached it):
    their part is weighted by 1 / (1 − on-time chance), so that its expectation is what they add over both
    outcomes (see the module's docstring)."""
    by_end = sum(e for t, e in effect.items() if s.reached[t])
    after = sum(e for t, e in effect.items() if not s.reached[t])
    by_end_off = sum(e for t, e in effect.items() if s.reached[t] and t not in off)
    after_off = sum(e for t, e in effect.items() if not s.reached[t] and t not in off)
    on = min(1.0, max(0.0, s.base + by_end))
    on_off = min(1.0, max(0.0, s.base + by_end_off))
    added = on - on_off + _late(on, s.late, 0.0) - _late(on_off, s.late, 0.0)
    if on < 1:
        seen = _late(on, s.late, after) - _late(on, s.late, 0.0)
        seen_off = _late(on_off, s.late, after_off) - _late(on_off, s.late, 0.0)
        added += (seen - seen_off) / (1 - on)
    return added


def compute(club_id: int, settled: list, responses: Responses, first: date, last: date, window_days: int) -> Truth:
    """The truth over SETTLED (year.Settled) cycles that ended between FIRST and LAST − WINDOW_DAYS − 1."""
    closed_by = last - timedelta(days=window_days + 1)
    cycles = {s.id: s for s in settled if first <= s.ends_on <= closed_by}
    arms: dict[int, list[tuple[str, bool]]] = defaultdict(list)   # (tool, held)
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
            arms[membership_id].append((tool_key, bool(held)))
    for membership_id, held in draws.values():
        arms[membership_id].append((PROGRAMME, held))
    truth = Truth()
    for cycle_id, drawn in arms.items():
        s = cycles[cycle_id]
        effect = {tool: responses.of(s.member_id, tool).effect for tool in s.reached}
        for tool, held in drawn:
            arm = (truth.held if held else truth.exposed)[tool]
            arm.n += 1
            off = set(effect) if tool == PROGRAMME else {tool}
            if off & set(effect):
                arm.added += _added(s, effect, off)
    return truth


def _chance(base: float, effects) -> float:
    return min(1.0, max(0.0, base + sum(effects)))


def compute_leads(club_id: int, settled: list, responses: Responses, first: date, last: date,
                  cycle_days: int, timeout: datetime | None = None) -> Truth:
    """The lead tools' truth over SETTLED (year.LeadSettled) lead cycles that began between FIRST and LAST −
    CYCLE_DAYS and have ended (bought, or begun CYCLE_DAYS before TIMEOUT, the last timeout's instant): decided, as
    the lead report counts them. Per lead tool, over the cycles the assignment log drew
    into its arms (intention to treat: reached or not): a cycle's contribution is its chance of buying with every
    lead tool that reached it by the decision minus that chance without this tool (year.py: U below the base plus
    the responses), each person's own responses (effects.py). The truth is the exposed arm's mean minus the held
    arm's (zero when holding out works: the held arm was never reached)."""
    decided_by = last - timedelta(days=cycle_days)
    timed_out_by = timeout - timedelta(days=cycle_days) if timeout is not None else None
    cycles = {s.id: s for s in settled if first <= s.started_on <= decided_by
              and (s.bought or timed_out_by is None or s.started <= timed_out_by)}
    truth = Truth()
    for lead_cycle_id, tool_key, held in db.session.execute(
            select(Assignment.lead_cycle_id, Assignment.tool_key, Assignment.held)
            .where(Assignment.club_id == club_id, Assignment.lead_cycle_id.is_not(None))):
        s = cycles.get(lead_cycle_id)
        if s is None:
            continue
        arm = (truth.held if held else truth.exposed)[tool_key]
        arm.n += 1
        if tool_key in s.reached:
            effect = {tool: responses.of(s.member_id, tool).effect for tool in s.reached}
            arm.added += (_chance(s.base, effect.values())
                          - _chance(s.base, [e for t, e in effect.items() if t != tool_key]))
    return truth
