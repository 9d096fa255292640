"""The cheap reads of hot paths give what the ORM's reads give: plain_tuples (the driver's own tuples where no column
needs converting) and contracts.standings (a found member's contract days as plain rows) — on both engines."""
from datetime import timedelta

from sqlalchemy import select

from clubcrm.db import DriverRows, PlainRows, plain_rows, plain_tuples
from clubcrm.extensions import db
from clubcrm.models import Freeze, Member, Membership, Visit
from clubcrm.services import checkin, contracts
from tests.conftest import TODAY


def test_plain_tuples_gives_the_rows_plain_rows_gives(make):
    for n in range(5):
        make.membership(make.member(first_name=f"Row{n}"))
    db.session.commit()
    query = (select(Membership.id, Membership.member_id, Membership.starts_on, Membership.ends_on,
                    Membership.cancelled_on).order_by(Membership.id))
    expected = [tuple(row) for row in plain_rows(query)]
    found = plain_tuples(query)
    # PostgreSQL's driver returns integers and dates as they are: no Row each; SQLite's dates are text to convert.
    assert isinstance(found, DriverRows if db.engine.dialect.name == "postgresql" else PlainRows)
    assert [tuple(row) for row in found] == expected
    assert len(expected) == 5


def test_plain_tuples_converts_instants_as_the_orm_does(make):
    member = make.member()
    make.membership(member)
    visit = checkin.check_in(make.desk(), member).visit
    db.session.commit()
    found = plain_tuples(select(Visit.id, Visit.checked_in_at).where(Visit.id == visit.id))
    assert isinstance(found, PlainRows)   # an instant needs the UTC conversion on either engine
    [(visit_id, at)] = list(found)
    assert (visit_id, at) == (visit.id, visit.checked_in_at) and at.utcoffset() == timedelta(0)


def test_standings_from_plain_rows_match_standing_from_the_orm(make):
    """Each kind of member: lead, active, frozen (one freeze covering today, one past), cut short, not started,
    expired; standings() must say what standing() says over the ORM's memberships."""
    plan = make.plan(duration_days=30)
    lead = make.member(first_name="Lead")
    active = make.member(first_name="Active")
    make.membership(active, plan)
    frozen = make.member(first_name="Frozen")
    kept = make.membership(frozen, plan)
    db.session.add_all([Freeze(membership_id=kept.id, starts_on=TODAY - timedelta(days=1),
                               ends_on=TODAY + timedelta(days=3)),
                        Freeze(membership_id=kept.id, starts_on=TODAY - timedelta(days=9),
                               ends_on=TODAY - timedelta(days=8))])
    cut = make.member(first_name="Cut")
    make.membership(cut, plan, today=TODAY - timedelta(days=10)).cancelled_on = TODAY - timedelta(days=2)
    later = make.member(first_name="Later")
    make.membership(later, plan, starts_on=TODAY + timedelta(days=5))
    gone = make.member(first_name="Gone")
    make.membership(gone, plan, today=TODAY - timedelta(days=60))
    db.session.commit()
    people = list(db.session.scalars(select(Member).order_by(Member.id)))
    fast = contracts.standings(people, TODAY)
    for member in people:
        slow = contracts.standing(member, contracts.memberships_of(member.id), TODAY)
        assert (fast[member.id].state, fast[member.id].days_left) == (slow.state, slow.days_left), member.first_name
    assert {fast[m.id].state for m in people} == {"lead", "active", "frozen", "cancelled", "future", "expired"}
    assert fast[lead.id].state == "lead"
