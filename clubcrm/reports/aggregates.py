"""Compute a scope's KPI figures as stored partial aggregates (ReportCount rows), for the worker (issue 15).

Every figure the KPI page shows for any period and plan is a sum over these rows, or (members at risk, contact
coverage: figures of the report's day, not of a period) is stored whole for the day. Figures per plan (0: all plans):

  joined       day      members whose first membership (of the plan) began that day
  active       day      members active on that day: stored for each month's first and last day, and the day itself
  week_active  Monday   members active on at least one day of that ISO week
  cohort       month    k = 0..11: of the month's joiners, those active on the last day of the k-th month after it
  visits       Monday   the scope's members' visits that week on their home club's days (on a membership of the plan)
  guests       Monday   visits at the scope's clubs by members of other clubs (plan 0 only: no plan narrows them)
  leads, converted, pending, contacted   day   the lead KPIs per local day of registration (plan 0 only)
  contact_us   day      k = microseconds of the club's opening time from registration to the first staff contact: how
                        many leads took that long (hours the club is closed do not count)
  sale:<currency>  day  k = 0: sales, k = 1: their total in minor units (plan 0 adds the package sales)
  coverage     day      the report's day; k = 0..3: new members, new spoken to, at risk, at risk spoken to
  cycles:first, renewed:first, pending:first (and :later)   last day of the cycle, per plan (never 0), k = club
               the renewal report's counts (pending as of the report's day); cycles add up over clubs and plans

Non-additive figures and how they stay exact: distinct members over a month or a week (active, week_active, cohort)
are stored per month or week, the only periods the page counts them over; the median time to a first contact is
kept as the distribution of exact delays (contact_us), one row per distinct (day, delay), from which the median of
any period is read; members active "today" (coverage, at risk) are stored for the report's day only, which is the
day the page reads (the day the figures were computed).

The memberships are loaded once for all plans (clubcrm.reports.activity's spans and runs, the same code the direct
computation uses), visits are counted per week and plan by one grouped query per engine, and the lead, contact and
sale rows by one query each; only the dated rows are bucketed into local days in Python.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    DateTime, Integer, case, column, func, literal, or_, select, union_all, values,
)
from sqlalchemy.dialects.postgresql import ARRAY

from clubcrm.clock import local_date
from clubcrm.db import plain_rows
from clubcrm.extensions import db
from clubcrm.models import Club, LedgerEntry, Member, Membership, Package, StaffContact, Visit
from clubcrm.reports import activity, renewals
from clubcrm.reports.activity import add_months, month_end, runs
from clubcrm.reports.kpis import CONVERSION_DAYS, TOOK_EFFECT
from clubcrm.reports.scope import Scope, utc_bounds
from clubcrm.services import opening_hours

COHORT_MONTHS = 12
ALL_PLANS = 0
EARLIEST = date(1900, 1, 1)
LATEST = date(9000, 1, 1)
RENEWAL_FIGURES = tuple(f"{name}:{kind}" for kind in ("first", "later") for name in ("cycles", "renewed", "pending"))
# The most members at risk stored per scope and plan (activity.at_risk reads their names with one IN list, which
# PostgreSQL refuses past 65,535 values); the page may list fewer.
AT_RISK_STORED = 50_000
Row = tuple[int, str, date, int, int]      # plan, figure, day, k, value


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def compute(club_ids: tuple[int, ...], as_of: date) -> tuple[list[Row], list[tuple]]:
    """The count rows and the ranked members at risk (plan, rank, member, days left, last visit, reasons) of the
    scope CLUB_IDS as of local day AS_OF."""
    clubs = list(db.session.scalars(select(Club).where(Club.id.in_(club_ids)).order_by(Club.id)))
    every = activity._load_spans(club_ids, EARLIEST)
    plans = sorted({s.plan_id for s in every})
    rows: list[Row] = []
    first_visit = _first_visit_day(club_ids)
    starts = [s.first for s in every] + ([first_visit] if first_visit else []) + [as_of]
    lasts = [s.last for s in every] + [as_of]
    weeks = [monday(min(starts)) + timedelta(weeks=i)
             for i in range((monday(max(lasts)) - monday(min(starts))).days // 7 + 1)]
    for plan in [None, *plans]:
        rows += _member_rows(runs(activity.of_plan(every, plan)), plan or ALL_PLANS, weeks, as_of)
    rows += _visit_rows(clubs, weeks)
    rows += _lead_rows(clubs, as_of)
    rows += _sale_rows(clubs)
    rows += _renewal_rows(club_ids, as_of)
    at_risk: list[tuple] = []
    for plan in [None, *plans]:
        today = Scope(club_ids, as_of, as_of, as_of, plan)
        coverage = activity.contact_coverage(today)
        for k, n in enumerate((coverage.new_members, coverage.new_spoken, coverage.at_risk, coverage.at_risk_spoken)):
            rows.append((plan or ALL_PLANS, "coverage", as_of, k, n))
        at_risk += [(plan or ALL_PLANS, rank, r.member_id, r.days_left, r.last_visit, " ".join(r.reasons))
                    for rank, r in enumerate(activity.at_risk(today, limit=AT_RISK_STORED))]
    return [row for row in rows if row[4]], at_risk


def _member_rows(members: list[list[list[date]]], plan: int, weeks: list[date], as_of: date) -> Iterator[Row]:
    """Joiners per day, members active on each month's first and last day and on AS_OF, per week, and cohorts."""
    joins = Counter(runs_[0][0] for runs_ in members)
    for day, n in joins.items():
        yield plan, "joined", day, 0, n
    months = activity.month_starts(weeks[0], max(weeks[-1], as_of))
    days = sorted({d for m in months for d in (m, month_end(m)) if d <= as_of} | {as_of})
    for day, n in zip(days, activity.active_on(members, days), strict=True):
        yield plan, "active", day, 0, n
    edges = [*weeks, weeks[-1] + timedelta(weeks=1)]
    for week, n in zip(weeks, activity.active_per_bucket(members, edges), strict=True):
        yield plan, "week_active", week, 0, n
    stayed: dict[date, list[int]] = defaultdict(lambda: [0] * COHORT_MONTHS)
    ends: dict[date, list[date]] = {}
    for runs_ in members:
        joined = runs_[0][0].replace(day=1)
        checkpoints = ends.get(joined)
        if checkpoints is None:
            checkpoints = ends[joined] = [month_end(add_months(joined, k)) for k in range(COHORT_MONTHS)]
        counts = stayed[joined]
        for first, last in runs_:
            for k, day in enumerate(checkpoints):
                if first <= day <= last:
                    counts[k] += 1
    for month, counts in stayed.items():
        for k, n in enumerate(counts):
            yield plan, "cohort", month, k, n


