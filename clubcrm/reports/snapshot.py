"""The KPI page's figures read from a scope's stored partial aggregates (clubcrm/reports/aggregates.py).

`Stored(scope, refresh)` answers the same questions as the direct computation (clubcrm.reports.activity and
clubcrm.reports.kpis), with the same dataclasses, by summing the stored rows of the period: one statement for all
the counts of the scope, period and plan, and two for a page of the members at risk, whatever the club's size.
The scope's day (`today`) must be the day the figures stand on (refresh.as_of).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from statistics import median

from sqlalchemy import func, select

from clubcrm.db import plain_rows, plain_tuples
from clubcrm.extensions import db
from clubcrm.models import Member, ReportAtRisk, ReportCount, ReportRefresh
from clubcrm.reports.activity import (
    AtRisk, Cohort, Coverage, MonthGrowth, WeekVisits, add_months, month_opening, month_end, month_starts, reach,
    week_starts,
)
from clubcrm.reports.aggregates import ALL_PLANS, COHORT_MONTHS, RENEWAL_FIGURES
from clubcrm.reports.kpis import LeadConversion, LeadProcessing, SaleAverage
from clubcrm.reports.renewals import RenewalReport, report_of
from clubcrm.reports.scope import Scope


class Stored:
    """The KPIs of SCOPE (its today: REFRESH.as_of) summed from REFRESH's stored rows."""

    def __init__(self, scope: Scope, refresh: ReportRefresh):
        self.scope, self.refresh = scope, refresh
        self.plan = scope.plan_id or ALL_PLANS
        self._counts: dict[tuple[int, str], dict[date, dict[int, int]]] | None = None

    def counts(self, figure: str, plan: int | None = None) -> dict[date, dict[int, int]]:
        """FIGURE's stored values of the period's reach by day and k (of the scope's plan, or PLAN)."""
        if self._counts is None:
            scope = self.scope
            found: dict = defaultdict(lambda: defaultdict(dict))
            for plan_id, name, day, k, value in plain_tuples(
                    select(ReportCount.plan_id, ReportCount.figure, ReportCount.day, ReportCount.k, ReportCount.value)
                    .where(ReportCount.refresh_id == self.refresh.id,
                           ReportCount.plan_id.in_({ALL_PLANS, self.plan}),
                           ReportCount.day.between(min(reach(scope), month_opening(scope.start.replace(day=1))),
                                                   max(scope.end, scope.today)))):
                found[plan_id, name][day][k] = value
            self._counts = found
        return self._counts.get((self.plan if plan is None else plan, figure), {})

    def _sum(self, figure: str, first: date, last: date, plan: int | None = None, k: int = 0) -> int:
        return sum(ks.get(k, 0) for day, ks in self.counts(figure, plan).items() if first <= day <= last)

    def total(self, figure: str, first: date, last: date) -> int:
        """FIGURE's stored daily values summed over FIRST..LAST (a daily figure: joined, sold...)."""
        return self._sum(figure, first, last)

    def _at(self, figure: str, day: date, k: int = 0) -> int:
        return self.counts(figure).get(day, {}).get(k, 0)

    # --- the member base --------------------------------------------------------------------------------

    def base_growth(self) -> list[MonthGrowth]:
        """Count the base at the start and end of each month of the period that has begun."""
        scope = self.scope
        growth = []
        for month in month_starts(scope.start, min(scope.end, scope.today)):
            last = min(month_end(month), scope.today)
            start_count, end_count = self._at("active", month_opening(month)), self._at("active", last)
            joined = self._sum("joined", month, last)
            growth.append(MonthGrowth(month, start_count, end_count, joined, max(0, start_count + joined - end_count),
                                      100 * (end_count - start_count) / start_count if start_count else None))
        return growth

    def visits_per_week(self) -> list[WeekVisits]:
        """Count visits and active members in each ISO week that the period touches."""
        scope = self.scope
        if scope.end < scope.start:
            return []
        found = []
        for week in week_starts(scope):
            visits, members = self._at("visits", week), self._at("week_active", week)
            guests = self.counts("guests", ALL_PLANS).get(week, {}).get(0, 0)
            found.append(WeekVisits(week, visits, members, visits / members if members else None, guests))
        return found

    def cohort_retention(self, months: int = COHORT_MONTHS) -> list[Cohort]:
        """Follow each month's joiners of the period for MONTHS month ends."""
        scope = self.scope
        found = []
        for month in month_starts(scope.start, min(scope.end, scope.today)):
            size = self._sum("joined", month, month_end(month))
            stayed = self.counts("cohort").get(month, {})
            found.append(Cohort(month, size, [
                stayed.get(k, 0) / size if size and month_end(add_months(month, k)) <= scope.today else None
                for k in range(months)]))
        return found

    def contact_coverage(self) -> Coverage:
        """The new and silent members of the day and how many of each staff spoke with this month."""
        new, new_spoken, silent, silent_spoken = (self._at("coverage", self.scope.today, k) for k in range(4))
        total = new + silent
        return Coverage(new, new_spoken, silent, silent_spoken,
                        (new_spoken + silent_spoken) / total if total else None)

    def at_risk_count(self, most: int) -> int:
        """How many members at risk the day has (MOST at the most)."""
        return min(most, db.session.scalar(select(func.count()).select_from(ReportAtRisk).where(
            ReportAtRisk.refresh_id == self.refresh.id, ReportAtRisk.plan_id == self.plan)) or 0)

    def at_risk(self, limit: int = 200, offset: int = 0) -> list[AtRisk]:
        """The day's members at risk, the most urgent first (LIMIT of them from OFFSET on), with today's names."""
        r = ReportAtRisk
        return [AtRisk(member_id, f"{first_name} {last_name}".strip(), phone, days_left, last_visit,
                       tuple(reasons.split(" ")))
                for member_id, first_name, last_name, phone, days_left, last_visit, reasons in plain_rows(
                    select(r.member_id, Member.first_name, Member.last_name, Member.phone, r.days_left,
                           r.last_visit, r.reasons)
                    .join(Member, Member.id == r.member_id)
                    .where(r.refresh_id == self.refresh.id, r.plan_id == self.plan)
                    .order_by(r.rank).limit(limit).offset(offset))]

    # --- renewals ------------------------------------------------------------------------------------------

    def renewal_report(self) -> RenewalReport:
        """Cycles ending in the period, renewed and pending, in total, by plan, first vs later cycle, by club."""
        scope, r = self.scope, ReportCount
        query = (select(r.plan_id, r.figure, r.k, func.sum(r.value))
                 .where(r.refresh_id == self.refresh.id, r.figure.in_(RENEWAL_FIGURES),
                        r.day.between(scope.start, scope.end))
                 .group_by(r.plan_id, r.figure, r.k))
        if scope.plan_id is not None:
            query = query.where(r.plan_id == scope.plan_id)
        sums: dict[tuple[int, int, int], dict[str, int]] = defaultdict(dict)
        for plan_id, figure, club_id, value in db.session.execute(query):
            name, kind = figure.split(":")
            sums[club_id, plan_id, 1 if kind == "first" else 0][name] = int(value)
        counts = [(club_id, plan_id, first, got.get("cycles", 0), got.get("renewed", 0), got.get("pending", 0))
                  for (club_id, plan_id, first), got in sums.items() if got.get("cycles")]
        return report_of(counts, scope.club_ids)

    # --- leads and sales ------------------------------------------------------------------------------------

    def lead_conversion(self) -> LeadConversion:
        """The period's leads, those converted within 30 days and those still inside their 30 days."""
        start, end = self.scope.start, self.scope.end
        leads, converted, pending = (self._sum(f, start, end, ALL_PLANS) for f in ("leads", "converted", "pending"))
        decided = leads - pending
        return LeadConversion(leads, converted, pending, 100 * converted / decided if decided else None)

    def lead_processing(self) -> LeadProcessing:
        """The time from the period's leads' registration to their first staff contact."""
        start, end = self.scope.start, self.scope.end
        leads = self._sum("leads", start, end, ALL_PLANS)
        hours = sorted(max(0.0, us / 1_000_000 / 3600)
                       for day, ks in self.counts("contact_us", ALL_PLANS).items() if start <= day <= end
                       for us, n in ks.items() for _ in range(n))
        return LeadProcessing(leads, len(hours), median(hours) if hours else None, leads - len(hours))

    def average_sale(self) -> list[SaleAverage]:
        """The period's sales per currency; with a plan, only that plan's memberships."""
        start, end = self.scope.start, self.scope.end
        self.counts("sale:")
        currencies = sorted({name.split(":", 1)[1] for plan, name in self._counts or {}
                             if name.startswith("sale:") and plan == self.plan})
        found = []
        for currency in currencies:
            count = self._sum(f"sale:{currency}", start, end)
            total = self._sum(f"sale:{currency}", start, end, k=1)
            if count:
                found.append(SaleAverage(currency, count, total, (2 * total + count) // (2 * count)))
        return found

