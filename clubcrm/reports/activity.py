"""The manager's KPIs on the member base: growth per month, visits per week, cohort retention, staff contact
coverage and the list of members at risk.

A member is active on a day when one of their memberships covers it: from its first day to its last (the
end, or the day before a cancellation); a membership cancelled on or before its first day never counts.
With a plan in the scope, growth, visits and cohorts count only that plan's memberships (joining means a first
membership of that plan); coverage and the at-risk list keep the members whose membership today is of that
plan and judge them on their whole history. Each KPI sends a fixed number of SQL statements.

How (issue 15): set-based and bounded. The memberships are read once per request (`spans`, shared through
session_memo) and only for members with one lasting into the reach of the scope; the members counted per day, week
or month come from one sort of their runs, not a scan per bucket. Visits are counted per week in the database in
each club's time zone, reading only the period's weeks: each week's UTC bounds are worked out in Python from the zone
(true across a change of summer time), then PostgreSQL finds a visit's week with width_bucket among them and other
engines join against them. The at-risk signs read only the last 56 days of visits. The per-week and per-day
functions (`weekly_visit_counts`, `active_per_bucket`, `active_on`) are what a nightly job can store.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import NamedTuple

from sqlalchemy import DateTime, Integer, and_, case, column, func, literal, or_, select, union_all, values
from sqlalchemy.dialects.postgresql import ARRAY

from clubcrm.clock import local_date
from clubcrm.extensions import db
from clubcrm.db import plain_rows
from clubcrm.lifecycle.stages import ADAPTATION_DAYS, last_day
from clubcrm.lifecycle.tools import renewal_offer
from clubcrm.models import SPOKEN, Club, Member, Membership, Package, StaffContact, Tool, Touchpoint, Visit
from clubcrm.models.base import UTCDateTime
from clubcrm.reports.kpis import TOOK_EFFECT, local_span
from clubcrm.reports.scope import Scope, utc_bounds
from clubcrm.reports.session_memo import remembered

SILENCE_DAYS = 14          # no visit on this many days in a row, while a member: at risk
ENDING_DAYS = 14           # the last day is one of the next 14 days and nothing renews it
NEW_GRACE_DAYS = 7         # a new member may take a week before a first visit
DROP_DAYS = 28             # visits in the last 28 days against the 28 days before
DROP_MIN_EARLIER = 4
LOW_BALANCE = (1, 2)
ONE_DAY = timedelta(days=1)
RISK_REASONS = ("no_visit_14", "visits_dropping", "ending_unrenewed", "low_balance", "new_no_visits")
# What the list says of a member at risk beside the reasons, without listing anyone for it or ranking by it.
OFFER_OPENED = "offer_opened"
RENEWAL_OFFER_TOOL = renewal_offer.TOOL.key


class Span(NamedTuple):
    """One membership that took effect: its member, plan, the membership it renews, first and last day."""

    id: int
    member_id: int
    plan_id: int
    renews_id: int | None
    first: date
    last: date


def reach(scope: Scope) -> date:
    """The first day any KPI of SCOPE looks at: the first of its first month, the Monday of its first week, or
    today, whichever comes first."""
    return min(scope.start.replace(day=1), scope.start - timedelta(days=scope.start.weekday()), scope.today)


def spans(scope: Scope) -> list[Span]:
    """The memberships that took effect of the scope's clubs, ordered by member and first day, of every member with
    one lasting to the scope's reach or later (their whole history: joining and the unbroken run need it).

    Loaded once per request (session_memo): the page's five KPIs share it. A member whose memberships all ended
    before the reach is in no KPI of the scope: not active in it, not a joiner of it, not active today."""
    return remembered(("kpi_spans", scope.club_ids, reach(scope)), lambda: _load_spans(scope.club_ids, reach(scope)))


def _load_spans(club_ids: tuple[int, ...], since: date) -> list[Span]:
    m = Membership
    ours = and_(m.club_id.in_(club_ids), TOOK_EFFECT)
    # "Last day on SINCE or later" without date arithmetic: a cancelled contract's last day is the day before.
    lasting = select(m.member_id).where(ours, m.ends_on >= since, or_(m.cancelled_on.is_(None), m.cancelled_on > since))
    rows = plain_rows(
        select(m.id, m.member_id, m.plan_id, m.renews_id, m.starts_on, m.ends_on, m.cancelled_on)
        .where(ours, m.member_id.in_(lasting))
        .order_by(m.member_id, m.starts_on, m.id)).all()
    return [Span(row.id, row.member_id, row.plan_id, row.renews_id, row.starts_on, last_day(row)) for row in rows]


def of_plan(all_spans: list[Span], plan_id: int | None) -> list[Span]:
    return all_spans if plan_id is None else [s for s in all_spans if s.plan_id == plan_id]


def by_member(counted: list[Span]) -> Iterator[tuple[int, list[Span]]]:
    """COUNTED (ordered by member) member by member."""
    for member_id, group in groupby(counted, key=lambda s: s.member_id):
        yield member_id, list(group)


def member_runs(scope: Scope) -> list[list[list[date]]]:
    """Each counted member's days as disjoint runs [first, last], earliest first: what growth, weeks and cohorts
    count, worked out once per request from the scope's memberships (of its plan, if it has one)."""
    return remembered(("kpi_runs", scope.club_ids, reach(scope), scope.plan_id),
                      lambda: runs(of_plan(spans(scope), scope.plan_id)))