def _first_visit_day(club_ids: tuple[int, ...]) -> date | None:
    """A day on or before the scope's first visit (home members' anywhere, or anyone's at its clubs)."""
    first = db.session.scalar(select(func.min(Visit.checked_in_at)).join(Member, Member.id == Visit.member_id)
                              .where(or_(Member.club_id.in_(club_ids), Visit.club_id.in_(club_ids))))
    return first.date() - timedelta(days=1) if first is not None else None


def _visit_rows(clubs: list[Club], weeks: list[date]) -> list[Row]:
    """Visits per week and plan of the membership they were made on (own), and guests' visits per week."""
    ids = [club.id for club in clubs]
    home = Member.club_id
    own = ((home, [home.in_(ids)]), (Visit.club_id, [Visit.club_id.in_(ids), home.not_in(ids)]))
    if db.session.get_bind().dialect.name == "postgresql":
        counts = _by_bucket(clubs, weeks, own)
    else:
        counts = _by_local_day(clubs, weeks, own)
    rows: list[Row] = []
    total: Counter = Counter()
    for (week, guest, plan), n in counts.items():
        total[week, guest] += n
        if plan is not None and not guest:
            rows.append((plan, "visits", weeks[week], 0, n))
    rows += [(ALL_PLANS, "guests" if guest else "visits", weeks[week], 0, n) for (week, guest), n in total.items()]
    return rows


