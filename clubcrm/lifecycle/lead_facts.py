"""The facts the lead tools' triggers read, loaded for a club's open lead cycles at once: a fixed number of
set-based statements, never one per lead (the pass costs the same statements for 100 leads as for 20,000)."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from clubcrm.db import plain_rows, plain_tuples
from clubcrm.lifecycle.facts import CONTACT_STATUSES, MemberRow, OpenSession, local_day
from clubcrm.models import (
    Assignment, Booking, Club, ClubSession, LeadCycle, Member, StaffContact, Touchpoint, Visit,
)
from clubcrm.services.lead_cycles import CONTACTED
from clubcrm.services.opening_hours import Hours, add_open_time, hours_of

# A lead's first call is due this many opening minutes after the lead came.
FIRST_CALL_MINUTES = 60


@dataclass(frozen=True)
class LeadRow:
    id: int
    member_id: int
    started_at: datetime
    source: str


@dataclass(frozen=True)
class TrialRow:
    """A trial session a lead booked in the cycle (what the reminder offers)."""

    id: int
    title: str
    starts_at: datetime


@dataclass
class LeadFacts:
    day: date
    now: datetime
    zone: ZoneInfo
    hours: Hours
    cycle_days: int
    cycles: list[LeadRow]
    members: dict[int, MemberRow]
    # cycle id → ...: reached by a staff contact since it began; trial booked (holds a place); the next booked
    # trial session not yet begun; the last club-local day the lead attended a trial or came in
    reached: set[int]
    trial_booked: set[int]
    trial_next: dict[int, TrialRow]
    attended: dict[int, date]
    # cycle id → the (rule id, occurrence) pairs it already has; {tool key: held out?}
    fired: dict[int, set[tuple[int, int]]]
    assigned: dict[int, dict[str, bool]]
    last_sms: dict[int, date]
    sessions: list[OpenSession]
    waiting: set[int] = field(default_factory=set)

    def session_index(self) -> dict[int, OpenSession | TrialRow]:
        """The sessions a planned SMS may name, by id: those offered, and the trials booked (a reminder's)."""
        return {**{session.id: session for session in self.sessions},
                **{trial.id: trial for trial in self.trial_next.values()}}


def load(club: Club, day: date, now: datetime, cycle_days: int, sessions: list[OpenSession],
         only: set[int] | None = None, cycle_ids: list[int] | None = None) -> LeadFacts:
    """Load the facts of CLUB's open lead cycles as of DAY (club-local) and NOW: all of them, or those of the
    members ONLY names (the hourly pass's members with news), or the cycles CYCLE_IDS (a lead that just came)."""
    zone = ZoneInfo(club.timezone)
    which = [LeadCycle.club_id == club.id, LeadCycle.ended_at.is_(None)]
    if only is not None:
        which.append(LeadCycle.member_id.in_(sorted(only)))
    if cycle_ids is not None:
        which.append(LeadCycle.id.in_(cycle_ids))
    open_cycles = select(LeadCycle.id).where(*which)

    cycles, members = [], {}
    for row in plain_rows(
        select(LeadCycle.id, LeadCycle.member_id, LeadCycle.started_at, LeadCycle.source, Member.first_name,
               Member.birth_date, Member.locale, Member.phone, Member.sms_consent, Member.sms_opted_out_at,
               Member.phone_invalid_at)
        .join(Member, Member.id == LeadCycle.member_id)
        # an erased person gets no more contacts; one who bought is no lead (the sale closes the cycle)
        .where(*which, Member.erased_at.is_(None), Member.converted_at.is_(None))
        .order_by(LeadCycle.id)
    ):
        cycles.append(LeadRow(row.id, row.member_id, row.started_at, row.source))
        members[row.member_id] = MemberRow(row.member_id, row.first_name, row.birth_date, row.locale, row.phone,
                                           row.sms_consent, False, row.sms_opted_out_at, row.phone_invalid_at)

    since = LeadCycle.started_at
    reached = set(cycle_id for cycle_id, in plain_tuples(
        select(LeadCycle.id).distinct().join(StaffContact, StaffContact.member_id == LeadCycle.member_id)
        .where(*which, StaffContact.outcome.in_(CONTACTED), StaffContact.created_at >= since)))

    trial_booked: set[int] = set()
    trial_next: dict[int, TrialRow] = {}
    attended: dict[int, date] = {}
    for cycle_id, status, session_id, title, starts_at in plain_tuples(
        select(LeadCycle.id, Booking.status, ClubSession.id, ClubSession.title, ClubSession.starts_at)
        .join(Booking, Booking.member_id == LeadCycle.member_id)
        .join(ClubSession, ClubSession.id == Booking.session_id)
        .where(*which, ClubSession.kind == "trial", ClubSession.cancelled_at.is_(None),
               Booking.created_at >= since)
        .order_by(ClubSession.starts_at)
    ):
        if status in ("booked", "attended", "no_show"):
            trial_booked.add(cycle_id)
        if status == "booked" and starts_at >= now and cycle_id not in trial_next:
            trial_next[cycle_id] = TrialRow(session_id, title, starts_at)
        if status == "attended":
            attended[cycle_id] = max(attended.get(cycle_id, date.min), local_day(starts_at, zone))
    # A lead who came in (a check-in since the cycle began) attended as a trial does, as the stages count it.
    # An open cycle began at most cycle_days ago: that constant bound lets PostgreSQL read the members' recent
    # visits by index instead of every visit (0.33 s for none at 100,000 members, measured).
    earliest = now - timedelta(days=cycle_days + 1)
    for cycle_id, last in plain_tuples(
        select(LeadCycle.id, func.max(Visit.checked_in_at)).join(Visit, Visit.member_id == LeadCycle.member_id)
        .where(*which, Visit.checked_in_at >= since, Visit.checked_in_at >= earliest, Visit.checked_in_at <= now)
        .group_by(LeadCycle.id)
    ):
        attended[cycle_id] = max(attended.get(cycle_id, date.min), local_day(last, zone))

    fired: dict[int, set[tuple[int, int]]] = defaultdict(set)
    last_sms: dict[int, date] = {}
    for cycle_id, member_id, rule_id, occurrence, status, channel, due_on in plain_tuples(
        select(Touchpoint.lead_cycle_id, Touchpoint.member_id, Touchpoint.rule_id, Touchpoint.occurrence,
               Touchpoint.status, Touchpoint.channel, Touchpoint.due_on)
        .where(Touchpoint.lead_cycle_id.in_(open_cycles))
    ):
        fired[cycle_id].add((rule_id, occurrence))
        if channel == "sms" and status in CONTACT_STATUSES and due_on > last_sms.get(member_id, date.min):
            last_sms[member_id] = due_on
    assigned: dict[int, dict[str, bool]] = defaultdict(dict)
    for cycle_id, tool_key, held in plain_tuples(
        select(Assignment.lead_cycle_id, Assignment.tool_key, Assignment.held)
        .where(Assignment.lead_cycle_id.in_(open_cycles))
    ):
        assigned[cycle_id][tool_key] = held

    return LeadFacts(day, now, zone, hours_of(club), cycle_days, cycles, members, reached,
                     trial_booked, trial_next, attended, fired, assigned, last_sms, sessions)


def first_call_due(facts: LeadFacts, started_at: datetime) -> datetime:
    """When a lead who came at STARTED_AT must have had the first call: one opening hour later (a lead who came
    in a closed evening: the next opening's first hour)."""
    return add_open_time(facts.hours, started_at, FIRST_CALL_MINUTES)

