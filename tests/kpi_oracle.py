"""The oracle: clubcrm.reports.activity's KPIs as they were computed before issue 15 (commit 43a8418), kept
verbatim so that the set-based computation can be checked against it (tests/test_kpi_oracle.py) and timed
against it (benchmarks/kpi.py). Slow by design: every membership into objects per KPI, every visit ever read.
Do not speed it up; it is the reference.

The manager's KPIs on the member base: growth per month, visits per week, cohort retention, staff contact
coverage and the list of members at risk.

A member is active on a day when one of their memberships covers it: from its first day to its last (the
end, or the day before a cancellation); a membership cancelled on or before its first day never counts.
With a plan in the scope, growth, visits and cohorts count only that plan's memberships (joining means a first
membership of that plan); coverage and the at-risk list keep the members whose membership today is of that
plan and judge them on their whole history. Each KPI sends a fixed number of SQL statements.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal, null, select, union_all

from clubcrm.clock import local_date
from clubcrm.extensions import db
from clubcrm.lifecycle.stages import ADAPTATION_DAYS, last_day
from clubcrm.models import SPOKEN, Club, Member, Membership, Package, StaffContact, Visit
from clubcrm.reports.kpis import TOOK_EFFECT, local_span
from clubcrm.reports.scope import Scope, utc_bounds

SILENCE_DAYS = 14          # no visit on this many days in a row, while a member: at risk
ENDING_DAYS = 14           # the last day is one of the next 14 days and nothing renews it
NEW_GRACE_DAYS = 7         # a new member may take a week before a first visit
DROP_DAYS = 28             # visits in the last 28 days against the 28 days before
DROP_MIN_EARLIER = 4
LOW_BALANCE = (1, 2)
RISK_REASONS = ("no_visit_14", "visits_dropping", "ending_unrenewed", "low_balance", "new_no_visits")


@dataclass(frozen=True)
class Span:
    """One membership that took effect: its member, plan, the membership it renews, first and last day."""

    id: int
    member_id: int
    plan_id: int
    renews_id: int | None
    first: date
    last: date


def spans(scope: Scope) -> list[Span]:
    """Every membership of the scope's clubs that took effect, ordered by member and first day."""
    return [Span(row.id, row.member_id, row.plan_id, row.renews_id, row.starts_on, last_day(row))
            for row in db.session.execute(
                select(Membership.id, Membership.member_id, Membership.plan_id, Membership.renews_id,
                       Membership.starts_on, Membership.ends_on, Membership.cancelled_on)
                .where(Membership.club_id.in_(scope.club_ids), TOOK_EFFECT)
                .order_by(Membership.member_id, Membership.starts_on, Membership.id))]


def of_plan(all_spans: list[Span], plan_id: int | None) -> list[Span]:
    return [s for s in all_spans if plan_id is None or s.plan_id == plan_id]


def active(counted: list[Span], first: date, last: date) -> set[int]:
    """The members with a membership covering at least one day of FIRST..LAST."""
    return {s.member_id for s in counted if s.first <= last and s.last >= first}


def first_starts(counted: list[Span]) -> dict[int, date]:
    """Each member's first day of their first membership (COUNTED is ordered by member and first day)."""
    starts: dict[int, date] = {}
    for s in counted:
        starts.setdefault(s.member_id, s.first)
    return starts