def _by_bucket(clubs: list[Club], weeks: list[date], parts) -> dict[tuple[int, int, int | None], int]:
    """PostgreSQL: the week by width_bucket among each club's weeks' UTC starts (as activity does)."""
    edges = [*weeks, weeks[-1] + timedelta(weeks=1)]
    starts = values(column("club_id", Integer), column("edges", ARRAY(DateTime(timezone=True))), name="starts").data(
        [(club.id, [utc_bounds(club, day, day)[0] for day in edges]) for club in clubs]).cte("starts")
    selects = [
        select(func.width_bucket(Visit.checked_in_at, starts.c.edges).label("week"), literal(guest).label("guest"),
               Membership.plan_id.label("plan"))
        .select_from(Visit).join(Member, Member.id == Visit.member_id)
        .outerjoin(Membership, Membership.id == Visit.membership_id)
        .join(starts, starts.c.club_id == club_column).where(*where)
        for guest, (club_column, where) in enumerate(parts)]
    inner = union_all(*selects).subquery()
    found = {}
    for week, guest, plan, n in db.session.execute(
            select(inner.c.week, inner.c.guest, inner.c.plan, func.count())
            .group_by(inner.c.week, inner.c.guest, inner.c.plan)):
        if 1 <= week <= len(weeks):     # 0 / len+1: before the first or after the last week
            found[week - 1, guest, plan] = n
    return found


def _by_local_day(clubs: list[Club], weeks: list[date], parts) -> dict[tuple[int, int, int | None], int]:
    """SQLite (no time zones; a range join against every week of the history is slow there): visits counted per
    plan and local day in one grouped scan, each visit's UTC instant shifted by its club's offset in force then (a
    CASE over the zone's offset changes in the weeks counted), and the days then placed in their weeks in Python.
    Grouping per UTC quarter of an hour instead, and placing each quarter in Python, took half of the refresh."""
    index = {week: i for i, week in enumerate(weeks)}
    first = datetime.combine(weeks[0] - timedelta(days=1), datetime.min.time(), UTC)
    last = datetime.combine(weeks[-1] + timedelta(days=8), datetime.min.time(), UTC)
    found: Counter = Counter()
    for guest, (club_column, where) in enumerate(parts):
        shift = case(*((club_column == club.id, _local_shift(club.timezone, first, last)) for club in clubs))
        day = func.date(Visit.checked_in_at, shift)
        for plan, local_day, n in db.session.execute(
                select(Membership.plan_id, day, func.count())
                .select_from(Visit).join(Member, Member.id == Visit.member_id)
                .outerjoin(Membership, Membership.id == Visit.membership_id)
                .where(*where).group_by(Membership.plan_id, day)):
            week = index.get(monday(date.fromisoformat(local_day))) if local_day else None
            if week is not None:
                found[week, guest, plan] += n
    return dict(found)


def _local_shift(zone: str, first: datetime, last: datetime):
    """SQLite's date() modifier taking a UTC instant between FIRST and LAST to ZONE's wall clock: "+120 minutes"
    before the zone's next offset change, and so on (one branch per change)."""
    changes = offset_changes(zone, first, last)
    if len(changes) == 1:
        return literal(_minutes(changes[0][1]))
    return case(*((Visit.checked_in_at < until, literal(_minutes(offset)))
                  for (_since, offset), (until, _next) in pairwise(changes)),
                else_=literal(_minutes(changes[-1][1])))


def _minutes(offset: int) -> str:
    return f"{offset:+d} minutes"


