"""Where a member stands in their cycle on a given day: lead, adaptation, active, pre_renewal, frozen,
lapsed or lost; and which membership is the cycle the engine plans for."""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

ADAPTATION_DAYS = 42      # the first six weeks of the first membership
PRE_RENEWAL_DAYS = 45     # the last 45 days with no renewal sold
LAPSED_DAYS = 60          # ended at most this many days ago and not renewed; later: lost


class Contract(Protocol):
    id: int
    starts_on: date
    ends_on: date
    cancelled_on: date | None
    renews_id: int | None


@dataclass(frozen=True)
class Stage:
    """A member's stage on DAY and the membership whose cycle it belongs to (None for leads and the lost)."""

    name: str
    day: date
    cycle: Contract | None = None
    first: bool = False       # the cycle is the member's first membership
    renewed: bool = False     # a later membership has been sold

    @property
    def days_since_start(self) -> int | None:
        return (self.day - self.cycle.starts_on).days if self.cycle else None

    @property
    def days_to_end(self) -> int | None:
        return (last_day(self.cycle) - self.day).days if self.cycle else None

    @property
    def length(self) -> int:
        return (last_day(self.cycle) - self.cycle.starts_on).days + 1 if self.cycle else 0


def last_day(contract: Contract) -> date:
    """The contract's last day: its end, or the day before it was cancelled."""
    if contract.cancelled_on is not None and contract.cancelled_on <= contract.ends_on:
        return max(contract.starts_on, contract.cancelled_on - timedelta(days=1))
    return contract.ends_on


def pre_renewal_days(length: int) -> int:
    """The pre-renewal run-up: 45 days, or the last third of a contract shorter than 135 days."""
    return min(PRE_RENEWAL_DAYS, length // 3)


def stage_of(is_lead: bool, contracts: list[Contract], frozen_days: dict[int, list[tuple]],
             day: date, first_start: date | None = None) -> Stage:
    """Say where a member with CONTRACTS (any order) stands on DAY.

    FROZEN_DAYS maps a contract id to its freezes as (first day, last day, ...). FIRST_START is the start of
    the member's first contract when CONTRACTS may not hold all of them.
    """
    if not contracts:
        return Stage("lead" if is_lead else "lost", day)
    starts = [c.starts_on for c in contracts] + ([first_start] if first_start else [])
    first_start = min(starts)
    cancelled_before = [c for c in contracts if c.cancelled_on is not None and c.cancelled_on <= c.starts_on]
    live = [c for c in contracts if c not in cancelled_before]
    current = [c for c in live if c.starts_on <= day <= last_day(c)]
    if current:
        cycle = max(current, key=lambda c: (c.starts_on, c.id))
        first = cycle.starts_on == first_start and cycle.renews_id is None
        renewed = any(c.starts_on > cycle.starts_on for c in live)
        if any(start <= day <= end for start, end, *_ in frozen_days.get(cycle.id, ())):
            return Stage("frozen", day, cycle, first, renewed)
        stage = Stage("active", day, cycle, first, renewed)
        if not renewed and stage.days_to_end < pre_renewal_days(stage.length):
            return Stage("pre_renewal", day, cycle, first, renewed)
        if first and stage.days_since_start < ADAPTATION_DAYS:
            return Stage("adaptation", day, cycle, first, renewed)
        return stage
    if any(c.starts_on > day for c in live):
        return Stage("active", day)   # sold, not started yet: nothing to plan until it starts
    ended = [c for c in contracts if c.starts_on <= day]
    if not ended:
        return Stage("lost", day)
    cycle = max(ended, key=lambda c: (last_day(c), c.id))
    since = (day - last_day(cycle)).days
    first = cycle.starts_on == first_start and cycle.renews_id is None
    return Stage("lapsed" if since <= LAPSED_DAYS else "lost", day, cycle if since <= LAPSED_DAYS else None, first)
