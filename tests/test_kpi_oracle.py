"""The KPI page's figures, computed set-based (clubcrm.reports.activity), equal the old direct computation
(tests/kpi_oracle.py) on a simulated two-club chain in two time zones: several periods (one across the autumn and one
across the spring change of summer time), every plan, one club and the chain. Guest visits and visits an hour either
side of local midnight on the weeks' edges are added so that a week bucketed by a fixed UTC offset would show."""
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Membership, Package, Plan, StaffContact, Visit
from clubcrm.reports import activity
from clubcrm.reports.scope import Scope
from clubcrm.simulation import SimConfig, simulate
from tests import kpi_oracle
from tests.conftest import TODAY

KPIS = ("base_growth", "visits_per_week", "cohort_retention", "contact_coverage", "at_risk")
PERIODS = [
    (TODAY - timedelta(days=364), TODAY),               # the page's default: the year up to today
    (date(2025, 10, 20), date(2025, 11, 9)),            # Europe's (26 Oct) and America's (2 Nov) autumn change
    (date(2026, 3, 2), date(2026, 3, 15)),              # America's spring change (8 Mar), past today
    (date(2025, 12, 17), date(2026, 2, 3)),             # mid-month to mid-month
    (TODAY + timedelta(days=3), TODAY + timedelta(days=40)),   # not begun yet
]


def edge_visits(member: Member, zone: str, membership_id: int | None, club_id: int) -> list[Visit]:
    """Visits at 23:30 and 00:30 local time on each Sunday/Monday of the period's weeks, at CLUB_ID."""
    tz = ZoneInfo(zone)
    found = []
    for monday in (date(2025, 10, 27), date(2025, 11, 3), date(2026, 3, 9), date(2026, 2, 2)):
        for day, at in ((monday - timedelta(days=1), time(23, 30)), (monday, time(0, 30))):
            found.append(Visit(club_id=club_id, member_id=member.id, membership_id=membership_id, source="desk",
                               checked_in_at=datetime.combine(day, at, tz).astimezone(UTC)))
    return found


def simulated_chain() -> tuple[int, int]:
    """A simulated club (Helsinki) of which a third of the members, with their memberships, packages, contacts and
    most of their visits, move to a second club of the chain (New York); the visits they leave behind are guest
    visits there. Edge-of-week visits are added. Return the two clubs' ids."""
    with unit_of_work():
        north = simulate(SimConfig(members=72, days=170, seed=11, end=TODAY)).club
    with unit_of_work():
        west = Club(name="West Side", timezone="America/New_York", currency="EUR", country="US", default_locale="en",
                    programme_holdout_pct=0)
        db.session.add(west)
        db.session.flush()
        moved = select(Member.id).where(Member.club_id == north.id, Member.id % 3 == 0).scalar_subquery()
        for model in (Membership, Package, StaffContact):
            db.session.execute(update(model).where(model.member_id.in_(moved)).values(club_id=west.id))
        db.session.execute(update(Visit).where(Visit.member_id.in_(moved), Visit.id % 5 != 0).values(club_id=west.id))
        db.session.execute(update(Member).where(Member.id.in_(moved)).values(club_id=west.id))
    with unit_of_work():
        for club, other in ((north, west), (west, north)):
            # Members with a membership over the autumn and the spring changes first; then any.
            members = db.session.execute(
                select(Member, func.max(Membership.id)).join(Membership, Membership.member_id == Member.id)
                .where(Member.club_id == club.id).group_by(Member.id)
                .order_by((func.min(Membership.starts_on) <= date(2025, 10, 27)).desc(), Member.id).limit(3)).all()
            assert len(members) == 3
            for i, (member, membership_id) in enumerate(members):
                # At home, on the membership; at home without one; and as a guest in the other club.
                db.session.add_all(edge_visits(member, club.timezone, (membership_id, None, membership_id)[i],
                                               club.id if i < 2 else other.id))
    return north.id, west.id


def compare(scope: Scope) -> None:
    for name in KPIS:
        db.session.rollback()   # as in a request: nothing remembered from another scope
        got = [asdict(x) for x in _list(getattr(activity, name)(scope))]
        want = [asdict(x) for x in _list(getattr(kpi_oracle, name)(scope))]
        assert got == want, (name, scope)


def _list(result):
    return result if isinstance(result, list) else [result]


def test_the_set_based_kpis_equal_the_direct_computation(app, ctx):
    north, west = simulated_chain()
    plans = list(db.session.scalars(select(Plan.id).where(Plan.club_id == north).order_by(Plan.id)))
    assert len(plans) >= 2
    for club_ids in ((north,), (north, west)):
        for start, end in PERIODS:
            compare(Scope(club_ids, start, end, TODAY))
        for plan_id in plans:
            compare(Scope(club_ids, PERIODS[0][0], TODAY, TODAY, plan_id))
            compare(Scope(club_ids, *PERIODS[1], TODAY, plan_id))
    compare(Scope((west,), *PERIODS[2], TODAY))
    # An earlier report day: the at-risk list and coverage as they stood then.
    compare(Scope((north, west), date(2025, 11, 1), date(2025, 12, 31), date(2025, 12, 10)))
    # The figures are not all empty: the comparison compares something.
    year = Scope((north, west), *PERIODS[0], TODAY)
    assert sum(w.visits for w in activity.visits_per_week(year)) > 500
    assert sum(w.guest_visits for w in activity.visits_per_week(Scope((north,), *PERIODS[0], TODAY))) > 0
    assert activity.at_risk(year) and any(r.last_visit for r in activity.at_risk(year))
    assert any(c.size for c in activity.cohort_retention(year))
