"""What the tools' triggers share: what they know of one member on one day (Context), what a firing records
(Fired), and the helpers several triggers use. The triggers themselves live with their tools (tools/)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from clubcrm.lifecycle.stages import PRE_RENEWAL_DAYS, Stage, pre_renewal_days

if TYPE_CHECKING:   # the facts module imports services; the tools (and so this module) load with the models
    from clubcrm.lifecycle.facts import BookingFacts, ClubFacts, MemberRow, OpenSession, VisitFacts


@dataclass
class Context:
    """What the triggers know of one member on one day."""

    day: date
    stage: Stage
    member: MemberRow
    visits: VisitFacts
    bookings: BookingFacts
    facts: ClubFacts
    contacts_in_cycle: int = 0
    pacing_target: float = 0.0
    last_contact: date | None = None
    sessions_offered: dict[int, int] = field(default_factory=dict)

    @property
    def cycle_id(self) -> int:
        return self.stage.cycle.id

    @property
    def visits_cycle(self) -> int:
        return self.visits.by_membership.get(self.cycle_id, 0)

    @property
    def days_silent(self) -> int:
        """Days since the last visit, the cycle's start or the end of its last freeze, whichever is latest."""
        anchor = self.stage.cycle.starts_on
        if self.visits.last_visit is not None:
            anchor = max(anchor, self.visits.last_visit)
        for _start, end, _id in self.facts.freezes.get(self.cycle_id, ()):
            if end < self.day:
                anchor = max(anchor, end + timedelta(days=1))
        return (self.day - anchor).days


@dataclass(frozen=True)
class Fired:
    occurrence: int
    facts: dict
    session: OpenSession | None = None
    # A staff task's deadline within its day (a lead's first call); None: the day.
    due_at: datetime | None = None


def in_window(value: int, start: int, window: int) -> bool:
    return start <= value <= start + window


def scaled(days: int, stage: Stage) -> int:
    """Renewal timing scaled to contracts too short for the full 45-day run-up."""
    run_up = pre_renewal_days(stage.length)
    return days if run_up >= PRE_RENEWAL_DAYS else days * run_up // PRE_RENEWAL_DAYS


def free_session(ctx: Context, kinds: tuple[str, ...]) -> OpenSession | None:
    for session in ctx.facts.sessions:
        if session.kind in kinds and session.free - ctx.sessions_offered.get(session.id, 0) > 0:
            return session
    ctx.facts.waiting.add(ctx.member.id)   # a place that frees later in the day serves this member then
    return None


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