def offset_changes(zone: str, first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """ZONE's UTC offset (minutes) at FIRST and after each change up to LAST: [(since, minutes), ...]. Changes are
    found day by day and then to the second (no zone changes its offset twice in a day)."""
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> int:
        return round(at.astimezone(tz).utcoffset().total_seconds() / 60)

    found = [(first, offset(first))]
    at = first
    while at < last:
        step = min(at + timedelta(days=1), last)
        if offset(step) != found[-1][1]:
            low, high = at, step        # the offset of LOW is the old one, of HIGH the new: halve to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == found[-1][1] else (low, middle)
            found.append((high.replace(microsecond=0), offset(step)))
        at = step
    return found


def _lead_rows(clubs: list[Club], as_of: date) -> list[Row]:
    """Per local day of registration: leads, converted within 30 days, pending as of AS_OF, contacted, and the
    delays to a first contact in the club's opening time (as kpis.lead_conversion and kpis.lead_processing judge
    them)."""
    zones = {club.id: club.timezone for club in clubs}
    hours_of = opening_hours.hours_by_club(clubs)
    window = timedelta(days=CONVERSION_DAYS)
    first_contact = (select(func.min(StaffContact.created_at)).where(StaffContact.member_id == Member.id)
                     .scalar_subquery())
    counts: Counter = Counter()
    for club_id, created_at, converted_at, contacted_at in db.session.execute(
            select(Member.club_id, Member.created_at, Member.converted_at, first_contact)
            .where(Member.club_id.in_(list(zones)))):
        day = local_date(created_at, zones[club_id])
        counts["leads", day, 0] += 1
        if converted_at is not None and converted_at - created_at <= window:
            counts["converted", day, 0] += 1
        elif day + window > as_of:
            counts["pending", day, 0] += 1
        if contacted_at is not None:
            counts["contacted", day, 0] += 1
            waited = opening_hours.open_time_between(hours_of[club_id], created_at, contacted_at)
            counts["contact_us", day, waited // timedelta(microseconds=1)] += 1
    return [(ALL_PLANS, figure, day, k, n) for (figure, day, k), n in counts.items()]


def _sale_rows(clubs: list[Club]) -> list[Row]:
    """Per local day of sale, currency and plan: membership sales that took effect and their total; plan 0 adds
    the package sales (as kpis.average_sale counts them)."""
    zones = {club.id: club.timezone for club in clubs}
    counts: Counter = Counter()
    for club_id, sold_at, currency, plan_id, price in plain_rows(
            select(Membership.club_id, Membership.sold_at, Membership.currency, Membership.plan_id,
                   Membership.price_minor).where(Membership.club_id.in_(list(zones)), TOOK_EFFECT)):
        day = local_date(sold_at, zones[club_id])
        for plan in (ALL_PLANS, plan_id):
            counts[plan, f"sale:{currency}", day, 0] += 1
            counts[plan, f"sale:{currency}", day, 1] += price or 0
    for club_id, created_at, currency, price in plain_rows(
            select(Package.club_id, LedgerEntry.created_at, LedgerEntry.currency, LedgerEntry.price_minor)
            .join(Package, Package.id == LedgerEntry.package_id)
            .where(LedgerEntry.kind == "grant", LedgerEntry.price_minor.is_not(None),
                   Package.club_id.in_(list(zones)))):
        day = local_date(created_at, zones[club_id])
        counts[ALL_PLANS, f"sale:{currency}", day, 0] += 1
        counts[ALL_PLANS, f"sale:{currency}", day, 1] += price or 0
    return [(plan, figure, day, k, n) for (plan, figure, day, k), n in counts.items()]


def _renewal_rows(club_ids: tuple[int, ...], as_of: date) -> list[Row]:
    """The renewal report's cycles, renewed and pending (as of AS_OF) per last day, plan, club and first/later cycle,
    from the direct computation's own subquery over all time."""
    c = renewals.cycles(Scope(club_ids, EARLIEST, LATEST, as_of))
    found: Counter = Counter()
    for club_id, plan_id, first, ends_on, cut_on, n, renewed, pending in db.session.execute(
            select(c.c.club_id, c.c.plan_id, c.c.first, c.c.ends_on, c.c.cut_on, func.count(), func.sum(c.c.renewed),
                   func.sum(c.c.pending))
            .group_by(c.c.club_id, c.c.plan_id, c.c.first, c.c.ends_on, c.c.cut_on)):
        last = cut_on - timedelta(days=1) if cut_on is not None else ends_on
        kind = "first" if first else "later"
        for name, value in (("cycles", n), ("renewed", renewed), ("pending", pending)):
            found[plan_id, f"{name}:{kind}", last, club_id] += int(value or 0)
    return [(plan, figure, day, k, n) for (plan, figure, day, k), n in found.items()]
