"""One lifecycle pass: for each club, load the facts, plan today's touchpoints and store them."""
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from clubcrm.clock import local_date
from clubcrm.db import insert_ignoring, unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import defaults, facts, lead_facts, since
from clubcrm.lifecycle.lead_planner import REACHING_TRIGGERS, drop_open_calls, plan_leads
from clubcrm.lifecycle.planner import DayPlan, Drawn, Planned, plan_club
from clubcrm.services.club_closing import drop_open_tasks, is_closed
from clubcrm.sms import outbox
from clubcrm.models import Assignment, Club, LeadCycle, Rule, Touchpoint

log = logging.getLogger(__name__)


@dataclass
class ClubPlan:
    club: Club
    day: date
    planned: list[Planned] = field(default_factory=list)
    drawn: list[Drawn] = field(default_factory=list)


@dataclass
class Plan:
    """What a pass planned (or would plan, in a dry run), club by club."""

    clubs: list[ClubPlan]
    dry_run: bool

    @property
    def touchpoints(self) -> list[Planned]:
        return [p for club in self.clubs for p in club.planned]


def run(now: datetime, club_ids: list[int] | None = None, dry_run: bool = False, hourly: bool = False) -> Plan:
    """Plan every club's touchpoints due on its local date at NOW; a dry run stores no touchpoints.

    HOURLY (the worker's pass): a club's first pass of its local day plans every member, and later ones only the
    members with news since (clubcrm/lifecycle/since.py); each club commits on its own, and a club that fails is
    logged and left for the next pass without holding back the others.

    A club without rules gets the defaults (flushed): a dry run's caller rolls back.
    """
    query = select(Club).order_by(Club.id)
    if club_ids:
        query = query.where(Club.id.in_(club_ids))
    clubs = list(db.session.scalars(query))
    result = Plan([], dry_run)
    for club in clubs:
        if not hourly or dry_run:   # a dry run commits nothing: its caller rolls back
            result.clubs.append(plan_one(club, now, dry_run, hourly))
            continue
        try:
            with unit_of_work():
                result.clubs.append(plan_one(club, now, dry_run, hourly=True))
        except Exception:   # its mark is not moved: the next pass plans the members this one missed
            log.exception("lifecycle pass of club %s failed; the next pass takes it up", club.id)
    return result


def plan_one(club: Club, now: datetime, dry_run: bool, hourly: bool = False) -> ClubPlan:
    """Plan one club's day at NOW (see run)."""
    day = local_date(now, club.timezone)
    if is_closed(club, day):
        # A closed club plans nothing; the tasks still open when a closing day set ahead came are dropped now.
        if not dry_run:
            drop_open_tasks(club, date.min)
        return ClubPlan(club, day, [])
    sessions = only = None
    if hourly:
        sessions = facts.open_sessions(club.id, now)
        only = since.members_to_plan(club.id, day, now, sessions)
    plan, loaded, leads = DayPlan(), None, None
    if only is None or only:
        rules = club_rules(club)
        loaded = facts.load(club.id, club.timezone, day, now, only, sessions)
        plan = plan_club(club, rules, loaded)
        leads = lead_facts.load(club, day, now, current_app.config["LEAD_CYCLE_DAYS"], loaded.sessions, only)
        lead_plan = plan_leads(club, rules, leads, Counter(p.session_id for p in plan.planned if p.session_id))
        plan = DayPlan(plan.planned + lead_plan.planned, plan.drawn + lead_plan.drawn)
    if not dry_run:
        store(club, day, now, plan.planned, plan.drawn)
        if leads is not None and leads.reached:
            drop_open_calls(sorted(leads.reached), "reached", REACHING_TRIGGERS)
        if plan.planned:
            outbox.queue_planned(club, day, now, plan.planned, loaded, leads)
        if hourly:
            offered = Counter(p.session_id for p in plan.planned if p.session_id)
            waiting = (loaded.waiting | leads.waiting) if loaded else set()
            since.remember(club.id, day, now, sessions, offered, waiting, only)
    return ClubPlan(club, day, plan.planned, plan.drawn)


def plan_lead_now(cycle: LeadCycle, now: datetime) -> list[Planned]:
    """Plan a lead's touchpoints the moment the lead comes (their first call is due an opening hour later, not at
    the next hourly pass), in the caller's transaction; the pass later finds them planned and plans nothing twice.
    A club closed today plans nothing: its first pass after it opens does."""
    club = db.session.get(Club, cycle.club_id)
    day = local_date(now, club.timezone)
    if is_closed(club, day):
        return []
    leads = lead_facts.load(club, day, now, current_app.config["LEAD_CYCLE_DAYS"], facts.open_sessions(club.id, now),
                            cycle_ids=[cycle.id])
    plan = plan_leads(club, club_rules(club), leads)
    store(club, day, now, plan.planned, plan.drawn)
    if plan.planned:
        outbox.queue_planned(club, day, now, plan.planned, None, leads)
    return plan.planned


def club_rules(club: Club, seed: bool = True) -> list[Rule]:
    """The club's rules with their tools (one query); a club without them first gets the defaults."""
    rules = list(db.session.scalars(
        select(Rule).where(Rule.club_id == club.id).options(joinedload(Rule.tool)).order_by(Rule.id)))
    if seed and ({spec.key for spec in defaults.RULES} - {rule.key for rule in rules}):
        try:
            with db.session.begin_nested():   # a concurrent first seed (page view, worker) may win the race
                defaults.ensure(club)
        except IntegrityError:
            pass
        db.session.expire_all()
        return club_rules(club, seed=False)
    return rules


def store(club: Club, day: date, now: datetime, planned: list[Planned], drawn: list[Drawn]) -> None:
    """Insert the arms drawn and the plan, one statement each for the memberships' cycles and one each for the
    leads'; a row already there (a concurrent pass) is left as it is, so a cycle keeps the arm it was first drawn
    into."""
    for cycle, rows in _by_cycle(d.row(club.id, day, now) for d in drawn):
        insert_ignoring(Assignment, rows, [cycle, "tool_key"])
    for cycle, rows in _by_cycle(p.row(club.id, day, now) for p in planned):
        insert_ignoring(Touchpoint, rows, [cycle, "rule_id", "occurrence"])


def _by_cycle(rows) -> list[tuple[str, list[dict]]]:
    """ROWS split by the column that names their cycle (each has its own unique key), those present only."""
    members, leads = [], []
    for row in rows:
        (leads if row["lead_cycle_id"] is not None else members).append(row)
    return [(column, part) for column, part in (("membership_id", members), ("lead_cycle_id", leads)) if part]
