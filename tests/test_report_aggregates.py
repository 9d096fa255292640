"""The KPI figures and the renewal report summed from the stored partial aggregates (clubcrm/reports/aggregates.py,
read by clubcrm/reports/snapshot.py) equal the old direct computation: the KPIs of tests/kpi_oracle.py (before
issue 15), the lead and sale KPIs of clubcrm/reports/kpis.py and the renewal report of clubcrm/reports/renewals.py,
on the simulated two-club chain of tests/test_kpi_oracle.py (two time zones, guest visits, visits on the weeks'
edges), for several periods, every plan, one club and the chain."""
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Plan, ReportRefresh
from clubcrm.reports import kpis, refresh, renewals
from clubcrm.reports.scope import Scope
from clubcrm.reports.snapshot import Stored
from tests import kpi_oracle
from tests.conftest import NOW, TODAY
from tests.test_kpi_oracle import PERIODS, simulated_chain

ORACLE = ("base_growth", "visits_per_week", "cohort_retention", "contact_coverage", "at_risk")
DIRECT = ("lead_conversion", "lead_processing", "average_sale")
RENEWALS = ("renewal_report",)


def _list(result):
    return result if isinstance(result, list) else [result]


def compare(scope: Scope, row: ReportRefresh) -> None:
    stored = Stored(scope, row)
    for name in ORACLE + DIRECT + RENEWALS:
        got = [asdict(x) for x in _list(getattr(stored, name)())]
        db.session.rollback()
        source = kpi_oracle if name in ORACLE else kpis if name in DIRECT else renewals
        want = [asdict(x) for x in _list(getattr(source, name)(scope))]
        assert got == want, (name, scope)


def computed(club_ids) -> ReportRefresh:
    with unit_of_work():
        refresh.recompute(refresh.scope_key(club_ids), NOW)
    row = refresh.stored(club_ids)
    assert row is not None and row.as_of == TODAY
    return row


def test_figures_summed_from_the_aggregates_equal_the_direct_computation(app, ctx):
    north, west = simulated_chain()
    plans = list(db.session.scalars(select(Plan.id).where(Plan.club_id == north).order_by(Plan.id)))
    assert len(plans) >= 2
    for club_ids in ((north,), (north, west)):
        row = computed(club_ids)
        for start, end in PERIODS:
            compare(Scope(club_ids, start, end, TODAY), row)
        for plan_id in plans:
            compare(Scope(club_ids, PERIODS[0][0], TODAY, TODAY, plan_id), row)
            compare(Scope(club_ids, *PERIODS[1], TODAY, plan_id), row)
            compare(Scope(club_ids, date(2025, 12, 1), date(2025, 12, 31), TODAY, plan_id), row)
    compare(Scope((west,), *PERIODS[2], TODAY), computed((west,)))
    # The figures compared are not all empty.
    year = Stored(Scope((north, west), *PERIODS[0], TODAY), refresh.stored((north, west)))
    assert sum(w.visits for w in year.visits_per_week()) > 500
    assert year.at_risk() and any(c.size for c in year.cohort_retention())
    assert year.lead_conversion().leads and year.average_sale() and year.lead_processing().contacted
    report = year.renewal_report()
    assert report.total.renewed and report.total.pending and len(report.by_plan) >= 2 and len(report.by_club) == 2
    north_year = Stored(Scope((north,), *PERIODS[0], TODAY), refresh.stored((north,)))
    assert sum(w.guest_visits for w in north_year.visits_per_week()) > 0


def test_a_recompute_replaces_the_figures_and_clears_the_request(app, ctx):
    north, _west = simulated_chain()
    with unit_of_work():
        refresh.request((north,), NOW)
    assert refresh.stored((north,)) is None and refresh.scope_key((north,)) in refresh.due()
    first = computed((north,))
    assert first.requested_at is None and first.computed_at == NOW
    with unit_of_work():
        refresh.recompute(refresh.scope_key((north,)), NOW + timedelta(minutes=5))
    again = refresh.stored((north,))
    assert again.computed_at == NOW + timedelta(minutes=5)
    assert refresh.scope_key((north,)) not in refresh.due()
    scope = Scope((north,), *PERIODS[0], TODAY)
    assert [asdict(g) for g in Stored(scope, again).base_growth()] == [asdict(g) for g in kpi_oracle.base_growth(scope)]


def test_offset_changes_are_found_to_the_second_in_any_zone():
    """SQLite's visits are placed on local days by the zone's offset changes (aggregates._by_local_day)."""
    from clubcrm.reports.aggregates import offset_changes

    first, last = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert offset_changes("Europe/Helsinki", first, last) == [
        (first, 120), (datetime(2026, 3, 29, 1, tzinfo=UTC), 180), (datetime(2026, 10, 25, 1, tzinfo=UTC), 120)]
    assert offset_changes("America/New_York", first, last)[1:] == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -240), (datetime(2026, 11, 1, 6, tzinfo=UTC), -300)]
    # Clocks that move by half an hour, at half past.
    assert offset_changes("Australia/Lord_Howe", first, last)[1:] == [
        (datetime(2026, 4, 4, 15, tzinfo=UTC), 630), (datetime(2026, 10, 3, 15, 30, tzinfo=UTC), 660)]
    assert offset_changes("Asia/Kolkata", first, last) == [(first, 330)]
