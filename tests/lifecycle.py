"""Helpers for tests of the lifecycle engine: clubs seeded with rules and no holdouts, and one pass."""
from datetime import datetime

from sqlalchemy import select, update

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import Club, Tool


def no_holdouts(*club_ids: int) -> None:
    """Seed the default rules of the clubs CLUB_IDS (all clubs if none) and hold nobody out of any tool or of
    the programme, so that a test's plan does not depend on the holdout hash."""
    with unit_of_work():
        query = select(Club).where(Club.id.in_(club_ids)) if club_ids else select(Club)
        clubs = list(db.session.scalars(query))
        for club in clubs:
            engine.club_rules(club)
        db.session.execute(update(Tool).where(Tool.club_id.in_([c.id for c in clubs])).values(holdout_pct=0))
        for club in clubs:
            club.programme_holdout_pct = 0


def run_pass(now: datetime | None = None, dry_run: bool = False) -> engine.Plan:
    """Run one lifecycle pass at NOW (the frozen clock by default) in a unit of work."""
    with unit_of_work():
        return engine.run(now or clock.utcnow(), dry_run=dry_run)