def runs(counted: list[Span]) -> list[list[list[date]]]:
    """RUNS of COUNTED (ordered by member and first day): a member's memberships that overlap or follow each other
    without a free day make one run."""
    found: list[list[list[date]]] = []
    member, merged = None, []
    for s in counted:
        if s.member_id != member:
            member, merged = s.member_id, [[s.first, s.last]]
            found.append(merged)
        elif s.first <= merged[-1][1] + ONE_DAY:
            if s.last > merged[-1][1]:
                merged[-1][1] = s.last
        else:
            merged.append([s.first, s.last])
    return found


def active_on(members: list[list[list[date]]], days: list[date]) -> list[int]:
    """For each of DAYS, how many of MEMBERS (their runs) are members on it."""
    firsts = sorted(run[0] for runs_ in members for run in runs_)
    lasts = sorted(run[1] for runs_ in members for run in runs_)
    # A member's runs are disjoint: those covering DAY are those begun by it less those over before it.
    return [bisect_right(firsts, day) - bisect_left(lasts, day) for day in days]


def active_per_bucket(members: list[list[list[date]]], edges: list[date]) -> list[int]:
    """For each bucket EDGES[i] .. EDGES[i+1] - 1, how many of MEMBERS (their runs) are members on one of its days
    at least."""
    n, bottom, top = len(edges) - 1, edges[0], edges[-1] - ONE_DAY
    change = [0] * (n + 1)
    for runs_ in members:
        reached = -1                       # the last bucket this member is already counted in
        for first, last in runs_:
            if last < bottom or first > top:
                continue
            low = max(bisect_right(edges, max(first, bottom)) - 1, reached + 1)
            high = bisect_right(edges, min(last, top)) - 1
            if low <= high:
                change[low] += 1
                change[high + 1] -= 1
                reached = high
    counts, running = [], 0
    for delta in change[:n]:
        running += delta
        counts.append(running)
    return counts


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
    start_count: members active on the previous month's last day: the base the month began with, which is the
        previous month's end_count (the table reconciles month to month).
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


def month_opening(month: date) -> date:
    """The day whose base opens MONTH: the previous month's last day (the base that month ended with)."""
    return month - timedelta(days=1)


def base_growth(scope: Scope) -> list[MonthGrowth]:
    """Count the base at the start and end of each month of the period that has begun."""
    members = member_runs(scope)
    months = month_starts(scope.start, min(scope.end, scope.today))
    lasts = [min(month_end(month), scope.today) for month in months]
    # A month starts with the base the previous one ended with (active on its last day), so the table reconciles
    # month to month; it ends with those active on its own last day (today for the month under way).
    on = active_on(members, [day for month, last in zip(months, lasts, strict=True)
                             for day in (month_opening(month), last)])
    joins = sorted(runs_[0][0] for runs_ in members)   # each member's first day of their first membership
    growth = []
    for i, (month, last) in enumerate(zip(months, lasts, strict=True)):
        start_count, end_count = on[2 * i], on[2 * i + 1]
        joined = bisect_right(joins, last) - bisect_left(joins, month)
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


