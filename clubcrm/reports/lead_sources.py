"""Leads by source and by month: how many lead cycles began, how many bought within 30 days, how fast staff first
got to them (in the club's opening hours) and what their first sale came to.

What counts, for the lead cycles that began on a local day of the period (each club's own days, its time zone):

  leads       the lead cycles started (a person who asks again after a lost cycle starts a new one and counts
              again); the source is the cycle's own (`LeadCycle.source`), the month the club-local month of its start.
  bought      cycles won (`outcome == 'won'`) by a sale within 30 days (CONVERSION_DAYS) of the cycle's start: the
              won membership's `sold_at`, or, for a cycle won by a service package (no membership), the instant the
              cycle was won (the sale's own). A won membership refunded (cancelled on or before its first day, as
              the average sale KPI judges it) is no sale: its cycle is decided, not bought.
  pending     open cycles (neither won nor lost) that began fewer than 30 days before the report's day (local dates,
              as kpis.lead_conversion counts): they still may buy, so the rate leaves them out.
  per_100     bought per 100 decided cycles (leads - pending); None when none is decided yet.
  contacted   cycles with a staff contact logged in them: the member's first StaffContact at or after the cycle's
              start and not after its end (any outcome, even no answer: the first contact as kpis.lead_processing
              and the stored `contact_us` figure define it, bounded by the cycle so that a later cycle's call does
              not count for an earlier one).
  waiting     open cycles with no staff contact yet ("not contacted yet"). Cycles closed without one (bought at
              the desk at once, lost, timed out) are leads - contacted - waiting: in neither the median nor waiting.
  median_hours  the median opening time from the cycle's start to its first contact, in hours, over the contacted
              (clubcrm.services.opening_hours.open_time_between: hours the club is closed do not count; a club
              without opening hours counts as always open); None when none was contacted.
  first_sales the cycles won by a membership that took effect (whenever it was sold), per currency: how many and
              their prices, and the average (rounded half up to a minor unit). A package win has no price here.

Set-based: two statements (the clubs with their opening hours, the cycles with their won membership and first
contact) whatever the number of leads; the opening time is worked out in Python over the fetched pairs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from sqlalchemy import func, or_, select

from clubcrm.clock import local_date
from clubcrm.extensions import db
from clubcrm.models import LEAD_SOURCES, LeadCycle, Membership, StaffContact
from clubcrm.reports.activity import add_months
from clubcrm.reports.kpis import CONVERSION_DAYS, local_span
from clubcrm.reports.scope import Scope
from clubcrm.services import opening_hours

ALL = "all"


@dataclass(frozen=True)
class FirstSale:
    """The first sales of a row's cycles in one currency: COUNT memberships, TOTAL_MINOR their prices."""

    currency: str
    count: int
    total_minor: int

    @property
    def average_minor(self) -> int:
        # Prices are never negative: (2 * total + count) // (2 * count) rounds halves up, as kpis.average_sale.
        return (2 * self.total_minor + self.count) // (2 * self.count)


@dataclass(frozen=True)
class LeadRow:
    """One line of the report (see the module's docstring for what each figure counts). KEY: a source code, a
    month's first day, or ALL for every cycle of the period."""

    key: str | date
    leads: int
    bought: int
    pending: int
    contacted: int
    waiting: int
    median_hours: float | None
    first_sales: tuple[FirstSale, ...]

    @property
    def decided(self) -> int:
        return self.leads - self.pending

    @property
    def per_100(self) -> float | None:
        return 100 * self.bought / self.decided if self.decided else None

    def first_sale(self, currency: str) -> FirstSale | None:
        return next((s for s in self.first_sales if s.currency == currency), None)


@dataclass(frozen=True)
class LeadSourceReport:
    """The period's lead cycles in total, by source (those with a lead, in LEAD_SOURCES' order) and by club-local
    month (every month of the period, from its start's month to its end's); CURRENCIES of the first sales found."""

    total: LeadRow
    by_source: list[LeadRow]
    by_month: list[LeadRow]
    currencies: list[str]


@dataclass
class _Tally:
    leads: int = 0
    bought: int = 0
    pending: int = 0
    contacted: int = 0
    waiting: int = 0
    hours: list[float] = field(default_factory=list)
    sales: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def row(self, key) -> LeadRow:
        return LeadRow(key, self.leads, self.bought, self.pending, self.contacted, self.waiting,
                       median(self.hours) if self.hours else None,
                       tuple(FirstSale(c, n, total) for c, (n, total) in sorted(self.sales.items())))


def months_of(start: date, end: date) -> list[date]:
    """The first days of the months from START's to END's (inclusive)."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def lead_sources(scope: Scope) -> LeadSourceReport:
    """Count the lead cycles that began in SCOPE's period, by source and by month (the scope's plan is ignored: a
    lead has no plan)."""
    found = opening_hours.clubs_with_hours(scope.club_ids)
    clubs, hours_of = [club for club, _hours in found], {club.id: hours for club, hours in found}
    zones = {club.id: club.timezone for club in clubs}
    cycle = LeadCycle
    first_contact = (select(func.min(StaffContact.created_at))
                     .where(StaffContact.member_id == cycle.member_id, StaffContact.created_at >= cycle.started_at,
                            or_(cycle.ended_at.is_(None), StaffContact.created_at <= cycle.ended_at))
                     .correlate(cycle).scalar_subquery())
    rows = db.session.execute(
        select(cycle.club_id, cycle.source, cycle.started_at, cycle.outcome, cycle.ended_at,
               cycle.won_membership_id, Membership.sold_at, Membership.starts_on, Membership.cancelled_on,
               Membership.price_minor, Membership.currency, first_contact)
        .outerjoin(Membership, Membership.id == cycle.won_membership_id)
        .where(local_span(clubs, cycle.club_id, cycle.started_at, scope.start, scope.end))
    ).all()
    window = timedelta(days=CONVERSION_DAYS)
    total = _Tally()
    by_source: dict[str, _Tally] = defaultdict(_Tally)
    by_month: dict[date, _Tally] = {month: _Tally() for month in months_of(scope.start, scope.end)}
    for (club_id, source, started_at, outcome, ended_at, membership_id, sold_at, starts_on, cancelled_on, price,
         currency, contacted_at) in rows:
        started_on = local_date(started_at, zones[club_id])
        month = started_on.replace(day=1)
        tallies = [total, by_source[source], by_month.setdefault(month, _Tally())]
        took_effect = membership_id is not None and (cancelled_on is None or cancelled_on > starts_on)
        won = outcome == "won" and (membership_id is None or took_effect)
        sale_at = sold_at if membership_id is not None else ended_at
        bought = won and sale_at is not None and sale_at - started_at <= window
        pending = not bought and outcome is None and started_on + window > scope.today
        waited = (opening_hours.open_time_between(hours_of[club_id], started_at, contacted_at).total_seconds()
                  / 3600 if contacted_at is not None else None)
        for tally in tallies:
            tally.leads += 1
            tally.bought += bought
            tally.pending += pending
            if waited is not None:
                tally.contacted += 1
                tally.hours.append(waited)
            elif outcome is None:
                tally.waiting += 1
            if outcome == "won" and took_effect:
                tally.sales[currency][0] += 1
                tally.sales[currency][1] += price or 0
    order = {code: i for i, code in enumerate(LEAD_SOURCES)}
    sources = sorted(by_source, key=lambda code: (order.get(code, len(order)), code))
    return LeadSourceReport(total.row(ALL), [by_source[code].row(code) for code in sources],
                            [by_month[month].row(month) for month in sorted(by_month)],
                            sorted(total.sales))
