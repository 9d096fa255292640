"""The demo club: a year of simulated club life (clubcrm/simulation), so that a new user's desk, Today list and
reports show a living club: members and leads, plans, packages, freezes, visits, classes and trial sessions,
the lifecycle engine's SMS and calls, renewals, and the tools' measured effects."""
from datetime import date

from sqlalchemy import func, select

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import Club
from clubcrm.simulation import SimConfig, simulate
from clubcrm.simulation.club import DEMO_LOGINS, DEMO_PASSWORD

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "is_empty", "load"]


def is_empty() -> bool:
    """Tell whether the database holds no club yet."""
    return not db.session.scalar(select(func.count()).select_from(Club))


def load(members_count: int = 320, seed: int = 7, today: date | None = None, days: int = 365) -> Club:
    """Create the demo club with DAYS days of history up to TODAY (the club's today by default), committed day
    by day (the simulated club's SMS go through the real dispatcher, which commits its own steps). Today's calls
    stay open on the Today list. Nothing is recorded later than now: today's visits, sales and replies stop at
    the current time (a demo loaded at 08:50 has no visit at 11:28)."""
    return simulate(SimConfig(members=members_count, days=days, seed=seed, end=today), not_after=utcnow()).club
