"""A synthetic club history driven through the real lifecycle engine and the real SMS dispatcher, day by day (see
year.py for the rules of its members' behaviour and renewals and of its leads' first sales, gateway.py for the
simulated SMS operator). It fills the demo club and lets `check` and `make honesty` (and check_leads and
benchmarks/honesty_leads for the lead tools) see whether the per-tool statistics find the effects it put in; its
truth (truth.py) comes from the simulator's own records, never from the report's code."""
from __future__ import annotations

import gc
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import Club
from clubcrm.simulation.club import build
from clubcrm.simulation.config import DEFAULT_EFFECTS, SimConfig
from clubcrm.simulation.truth import Truth, compute, compute_leads
from clubcrm.simulation.year import LATE_DAYS, Counts, LeadSettled, Settled, Year

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
    settled: list[Settled]      # the decided cycles as the simulator saw them (what reached each, its chances)
    lead_truth: Truth | None = None                   # the lead tools' (truth.compute_leads)
    lead_settled: list[LeadSettled] | None = None     # the decided lead cycles (what reached each, its base)


def simulate(cfg: SimConfig, progress: Callable[[date], None] | None = None,
             not_after: datetime | None = None) -> SimResult:
    """Create a club and live CFG.days days of it, ending on CFG.end, committing each day (the SMS dispatcher
    commits its own steps; a long run keeps what it made if stopped). The clock is set to each morning and restored
    after. The tools and the programme keep the product's default holdout shares."""
    cfg.check()
    rng = random.Random(cfg.seed)
    last = cfg.end or clock.local_today(cfg.timezone)
    first = last - timedelta(days=cfg.days - 1)
    sim = build(cfg, first, last, rng)
    sim.not_after = not_after   # the demo: nothing later than the moment it is loaded
    engine.club_rules(sim.club)
    year = Year(sim, cfg, rng)
    year.start(first)
    planned = 0
    day = first
    thresholds = gc.get_threshold()
    # The process holds the app, the simulated people and their records for the whole run: the cyclic collector's
    # full scans of them were 10% of a 1,000-person year (gc callbacks). Moved out of its view, and collected less
    # often, they cost 0.5%; the days' garbage is still collected.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        while day <= last:
            if (day - first).days % ANALYZE_EVERY_DAYS == 0:
                refresh_statistics()
            morning = sim.at(day, 8)
            with clock.frozen(morning):
                planned += len(engine.run(morning, [sim.club.id]).touchpoints)
                year.day(day, last=day == last)
                db.session.commit()
            if progress:
                progress(day)
            day += timedelta(days=1)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    truth = compute(sim.club.id, year.settled, year.responses, first, last, LATE_DAYS)
    lead_truth = compute_leads(sim.club.id, year.lead_settled, year.responses, first, last, year.lead_cycle_days,
                               year.last_timeout(last))
    planned += year.planned_on_arrival   # the first contacts planned the moment each lead came (lead_cycles.start)
    return SimResult(sim.club, first, last, truth, year.counts, planned, year.settled, lead_truth, year.lead_settled)
