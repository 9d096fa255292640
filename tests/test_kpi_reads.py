"""What the KPI page reads: the memberships once per request, and no history the scope cannot reach (members
gone before the period, visits older than the figures' windows), so its cost follows the live base, not the years
the club has been open."""
from datetime import date, timedelta

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.reports import activity
from clubcrm.reports.scope import Scope
from tests.conftest import TODAY
from tests.report_snapshots import compute_all
from tests.statements import statements
from tests.test_report_kpis import contract, local, person, visit

SPANS_SQL = "SELECT membership.id, membership.member_id, membership.plan_id, membership.renews_id"


def live_club(make, club, plan, size: int) -> None:
    """SIZE members with a membership today and visits over the last 70 days."""
    for i in range(size):
        member = person(club)
        current = contract(member, plan, TODAY - timedelta(days=40 + i), TODAY + timedelta(days=20 + i))
        for days in range(0, 70, 4 + i % 5):
            visit(member, local(club, TODAY - timedelta(days=days)), current)


def old_history(club, plan, size: int) -> None:
    """SIZE members who left two years ago, after a year of memberships and visits."""
    for i in range(size):
        member = person(club)
        first = date(2023, 1, 1) + timedelta(days=i)
        membership = contract(member, plan, first, first + timedelta(days=364))
        for days in range(0, 364, 7):
            visit(member, local(club, first + timedelta(days=days)), membership)


def test_the_club_page_reads_no_memberships_and_the_refresh_reads_them_once(web, login_as, make):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 5)
    login_as("manager")
    db.session.commit()
    with statements() as computing:
        compute_all()
    # The worker's refresh reads the memberships once for the figures, once more for the day's at-risk list.
    assert sum(1 for sql in computing if sql.startswith(SPANS_SQL)) == 2
    with statements() as seen:
        assert web.get(f"/reports/club?start={TODAY - timedelta(days=90)}&end={TODAY}").status_code == 200
    assert sum(1 for sql in seen if sql.startswith(SPANS_SQL)) == 0


def test_history_out_of_the_scopes_reach_is_not_read(make, ctx):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 6)
    year = Scope((club.id,), TODAY - timedelta(days=364), TODAY, TODAY)
    before = (len(activity.spans(year)), set(activity.visits_by_member([club], TODAY)))
    figures = [activity.base_growth(year), activity.visits_per_week(year), activity.cohort_retention(year),
               activity.contact_coverage(year), activity.at_risk(year)]
    with unit_of_work():
        old_history(club, plan, 8)
    assert (len(activity.spans(year)), set(activity.visits_by_member([club], TODAY))) == before
    assert [activity.base_growth(year), activity.visits_per_week(year), activity.cohort_retention(year),
            activity.contact_coverage(year), activity.at_risk(year)] == figures
    # A period that reaches back to them reads them.
    back = Scope((club.id,), date(2023, 6, 1), date(2023, 6, 30), TODAY)
    assert activity.base_growth(back)[0].end_count == 8


def test_the_at_risk_list_reads_a_page_of_it(make, ctx):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        for i in range(5):   # silent members, their memberships ending one day apart
            member = person(club)
            contract(member, plan, TODAY - timedelta(days=100), TODAY + timedelta(days=3 + i))
            visit(member, local(club, TODAY - timedelta(days=80 + i)))
    scope = Scope((club.id,), TODAY - timedelta(days=90), TODAY, TODAY)
    everyone = activity.at_risk(scope)
    assert len(everyone) == 5 and all(r.last_visit for r in everyone)   # last visits older than the window, found
    assert activity.at_risk(scope, limit=2, offset=1) == everyone[1:3]
    assert activity.at_risk(scope, limit=2, offset=4) == everyone[4:]
