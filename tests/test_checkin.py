"""Check-in: who gets in, the reason in plain words for who does not, and no double visits."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import CheckinRefused
from clubcrm.extensions import db
from clubcrm.models import Visit
from clubcrm.services import checkin, sales
from tests.statements import statements
from tests.concurrency import at_once
from tests.conftest import NOW, TODAY


def visits() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit))


def attempt(staff, member):
    with unit_of_work():
        return checkin.check_in(staff, member)


def refusal(staff, member) -> CheckinRefused:
    before = visits()
    with pytest.raises(CheckinRefused) as caught:
        attempt(staff, member)
    assert visits() == before
    return caught.value


def test_active_member_checks_in(make):
    member = make.member()
    make.membership(member)
    result = attempt(make.desk(), member)
    assert not result.repeated
    assert result.visit.checked_in_at == NOW
    assert result.visit.membership_id is not None
    assert visits() == 1


def test_repeat_within_five_minutes_returns_the_same_visit(make):
    member = make.member()
    make.membership(member)
    first = attempt(make.desk(), member).visit
    clock.set_now(NOW + timedelta(minutes=4, seconds=59))
    again = attempt(make.desk(), member)
    assert again.repeated and again.visit.id == first.id
    clock.set_now(NOW + timedelta(minutes=5, seconds=1))
    later = attempt(make.desk(), member)
    assert not later.repeated and later.visit.id != first.id
    assert visits() == 2


def test_lead_is_refused_for_no_membership(make):
    error = refusal(make.desk(), make.member(first_name="Lea", last_name="Lead"))
    assert error.code == "no_membership"
    assert "Lea Lead has no membership" in str(error)


def test_expired_membership_names_the_date(make):
    member = make.member()
    make.membership(member, make.plan(duration_days=30), today=TODAY - timedelta(days=40),
                    starts_on=TODAY - timedelta(days=40))
    error = refusal(make.desk(), member)
    assert error.code == "expired"
    assert "expired on Feb 27, 2026" in str(error)


def test_frozen_membership_names_the_last_frozen_day(make):
    member = make.member()
    membership = make.membership(member)
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY, TODAY + timedelta(days=6), TODAY)
    error = refusal(make.desk(), member)
    assert error.code == "frozen"
    assert "frozen until Mar 16, 2026" in str(error)


def test_visit_limit_reached(make):
    member = make.member()
    make.membership(member, make.plan(visit_limit=2, duration_days=60))
    for minutes in (0, 10):
        clock.set_now(NOW + timedelta(minutes=minutes))
        attempt(make.desk(), member)
    clock.set_now(NOW + timedelta(minutes=20))
    error = refusal(make.desk(), member)
    assert error.code == "visit_limit"
    assert "All 2 visits" in str(error)


def test_cancelled_membership_is_refused(make):
    member = make.member()
    membership = make.membership(member)
    with unit_of_work():
        sales.cancel(make.staff("manager"), member, membership.id, TODAY, "Moved away")
    assert refusal(make.desk(), member).code == "cancelled"


def test_membership_not_started_yet(make):
    member = make.member()
    make.membership(member, starts_on=TODAY + timedelta(days=3))
    error = refusal(make.desk(), member)
    assert error.code == "not_started"
    assert "starts on Mar 13, 2026" in str(error)


def test_another_clubs_member_is_refused(make):
    other = make.club(name="Elsewhere")
    member = make.member(club=other)
    make.membership(member)
    error = refusal(make.desk(), member)
    assert error.code == "other_club"
    assert "member of another club" in str(error)


def test_scanning_another_clubs_card_says_so(client, login_as, make):
    login_as("desk")
    member = make.member(club=make.club(), card_code="FOREIGN1")
    make.membership(member)
    page = client.post("/scan", data={"q": "FOREIGN1"}, follow_redirects=True).data.decode()
    assert "Check-in refused: This card belongs to a member of another club." in page
    assert visits() == 0


def test_statements_per_checkin_do_not_grow_with_history(app, make):
    """One check-in costs the same number of SQL statements for a new member and one with a long history."""

    def count_statements(member) -> int:
        db.session.expire_all()
        with statements() as seen:
            attempt(make.desk(), member)
        return len(seen)

    fresh = make.member()
    make.membership(fresh)
    veteran = make.member()
    for year in range(3, 0, -1):
        make.membership(veteran, make.plan(duration_days=365), today=TODAY - timedelta(days=365 * year),
                        starts_on=TODAY - timedelta(days=365 * year))
    make.membership(veteran, make.plan(duration_days=365), today=TODAY - timedelta(days=10))
    db.session.execute(
        Visit.__table__.insert(),
        [{"club_id": veteran.club_id, "member_id": veteran.id,
          "checked_in_at": NOW - timedelta(days=1 + n)} for n in range(500)],
    )
    db.session.commit()
    clock.set_now(NOW + timedelta(hours=1))
    assert count_statements(fresh) == count_statements(veteran)


def test_simultaneous_scans_log_one_visit(app, make):
    member = make.member()
    make.membership(member, make.plan(visit_limit=10, duration_days=60))
    desk_id, member_id = make.desk().id, member.id

    def scan() -> bool:
        with unit_of_work():
            from clubcrm.models import Member, Staff

            return checkin.check_in(db.session.get(Staff, desk_id), db.session.get(Member, member_id)).repeated

    results = at_once(app, 6, scan)
    assert sorted(results) == [False] + [True] * 5
    db.session.expire_all()
    assert visits() == 1

