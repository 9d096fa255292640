"""The manager's KPIs on leads and sales: lead conversion, lead processing time (in the club's opening hours) and
the average sale.

Each takes a Scope and sends a fixed number of SQL statements whatever the data's size. A period's dates are
each club's own local dates (a scope may hold clubs in different time zones). Leads have no plan: the lead
KPIs ignore the scope's plan. The growth, visit, cohort and at-risk KPIs are in clubcrm.reports.activity.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from clubcrm.clock import local_date
from clubcrm.extensions import db
from clubcrm.models import Club, LedgerEntry, Member, Membership, Package, StaffContact
from clubcrm.reports.renewals import took_effect
from clubcrm.reports.scope import Scope, utc_bounds
from clubcrm.services import opening_hours
from clubcrm.services.opening_hours import Hours

CONVERSION_DAYS = 30

# A membership that took effect: not cancelled on or before its first day (such a sale was refunded).
TOOK_EFFECT = took_effect()


def local_span(clubs: Iterable[Club], club_column, instant_column, first: date | None,
               last: date) -> ColumnElement[bool]:
    """A condition: INSTANT_COLUMN falls on local dates FIRST..LAST (inclusive; FIRST None = no lower bound)
    of the club that CLUB_COLUMN names, for each of CLUBS."""
    conditions = []
    for club in clubs:
        begin, stop = utc_bounds(club, first or last, last)
        bounds = [instant_column >= begin] if first is not None else []
        conditions.append(and_(club_column == club.id, *bounds, instant_column < stop))
    return or_(false(), *conditions)


@dataclass(frozen=True)
class LeadConversion:
    """Leads added in the period (people the club registered, whatever their source) and how many bought.

    leads: people registered on a day of the period.
    converted: of those, the ones whose first sale came within 30 days of their registration.
    pending: not converted yet and registered fewer than 30 days before the report's day: they still may,
        so the rate leaves them out.
    per_100: converted per 100 decided leads (leads - pending); None when no lead is decided yet.
    """

    leads: int
    converted: int
    pending: int
    per_100: float | None


def lead_conversion(scope: Scope) -> LeadConversion:
    """Count the period's leads, those converted within 30 days and those still inside their 30 days."""
    clubs = scope.clubs()
    zones = {club.id: club.timezone for club in clubs}
    window = timedelta(days=CONVERSION_DAYS)
    leads = converted = pending = 0
    for club_id, created_at, converted_at in db.session.execute(
        select(Member.club_id, Member.created_at, Member.converted_at)
        .where(local_span(clubs, Member.club_id, Member.created_at, scope.start, scope.end))
    ):
        leads += 1
        if converted_at is not None and converted_at - created_at <= window:
            converted += 1
        elif local_date(created_at, zones[club_id]) + window > scope.today:
            pending += 1
    decided = leads - pending
    return LeadConversion(leads, converted, pending, 100 * converted / decided if decided else None)


@dataclass(frozen=True)
class LeadProcessing:
    """How fast staff get to the period's leads.

    leads: people registered on a day of the period.
    contacted: of those, the ones with at least one logged staff contact (any outcome, even no answer).
    median_hours: the median time from registration to the first logged contact, in hours of the club's opening
        hours (the hours it is closed do not count: a lead at 21:30 called at 06:30 the next morning, the club
        open until 22:00 and from 06:00, waited one opening hour), over the contacted; None when nobody was
        contacted.
    uncontacted: leads with no logged staff contact yet.
    """

    leads: int
    contacted: int
    median_hours: float | None
    uncontacted: int


def open_hours_waited(hours: Hours, created_at: datetime, contacted_at: datetime) -> float:
    """The opening hours (of HOURS) from a lead's registration to their first staff contact; a contact logged
    before the registration (an import of older records) counts as immediate."""
    return opening_hours.open_time_between(hours, created_at, contacted_at).total_seconds() / 3600


def lead_processing(scope: Scope) -> LeadProcessing:
    """Measure the opening time from a lead's registration to their first staff contact."""
    found = opening_hours.clubs_with_hours(scope.club_ids)
    clubs, hours_of = [club for club, _hours in found], {club.id: hours for club, hours in found}
    first_contact = (select(func.min(StaffContact.created_at)).where(StaffContact.member_id == Member.id)
                     .scalar_subquery())
    rows = db.session.execute(
        select(Member.club_id, Member.created_at, first_contact)
        .where(local_span(clubs, Member.club_id, Member.created_at, scope.start, scope.end))
    ).all()
    waited = [open_hours_waited(hours_of[club_id], created_at, contacted_at)
              for club_id, created_at, contacted_at in rows if contacted_at is not None]
    return LeadProcessing(len(rows), len(waited), median(waited) if waited else None, len(rows) - len(waited))


@dataclass(frozen=True)
class SaleAverage:
    """Sales in one currency in the period: memberships and service packages sold.

    currency: ISO 4217 code.
    count: membership sales (less those refunded before the membership began) plus package sales; plan
        bonuses and gifted units are not sales.
    total_minor: what they came to, in the currency's minor unit (cents).
    average_minor: total_minor / count, rounded to a whole minor unit.
    """

    currency: str
    count: int
    total_minor: int
    average_minor: int


def average_sale(scope: Scope) -> list[SaleAverage]:
    """Sum the period's sales per currency; with a plan, only that plan's memberships (no packages)."""
    clubs = scope.clubs()
    memberships = (
        select(Membership.currency, func.count(), func.sum(Membership.price_minor))
        .where(local_span(clubs, Membership.club_id, Membership.sold_at, scope.start, scope.end), TOOK_EFFECT)
        .group_by(Membership.currency)
    )
    queries = [memberships if scope.plan_id is None else memberships.where(Membership.plan_id == scope.plan_id)]
    if scope.plan_id is None:
        queries.append(
            select(LedgerEntry.currency, func.count(), func.sum(LedgerEntry.price_minor))
            .join(Package, Package.id == LedgerEntry.package_id)
            .where(LedgerEntry.kind == "grant", LedgerEntry.price_minor.is_not(None),
                   local_span(clubs, Package.club_id, LedgerEntry.created_at, scope.start, scope.end))
            .group_by(LedgerEntry.currency)
        )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for query in queries:
        for currency, count, total in db.session.execute(query):
            totals[currency][0] += count
            totals[currency][1] += total or 0
    # Prices are never negative: (2 * total + count) // (2 * count) rounds halves up.
    return [SaleAverage(currency, count, total, (2 * total + count) // (2 * count))
            for currency, (count, total) in sorted(totals.items())]