def week_starts(scope: Scope) -> list[date]:
    """The Monday of each ISO week that the period touches."""
    monday = scope.start - timedelta(days=scope.start.weekday())
    return [monday + timedelta(weeks=i) for i in range((scope.end - monday).days // 7 + 1)]


def visits_per_week(scope: Scope) -> list[WeekVisits]:
    """Count visits and active members in each ISO week that the period touches."""
    if scope.end < scope.start:
        return []
    weeks = week_starts(scope)
    counts = weekly_visit_counts(scope.clubs(), scope.plan_id, weeks)
    edges = [*weeks, weeks[-1] + timedelta(weeks=1)]
    members = active_per_bucket(member_runs(scope), edges)
    return [WeekVisits(week, counts.get((i, 0), 0), members[i],
                       counts.get((i, 0), 0) / members[i] if members[i] else None, counts.get((i, 1), 0))
            for i, week in enumerate(weeks)]


def weekly_visit_counts(clubs: list[Club], plan_id: int | None, weeks: list[date]) -> dict[tuple[int, int], int]:
    """Visits per (week index in WEEKS, guest): the clubs' members' own visits in any club of the chain on their home
    club's local days (guest 0; with a plan, those made on a membership of it), and visits at the clubs by members of
    other clubs on the visited club's local days (guest 1). Grouped in the database, only the weeks' visits read."""
    if not clubs:
        return {}
    last = weeks[-1] + timedelta(days=6)
    home = Member.club_id
    own_where = [local_span(clubs, home, Visit.checked_in_at, weeks[0], last)]
    if plan_id is not None:
        own_where.append(Visit.membership_id.in_(select(Membership.id).where(Membership.plan_id == plan_id)))
    guest_where = [local_span(clubs, Visit.club_id, Visit.checked_in_at, weeks[0], last),
                   home.not_in([club.id for club in clubs])]
    if db.session.get_bind().dialect.name == "postgresql":
        return _weekly_counts_by_bucket(clubs, weeks, own_where, guest_where)
    return _weekly_counts_by_bounds(clubs, weeks, own_where, guest_where)


def _weekly_counts_by_bucket(clubs: list[Club], weeks: list[date], own_where: list,
                             guest_where: list) -> dict[tuple[int, int], int]:
    """PostgreSQL: a visit's week is width_bucket of its instant among the UTC instants at which its club's weeks
    begin, worked out in Python from the zone (so a week across a change of summer time has its true bounds),
    joined by club id: a binary search per visit, half the time of converting each instant to local time, no CASE."""
    edges = [*weeks, weeks[-1] + timedelta(weeks=1)]
    starts = values(column("club_id", Integer), column("edges", ARRAY(DateTime(timezone=True))), name="starts").data(
        [(club.id, [utc_bounds(club, day, day)[0] for day in edges]) for club in clubs]).cte("starts")
    parts = [select(func.width_bucket(Visit.checked_in_at, starts.c.edges).label("week"), literal(guest).label("guest"))
             .select_from(Visit).join(Member, Member.id == Visit.member_id)
             .join(starts, starts.c.club_id == club_column).where(*where)
             for guest, club_column, where in ((0, Member.club_id, own_where), (1, Visit.club_id, guest_where))]
    inner = union_all(*parts).subquery()
    # width_bucket counts from 1 (the first week); the WHERE keeps every visit inside the weeks.
    return {(week - 1, guest): n for week, guest, n in db.session.execute(
        select(inner.c.week, inner.c.guest, func.count()).group_by(inner.c.week, inner.c.guest))}


def _weekly_counts_by_bounds(clubs: list[Club], weeks: list[date], own_where: list,
                             guest_where: list) -> dict[tuple[int, int], int]:
    """Any engine (SQLite has no time zones): a join against each club's weeks as UTC instants [begin, stop), worked
    out in Python from the zone, so a week across a change of summer time has its true bounds."""
    rows = [(club.id, i, *utc_bounds(club, week, week + timedelta(days=6))) for club in clubs
            for i, week in enumerate(weeks)]
    bounds = values(column("club_id", Integer), column("idx", Integer), column("begin", UTCDateTime),
                    column("stop", UTCDateTime), name="weeks").data(rows).cte("weeks")
    counts: dict[tuple[int, int], int] = {}
    for guest, club_column, where in ((0, Member.club_id, own_where), (1, Visit.club_id, guest_where)):
        query = (select(bounds.c.idx, func.count())
                 .select_from(Visit).join(Member, Member.id == Visit.member_id)
                 .join(bounds, and_(bounds.c.club_id == club_column, Visit.checked_in_at >= bounds.c.begin,
                                    Visit.checked_in_at < bounds.c.stop))
                 .where(*where).group_by(bounds.c.idx))
        counts.update({(i, guest): n for i, n in db.session.execute(query)})
    return counts


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
    cohort_months = month_starts(scope.start, min(scope.end, scope.today))
    # The k-th checkpoint of a cohort: the last day of the k-th month after the joining month.
    ends = {month: [month_end(add_months(month, k)) for k in range(months)] for month in cohort_months}
    sizes = dict.fromkeys(cohort_months, 0)
    stayed = {month: [0] * months for month in cohort_months}
    for runs_ in member_runs(scope):
        joined = runs_[0][0].replace(day=1)
        if joined not in sizes:
            continue
        sizes[joined] += 1
        checkpoints, counts = ends[joined], stayed[joined]
        for first, last in runs_:    # disjoint runs cover disjoint checkpoints: each counted once
            for k in range(bisect_left(checkpoints, first), bisect_right(checkpoints, last)):
                counts[k] += 1
    return [Cohort(month, sizes[month], [
        stayed[month][k] / sizes[month] if sizes[month] and ends[month][k] <= scope.today else None
        for k in range(months)]) for month in cohort_months]


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
    found = {}
    for member_id, contracts in by_member(all_spans):
        current = [s for s in contracts if s.first <= today <= s.last]
        if not current or (plan_id is not None and all(s.plan_id != plan_id for s in current)):
            continue
        since = min(s.first for s in current)
        for s in sorted(contracts, key=lambda s: s.last, reverse=True):
            if s.first < since <= s.last + timedelta(days=1):
                since = s.first
        found[member_id] = Standing(max(current, key=lambda s: (s.last, s.id)), contracts[0].first, since)
    return found


def scope_standings(scope: Scope) -> dict[int, Standing]:
    """STANDINGS of the scope's members today, worked out once per request (coverage and the at-risk list share it)."""
    return remembered(("kpi_standings", scope.club_ids, reach(scope), scope.plan_id, scope.today),
                      lambda: standings(spans(scope), scope.plan_id, scope.today))


def visits_by_member(clubs: list[Club], today: date) -> dict[int, Visits]:
    """The clubs' members who visited any club of the chain in the last 2 * DROP_DAYS days up to the end of TODAY in
    their home club: their last visit then and their visit counts. Only that window is read: whoever is not in the
    answer last came before it, which is all the at-risk signs need to know (`last_visits` finds that day)."""
    return remembered(("kpi_visits", tuple(club.id for club in clubs), today), lambda: _visits_by_member(clubs, today))


def _visits_by_member(clubs: list[Club], today: date) -> dict[int, Visits]:
    drop = timedelta(days=DROP_DAYS)
    first = today - 2 * drop + ONE_DAY
    # Each club's local midnights of the window as UTC instants: a visit's local day by bisection (the zone's rules
    # applied once per day, not once per member).
    midnights = {club.id: [utc_bounds(club, first + timedelta(days=i), first)[0] for i in range(2 * DROP_DAYS + 1)]
                 for club in clubs}
    home = Member.club_id
    recent = local_span(clubs, home, Visit.checked_in_at, today - drop + ONE_DAY, today)
    found: dict[int, Visits] = {}
    for member_id, club_id, last, visits, recent_count in plain_rows(
        select(Visit.member_id, home, func.max(Visit.checked_in_at), func.count(),
               func.sum(case((recent, 1), else_=0)))
        .join(Member, Member.id == Visit.member_id)
        .where(local_span(clubs, home, Visit.checked_in_at, first, today))
        .group_by(Visit.member_id, home)
    ).all():
        day = first + timedelta(days=bisect_right(midnights[club_id], last) - 1)
        found[member_id] = Visits(day, recent_count, visits - recent_count)
    return found


def last_visits(clubs: list[Club], member_ids: list[int], today: date) -> dict[int, date]:
    """The local date of each of MEMBER_IDS' last visit up to the end of TODAY in their home club (those who ever
    came), read through the (member, instant) index."""
    zones = {club.id: club.timezone for club in clubs}
    home = Member.club_id
    return {member_id: local_date(last, zones[club_id]) for member_id, club_id, last in plain_rows(
        select(Visit.member_id, home, func.max(Visit.checked_in_at))
        .join(Member, Member.id == Visit.member_id)
        .where(Visit.member_id.in_(member_ids), local_span(clubs, home, Visit.checked_in_at, None, today))
        .group_by(Visit.member_id, home))}


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
    standing = scope_standings(scope)
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
        new_no_visits = the first membership began 7 to 41 days ago and they have not come since;
    then, as a note (it lists nobody and does not rank): offer_opened = the current membership has a renewal offer
        whose link the member opened on their page, and no renewal is sold.
    """

    member_id: int
    name: str
    phone: str | None
    days_left: int | None
    last_visit: date | None
    reasons: tuple[str, ...]


def at_risk(scope: Scope, limit: int = 200, offset: int = 0) -> list[AtRisk]:
    """List today's active members with a reason to worry, the most reasons and the nearest end first (LIMIT of them
    from OFFSET on: names and last visits are read for those only)."""
    clubs, today = scope.clubs(), scope.today
    renewed = {s.renews_id for s in spans(scope) if s.renews_id is not None}
    visits = visits_by_member(clubs, today)
    low = set(db.session.scalars(
        select(Package.member_id).distinct()
        .where(Package.club_id.in_(scope.club_ids), Package.balance.between(*LOW_BALANCE),
               (Package.expires_on.is_(None)) | (Package.expires_on >= today))
    ))
    offers_opened = renewal_offers_opened(scope)
    found = []
    for member_id, standing in scope_standings(scope).items():
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
            if standing.current.id in offers_opened and standing.current.id not in renewed:
                reasons += (OFFER_OPENED,)
            found.append((member_id, days_left, seen.last, reasons))
    found.sort(key=lambda f: (-sum(code in RISK_REASONS for code in f[3]), f[1] is None, f[1] or 0, f[0]))
    found = found[offset:offset + limit]
    # Those not seen in the recent window: their last visit, if any, through the index, for the listed few only.
    earlier = last_visits(clubs, [f[0] for f in found if f[2] is None], today)
    people = {row.id: row for row in plain_rows(
        select(Member.id, Member.first_name, Member.last_name, Member.phone)
        .where(Member.id.in_([f[0] for f in found]))).all()}
    return [AtRisk(member_id, f"{people[member_id].first_name} {people[member_id].last_name}".strip(),
                   people[member_id].phone, days_left, last_visit or earlier.get(member_id), reasons)
            for member_id, days_left, last_visit, reasons in found]


def renewal_offers_opened(scope: Scope) -> set[int]:
    """The ids of the scope's memberships not ended before its day whose renewal offer the member opened from a
    text's link (one statement: the opened touchpoints of the tool, few beside the members)."""
    return set(db.session.scalars(
        select(Touchpoint.membership_id).distinct()
        .join(Tool, Tool.id == Touchpoint.tool_id)
        .join(Membership, Membership.id == Touchpoint.membership_id)
        .where(Tool.key == RENEWAL_OFFER_TOOL, Touchpoint.opened_at.is_not(None),
               Membership.club_id.in_(scope.club_ids), Membership.ends_on >= scope.today)))
