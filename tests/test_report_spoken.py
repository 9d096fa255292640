"""Issue 16, item 9: a member at risk whom a desk clerk reached counts as spoken to on the KPI page, whichever way
the contact was logged (the card's log, in the club's evening far from UTC) and whichever club of the chain logged
it. Today is Tuesday 10 March 2026."""
from datetime import date

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.models import StaffContact
from clubcrm.reports.activity import Coverage, contact_coverage
from clubcrm.services import tasks
from tests.test_report_kpis import add, contract, local, person, scope, visit


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def silent_member(club, plan):
    """Active since January, last came 20 February: at risk on 10 March."""
    member = person(club)
    contract(member, plan, d(1, 1), d(4, 30))
    visit(member, local(club, d(2, 20)))
    return member


def test_a_contact_logged_on_the_card_in_the_local_evening_counts(make):
    club = make.club(timezone="Pacific/Honolulu")                 # UTC-10: 20:00 local is 06:00 UTC next day
    plan, desk = make.plan(club=club), make.staff("desk", club=club)
    reached, last_month = silent_member(club, plan), silent_member(club, plan)
    for member, day in ((reached, d(3, 10)), (last_month, d(2, 28))):   # 28 Feb 20:00 local = 1 Mar UTC
        with clock.frozen(local(club, day, 20)), unit_of_work():
            tasks.log_contact(desk, member, "reached", None)
    assert contact_coverage(scope(club, start=d(3, 1), end=d(3, 10))) == Coverage(0, 0, 2, 1, 0.5)


def test_a_contact_logged_at_another_club_of_the_chain_counts(make):
    home, other = make.club(), make.club(timezone="America/New_York")
    plan = make.plan(club=home)
    member = silent_member(home, plan)
    # Logged while the member still belonged to the other club (moved in this month), or by its staff.
    add(StaffContact(club_id=other.id, member_id=member.id, outcome="booked", created_at=local(home, d(3, 5))))
    assert contact_coverage(scope(home, start=d(3, 1), end=d(3, 10))) == Coverage(0, 0, 1, 1, 1.0)
    assert contact_coverage(scope(home, other, start=d(3, 1), end=d(3, 10))) == Coverage(0, 0, 1, 1, 1.0)


def test_the_stored_figure_counts_the_contact_after_a_refresh(make):
    from tests.conftest import NOW, TODAY
    from clubcrm.reports import refresh
    from clubcrm.reports.scope import Scope
    from clubcrm.reports.snapshot import Stored

    club = make.club()
    plan, desk = make.plan(club=club), make.staff("desk", club=club)
    member = person(club)
    contract(member, plan, TODAY.replace(month=1, day=1) if TODAY.month > 2 else TODAY.replace(year=TODAY.year - 1),
             TODAY.replace(year=TODAY.year + 1))

    def stored():
        with unit_of_work():
            refresh.recompute(refresh.scope_key((club.id,)), NOW)
        return Stored(Scope((club.id,), TODAY.replace(day=1), TODAY, TODAY), refresh.stored((club.id,)))

    assert stored().contact_coverage() == Coverage(0, 0, 1, 0, 0.0)           # never came: at risk, not spoken
    with unit_of_work():
        tasks.log_contact(desk, member, "reached", None)
    assert stored().contact_coverage() == Coverage(0, 0, 1, 1, 1.0)
