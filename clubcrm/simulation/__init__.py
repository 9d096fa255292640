"""A synthetic club history driven through the real lifecycle engine, day by day (see year.py for the rules
of its members' behaviour and renewals). It fills the demo club and lets tests check that the per-tool
statistics find the effects it put in."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text, update

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import Club, Tool
from clubcrm.simulation.club import build
from clubcrm.simulation.config import DEFAULT_EFFECTS, SimConfig
from clubcrm.simulation.year import Counts, Truth, Year

__all__ = ["DEFAULT_EFFECTS", "SimConfig", "SimResult", "simulate"]


# PostgreSQL plans by table statistics, which autovacuum cannot gather on rows of a transaction still open (the
# demo's): without them the engine's touchpoint queries took 25x longer by the simulation's end.
ANALYZE_EVERY_DAYS = 30


def refresh_statistics() -> None:
    """ANALYZE on PostgreSQL (allowed inside a transaction, and it sees the transaction's own rows)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))


@dataclass
class SimResult:
    club: Club
    first: date
    last: date
    truth: Truth
    counts: Counts
    touchpoints: int


def simulate(cfg: SimConfig, commit: bool = False, progress: Callable[[date], None] | None = None) -> SimResult:
    """Create a club and live CFG.days days of it, ending on CFG.end. Flushes; with COMMIT, commits each day
    (a long run keeps what it made if stopped). The clock is set to each morning and restored after."""
    cfg.check()
    rng = random.Random(cfg.seed)
    last = cfg.end or clock.local_today(cfg.timezone)
    first = last - timedelta(days=cfg.days - 1)
    sim = build(cfg, first, last, rng)
    engine.club_rules(sim.club)
    db.session.execute(update(Tool).where(Tool.club_id == sim.club.id).values(holdout_pct=cfg.holdout_pct))
    year = Year(sim, cfg, rng)
    year.start(first)
    planned = 0
    day = first
    while day <= last:
        if (day - first).days % ANALYZE_EVERY_DAYS == 0:
            refresh_statistics()
        morning = sim.at(day, 8)
        with clock.frozen(morning):
            planned += len(engine.run(morning, [sim.club.id]).touchpoints)
            year.day(day, last=day == last)
            db.session.flush()
            if commit:
                db.session.commit()
        if progress:
            progress(day)
        day += timedelta(days=1)
    return SimResult(sim.club, first, last, year.truth, year.counts, planned)