def add_months(month: date, n: int) -> date:
    years, index = divmod(month.month - 1 + n, 12)
    return date(month.year + years, index + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def month_starts(first: date, last: date) -> list[date]:
    """The first day of each calendar month that FIRST..LAST touches."""
    month, found = first.replace(day=1), []
    while month <= last:
        found.append(month)
        month = add_months(month, 1)
    return found


@dataclass(frozen=True)
class MonthGrowth:
    """The member base in one calendar month.

    month: its first day.
    start_count: members active on its first day.
    end_count: members active on its last day (on the report's day for the month under way).
    joined: members whose first membership began in the month (up to that day).
    left: start_count + joined - end_count, never below 0 (who was there or came, and is not there at the end).
    growth_pct: 100 * (end_count - start_count) / start_count; None when the month began with no members.
    """

    month: date
    start_count: int
    end_count: int
    joined: int
    left: int
    growth_pct: float | None


def base_growth(scope: Scope) -> list[MonthGrowth]:
    """Count the base at the start and end of each month of the period that has begun."""
    counted = of_plan(spans(scope), scope.plan_id)
    starts = first_starts(counted)
    growth = []
    for month in month_starts(scope.start, min(scope.end, scope.today)):
        last = min(month_end(month), scope.today)
        # Issue 16: a month begins with the base the previous month ended with (its last day's), so that the table
        # reconciles month to month.
        opening = month - timedelta(days=1)
        start_count, end_count = len(active(counted, opening, opening)), len(active(counted, last, last))
        joined = sum(1 for day in starts.values() if month <= day <= last)
        growth.append(MonthGrowth(month, start_count, end_count, joined, max(0, start_count + joined - end_count),
                                  100 * (end_count - start_count) / start_count if start_count else None))
    return growth


@dataclass(frozen=True)
class WeekVisits:
    """Visits in one ISO week (Monday to Sunday, each club's local days).

    week_start: its Monday.
    visits: the clubs' members' check-ins that week in any club of the chain (with a plan, those made on a
        membership of that plan), on their home club's local days.
    active_members: members with a membership covering at least one day of the week.
    per_member: visits / active_members; None when nobody was active.
    guest_visits: check-ins at the clubs by members of other clubs (chain plans), not counted in visits.
    """

    week_start: date
    visits: int
    active_members: int
    per_member: float | None
    guest_visits: int = 0


def local_bucket(clubs: list[Club], club_column, instant_column, edges: list[date]):
    """A CASE giving i when INSTANT_COLUMN falls on local dates EDGES[i] .. EDGES[i+1] - 1 of its club."""
    whens = []
    for club in clubs:
        for i, (first, after) in enumerate(zip(edges, edges[1:], strict=False)):
            begin, stop = utc_bounds(club, first, after - timedelta(days=1))
            whens.append((and_(club_column == club.id, instant_column >= begin, instant_column < stop), i))
    return case(*whens) if whens else null()


def visits_per_week(scope: Scope) -> list[WeekVisits]:
    """Count visits and active members in each ISO week that the period touches."""
    if scope.end < scope.start:
        return []
    clubs = scope.clubs()
    monday = scope.start - timedelta(days=scope.start.weekday())
    weeks = [monday + timedelta(weeks=i) for i in range((scope.end - monday).days // 7 + 1)]
    edges = [*weeks, weeks[-1] + timedelta(weeks=1)]
    last = weeks[-1] + timedelta(days=6)
    # Own members' visits wherever they happened (home club's days), and guests' visits here (this club's days).
    home = Member.club_id
    own = (select(local_bucket(clubs, home, Visit.checked_in_at, edges).label("week"), literal(0).label("guest"))
           .select_from(Visit).join(Member, Member.id == Visit.member_id)
           .where(local_span(clubs, home, Visit.checked_in_at, weeks[0], last)))
    if scope.plan_id is not None:
        own = own.where(Visit.membership_id.in_(select(Membership.id).where(Membership.plan_id == scope.plan_id)))
    guests = (select(local_bucket(clubs, Visit.club_id, Visit.checked_in_at, edges).label("week"),
                     literal(1).label("guest"))
              .select_from(Visit).join(Member, Member.id == Visit.member_id)
              .where(local_span(clubs, Visit.club_id, Visit.checked_in_at, weeks[0], last),
                     home.not_in(scope.club_ids)))
    inner = union_all(own, guests).subquery()
    # Grouped in an outer query: PostgreSQL would not match a GROUP BY on a CASE with its own parameters.
    counts = {(week, guest): n for week, guest, n in db.session.execute(
        select(inner.c.week, inner.c.guest, func.count()).group_by(inner.c.week, inner.c.guest))}
    counted = of_plan(spans(scope), scope.plan_id)
    result = []
    for i, week in enumerate(weeks):
        members = len(active(counted, week, week + timedelta(days=6)))
        visits = counts.get((i, 0), 0)
        result.append(WeekVisits(week, visits, members, visits / members if members else None,
                                 counts.get((i, 1), 0)))
    return result


@dataclass(frozen=True)
class Cohort:
    """The members who joined in one month and how many of them stayed.

    month: the first day of the month their first membership began.
    size: how many joined that month.
    retained: for k = 0, 1, ..., the share (0 to 1) of them active on the last day of the k-th month after
        joining (k = 0: the joining month itself); None for months not over by the report's day, or an empty
        cohort.
    """

    month: date
    size: int
    retained: list[float | None]


def cohort_retention(scope: Scope, months: int = 12) -> list[Cohort]:
    """Follow each month's joiners of the period for MONTHS month ends."""
    counted = of_plan(spans(scope), scope.plan_id)
    own: dict[int, list[Span]] = defaultdict(list)
    for s in counted:
        own[s.member_id].append(s)
    starts = first_starts(counted)
    cohorts = []
    for month in month_starts(scope.start, min(scope.end, scope.today)):
        joined = [m for m, day in starts.items() if month <= day <= month_end(month)]
        retained: list[float | None] = []
        for k in range(months):
            day = month_end(add_months(month, k))
            stayed = sum(1 for m in joined if any(s.first <= day <= s.last for s in own[m]))
            retained.append(stayed / len(joined) if joined and day <= scope.today else None)
        cohorts.append(Cohort(month, len(joined), retained))
    return cohorts


@dataclass(frozen=True)
class Standing:
    """A member active today: the membership that covers today and ends last, the first day of their first
    membership ever, and the first day of the unbroken run of memberships that covers today."""

    current: Span
    first_start: date
    since: date


@dataclass(frozen=True)
class Visits:
    last: date | None = None     # the last visit's local date, today at the latest
    recent: int = 0              # visits in the last DROP_DAYS days, today included
    earlier: int = 0             # visits in the DROP_DAYS days before those


def standings(all_spans: list[Span], plan_id: int | None, today: date) -> dict[int, Standing]:
    """The members active on TODAY (with a plan: on a membership of that plan) and where they stand."""
    own: dict[int, list[Span]] = defaultdict(list)
    for s in all_spans:
        own[s.member_id].append(s)
    found = {}
    for member_id, contracts in own.items():
        current = [s for s in contracts if s.first <= today <= s.last]
        if not current or (plan_id is not None and all(s.plan_id != plan_id for s in current)):
            continue
        since = min(s.first for s in current)
        for s in sorted(contracts, key=lambda s: s.last, reverse=True):
            if s.first < since <= s.last + timedelta(days=1):
                since = s.first
        found[member_id] = Standing(max(current, key=lambda s: (s.last, s.id)), contracts[0].first, since)
    return found


def visits_by_member(clubs: list[Club], today: date) -> dict[int, Visits]:
    """Each of the clubs' members' last visit and recent visit counts in any club of the chain, up to the end
    of TODAY in their home club."""
    zones = {club.id: club.timezone for club in clubs}
    drop = timedelta(days=DROP_DAYS)
    home = Member.club_id
    recent = local_span(clubs, home, Visit.checked_in_at, today - drop + timedelta(days=1), today)
    earlier = local_span(clubs, home, Visit.checked_in_at, today - 2 * drop + timedelta(days=1), today - drop)
    found: dict[int, Visits] = {}
    for member_id, club_id, last, recent_count, earlier_count in db.session.execute(
        select(Visit.member_id, home, func.max(Visit.checked_in_at),
               func.sum(case((recent, 1), else_=0)), func.sum(case((earlier, 1), else_=0)))
        .join(Member, Member.id == Visit.member_id)
        .where(local_span(clubs, home, Visit.checked_in_at, None, today))
        .group_by(Visit.member_id, home)
    ):
        seen = found.get(member_id, Visits())
        day = local_date(last, zones[club_id])
        found[member_id] = Visits(max(day, seen.last or day), seen.recent + recent_count,
                                  seen.earlier + earlier_count)
    return found


def is_new(standing: Standing, today: date) -> bool:
    """In adaptation: the first membership ever began within the last ADAPTATION_DAYS days."""
    return (today - standing.first_start).days < ADAPTATION_DAYS


def is_silent(standing: Standing, visits: Visits, today: date) -> bool:
    """No visit on the last SILENCE_DAYS days (today included), all of which the member was a member."""
    quiet_from = today - timedelta(days=SILENCE_DAYS - 1)
    return standing.since <= quiet_from and (visits.last is None or visits.last < quiet_from)


@dataclass(frozen=True)
class Coverage:
    """Whether staff spoke this month with the members who need it most (the calendar month of the report's day).

    new_members: members active today whose first membership began within the last 42 days (adaptation).
    new_spoken: of those, the ones staff spoke with this month (a logged contact that reached them).
    at_risk: other members active today who have not visited on the last 14 days they were members.
    at_risk_spoken: of those, the ones staff spoke with this month.
    share: (new_spoken + at_risk_spoken) / (new_members + at_risk), from 0 to 1; None when both are 0.
    """

    new_members: int
    new_spoken: int
    at_risk: int
    at_risk_spoken: int
    share: float | None


def contact_coverage(scope: Scope) -> Coverage:
    """Count new and silent members and how many of each staff spoke with this month."""
    clubs, today = scope.clubs(), scope.today
    standing = standings(spans(scope), scope.plan_id, today)
    visits = visits_by_member(clubs, today)
    spoken = set(db.session.scalars(
        select(StaffContact.member_id).distinct()
        .join(Member, Member.id == StaffContact.member_id)
        # By the member's home club (whose members these are, on its calendar), not the club that logged the
        # contact: one at another club of the chain, or before the member moved in, was a conversation too.
        .where(StaffContact.outcome.in_(SPOKEN),
               local_span(clubs, Member.club_id, StaffContact.created_at, today.replace(day=1), today))
    ))
    new = {m for m, s in standing.items() if is_new(s, today)}
    silent = {m for m, s in standing.items() if m not in new and is_silent(s, visits.get(m, Visits()), today)}
    total = len(new) + len(silent)
    return Coverage(len(new), len(new & spoken), len(silent), len(silent & spoken),
                    (len(new & spoken) + len(silent & spoken)) / total if total else None)


@dataclass(frozen=True)
class AtRisk:
    """A member active today showing a sign of leaving.

    days_left: days from today to the last day of the current membership (0 on that day).
    last_visit: the date of the last visit, None if never.
    reasons, in RISK_REASONS order: no_visit_14 = no visit on the last 14 days they were a member;
        visits_dropping = fewer visits in the last 28 days than half the 28 days before (which had 4 or more);
        ending_unrenewed = the membership's last day is within the next 14 days and no renewal is sold;
        low_balance = a package (not expired) with 1 or 2 units left;
        new_no_visits = the first membership began 7 to 41 days ago and they have not come since.
    """

    member_id: int
    name: str
    phone: str | None
    days_left: int | None
    last_visit: date | None
    reasons: tuple[str, ...]


def at_risk(scope: Scope, limit: int = 200) -> list[AtRisk]:
    """List today's active members with a reason to worry, the most reasons and the nearest end first."""
    clubs, today = scope.clubs(), scope.today
    all_spans = spans(scope)
    renewed = {s.renews_id for s in all_spans if s.renews_id is not None}
    visits = visits_by_member(clubs, today)
    low = set(db.session.scalars(
        select(Package.member_id).distinct()
        .where(Package.club_id.in_(scope.club_ids), Package.balance.between(*LOW_BALANCE),
               (Package.expires_on.is_(None)) | (Package.expires_on >= today))
    ))
    found = []
    for member_id, standing in standings(all_spans, scope.plan_id, today).items():
        seen = visits.get(member_id, Visits())
        days_left = (standing.current.last - today).days
        signs = {
            "no_visit_14": is_silent(standing, seen, today),
            "visits_dropping": seen.earlier >= DROP_MIN_EARLIER and 2 * seen.recent < seen.earlier,
            "ending_unrenewed": days_left < ENDING_DAYS and standing.current.id not in renewed,
            "low_balance": member_id in low,
            "new_no_visits": NEW_GRACE_DAYS <= (today - standing.first_start).days < ADAPTATION_DAYS
            and (seen.last is None or seen.last < standing.first_start),
        }
        reasons = tuple(code for code in RISK_REASONS if signs[code])
        if reasons:
            found.append((member_id, days_left, seen.last, reasons))
    found.sort(key=lambda f: (-len(f[3]), f[1] is None, f[1] or 0, f[0]))
    found = found[:limit]
    people = {row.id: row for row in db.session.execute(
        select(Member.id, Member.first_name, Member.last_name, Member.phone)
        .where(Member.id.in_([f[0] for f in found])))}
    return [AtRisk(member_id, f"{people[member_id].first_name} {people[member_id].last_name}".strip(),
                   people[member_id].phone, days_left, last_visit, reasons)
            for member_id, days_left, last_visit, reasons in found]
