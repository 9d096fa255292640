"""Selling, renewing, freezing and cancelling memberships."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Membership
from clubcrm.services import checkin, sales
from tests.conftest import NOW, TODAY


def sell(make, member, plan, today=TODAY, starts_on=None):
    with unit_of_work():
        return sales.sell_membership(make.desk(), member, plan.id, today, starts_on=starts_on)


def test_first_sale_converts_the_lead(make):
    member, plan = make.member(), make.plan(duration_days=30, price_minor=5900)
    assert member.is_lead
    membership = sell(make, member, plan)
    assert not member.is_lead and member.converted_at == NOW
    assert (membership.starts_on, membership.ends_on) == (TODAY, TODAY + timedelta(days=29))
    assert membership.renews_id is None
    assert (membership.price_minor, membership.currency) == (5900, "EUR")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.member_id == member.id))
    assert "sell" in list(actions)


@pytest.mark.parametrize("days_from_end", [-60, -1, 0, 15, 30])
def test_sale_inside_the_renewal_window_links_the_previous_contract(make, days_from_end):
    member, plan = make.member(), make.plan(duration_days=90)
    first = sell(make, member, plan, today=TODAY - timedelta(days=89 + days_from_end),
                 starts_on=TODAY - timedelta(days=89 + days_from_end))
    assert first.ends_on == TODAY - timedelta(days=days_from_end)
    renewal = sell(make, member, plan)
    assert renewal.renews_id == first.id
    assert renewal.starts_on == max(TODAY, first.ends_on + timedelta(days=1))


def test_sale_long_after_the_end_starts_a_new_cycle(make):
    member, plan = make.member(), make.plan(duration_days=30)
    sell(make, member, plan, today=TODAY - timedelta(days=100), starts_on=TODAY - timedelta(days=100))
    again = sell(make, member, plan)
    assert again.renews_id is None and again.starts_on == TODAY


def test_sale_while_covered_beyond_the_window_is_refused(make):
    member, plan = make.member(), make.plan(duration_days=365)
    sell(make, member, plan)
    with pytest.raises(Conflict) as caught:
        sell(make, member, plan)
    assert caught.value.field == "plan_id"
    assert "covered until Mar 9, 2027" in str(caught.value)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1


def test_renewal_cannot_start_before_the_previous_ends(make):
    member, plan = make.member(), make.plan(duration_days=30)
    sell(make, member, plan, today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
    with pytest.raises(InvalidInput) as caught:
        sell(make, member, plan, starts_on=TODAY)
    assert caught.value.field == "starts_on"


def test_missing_inactive_and_foreign_plans_are_refused(make):
    member = make.member()
    for plan_id in (None, 999999, make.plan(active=False).id, make.plan(club=make.club()).id):
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            sales.sell_membership(make.desk(), member, plan_id, TODAY)
        assert caught.value.field == "plan_id"
    assert member.is_lead


def test_freeze_pushes_the_end_date(make):
    member = make.member()
    membership = sell(make, member, make.plan(duration_days=30))
    end = membership.ends_on
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=2),
                     TODAY + timedelta(days=11), TODAY, reason="Travel")
    assert membership.ends_on == end + timedelta(days=10)


@pytest.mark.parametrize("start,end,field", [
    (-1, 3, "starts_on"),      # in the past
    (5, 4, "ends_on"),         # ends before it starts
    (0, 120, "ends_on"),       # longer than MAX_FREEZE_DAYS
    (40, 45, "starts_on"),     # after the membership ends
    (3, 6, "starts_on"),       # overlaps the existing freeze
])
def test_bad_freezes_are_refused(make, start, end, field):
    member = make.member()
    membership = sell(make, member, make.plan(duration_days=30))
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=5),
                     TODAY + timedelta(days=8), TODAY)
    end_before = membership.ends_on
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=start),
                     TODAY + timedelta(days=end), TODAY)
    assert caught.value.field == field
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).ends_on == end_before


def test_freezing_a_renewed_membership_is_refused(make):
    member, plan = make.member(), make.plan(duration_days=30)
    first = sell(make, member, plan, today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
    sell(make, member, plan)
    with pytest.raises(Conflict), unit_of_work():
        sales.freeze(make.desk(), member, first.id, TODAY, TODAY + timedelta(days=3), TODAY)


def test_cancel_needs_a_reason_and_happens_once(make):
    member = make.member()
    membership = sell(make, member, make.plan())
    manager = make.staff("manager")
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        sales.cancel(manager, member, membership.id, TODAY, "   ")
    assert caught.value.field == "reason"
    with unit_of_work():
        sales.cancel(manager, member, membership.id, TODAY, "Moved to another city")
    assert membership.cancelled_on == TODAY and membership.cancel_reason == "Moved to another city"
    with pytest.raises(Conflict), unit_of_work():
        sales.cancel(manager, member, membership.id, TODAY, "again")


def test_membership_of_another_member_is_refused(make):
    member, other = make.member(), make.member()
    membership = sell(make, other, make.plan())
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY, TODAY, TODAY)
    assert caught.value.field == "membership_id"


def test_a_double_click_does_not_sell_twice(app, make):
    app.config["SALE_REPEAT_SECONDS"] = 60
    member, plan = make.member(), make.plan(duration_days=30)
    sell(make, member, plan)
    with pytest.raises(Conflict) as caught:
        sell(make, member, plan)
    assert caught.value.code == "repeat_sale"
    clock.set_now(NOW + timedelta(seconds=61))
    assert sell(make, member, plan).renews_id is not None  # a deliberate renewal a minute later is fine


def test_a_used_up_visit_pack_can_be_replaced_today(make):
    member, pack = make.member(), make.plan(duration_days=60, visit_limit=2)
    first = sell(make, member, pack, today=TODAY - timedelta(days=5), starts_on=TODAY - timedelta(days=5))
    for minutes in (0, 10):
        clock.set_now(NOW + timedelta(minutes=minutes))
        with unit_of_work():
            checkin.check_in(make.desk(), member)
    second = sell(make, member, pack)
    assert (second.starts_on, second.renews_id) == (TODAY, first.id)
    clock.set_now(NOW + timedelta(minutes=20))
    with unit_of_work():
        assert checkin.check_in(make.desk(), member).visit.membership_id == second.id


def test_a_cancelled_renewal_is_void_at_once(make):
    member, plan = make.member(), make.plan(duration_days=30)
    first = sell(make, member, plan, today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
    renewal = sell(make, member, plan)
    assert renewal.starts_on > TODAY
    manager = make.staff("manager")
    with unit_of_work():
        sales.cancel(manager, member, renewal.id, TODAY, "Changed mind")
    with pytest.raises(Conflict), unit_of_work():
        sales.cancel(manager, member, renewal.id, TODAY, "twice")
    with unit_of_work():  # the first contract can be frozen: its renewal is void
        sales.freeze(make.desk(), member, first.id, TODAY, TODAY + timedelta(days=2), TODAY)
    again = sell(make, member, plan)  # renews the first contract again, right after its (new) end
    assert (again.renews_id, again.starts_on) == (first.id, first.ends_on + timedelta(days=1))


def test_freeze_cannot_start_before_the_membership_or_exceed_the_total(app, make):
    member, plan = make.member(), make.plan(duration_days=365)
    future = sell(make, member, plan, starts_on=TODAY + timedelta(days=10))
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        sales.freeze(make.desk(), member, future.id, TODAY, TODAY + timedelta(days=3), TODAY)
    assert caught.value.field == "starts_on"
    start = TODAY + timedelta(days=10)
    with unit_of_work():
        sales.freeze(make.desk(), member, future.id, start, start + timedelta(days=59), TODAY)
    with pytest.raises(InvalidInput) as caught, unit_of_work():  # 60 + 31 > 90 days in all
        sales.freeze(make.desk(), member, future.id, start + timedelta(days=100),
                     start + timedelta(days=130), TODAY)
    assert caught.value.field == "ends_on" and "90 days in all" in str(caught.value)


def test_ending_a_freeze_early_gives_the_unused_days_back(make):
    member = make.member()
    membership = sell(make, member, make.plan(duration_days=30))
    end = membership.ends_on
    with unit_of_work():
        entry = sales.freeze(make.desk(), member, membership.id, TODAY, TODAY + timedelta(days=9), TODAY)
    assert membership.ends_on == end + timedelta(days=10)
    with unit_of_work():  # back on day 4 of 10: days 1-3 stay frozen, 7 come off the end
        sales.end_freeze(make.desk(), member, entry.id, TODAY + timedelta(days=3))
    assert (entry.ends_on, membership.ends_on) == (TODAY + timedelta(days=2), end + timedelta(days=3))
    with unit_of_work():
        later = sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=10),
                             TODAY + timedelta(days=14), TODAY + timedelta(days=3))
    with unit_of_work():  # a freeze that has not begun is removed whole
        sales.end_freeze(make.desk(), member, later.id, TODAY + timedelta(days=3))
    assert membership.ends_on == end + timedelta(days=3)


def test_ending_a_freeze_that_is_over_or_foreign_is_refused(make):
    member, other = make.member(), make.member()
    membership = sell(make, member, make.plan(duration_days=30))
    with unit_of_work():
        entry = sales.freeze(make.desk(), member, membership.id, TODAY, TODAY + timedelta(days=2), TODAY)
    with pytest.raises(InvalidInput), unit_of_work():
        sales.end_freeze(make.desk(), other, entry.id, TODAY)
    with pytest.raises(Conflict), unit_of_work():
        sales.end_freeze(make.desk(), member, entry.id, TODAY + timedelta(days=3))


def test_the_same_freeze_asked_twice_is_made_once(make):
    member = make.member()
    membership = sell(make, member, make.plan(duration_days=30))
    end = membership.ends_on
    entries = []
    for _ in range(2):   # a double click: the second answers the first freeze
        with unit_of_work():
            entries.append(sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=2),
                                        TODAY + timedelta(days=11), TODAY).id)
    assert entries[0] == entries[1]
    assert membership.ends_on == end + timedelta(days=10)


def test_a_freeze_counts_another_desks_freeze_committed_meanwhile(app, make):
    member = make.member()
    membership = sell(make, member, make.plan(duration_days=30))
    end = membership.ends_on   # this desk's card shows the contract as it was
    other_desk_id = make.staff("desk").id
    with app.app_context(), unit_of_work():   # another desk, another session, freezes it meanwhile
        from clubcrm.models import Member, Staff

        sales.freeze(db.session.get(Staff, other_desk_id), db.session.get(Member, member.id), membership.id,
                     TODAY + timedelta(days=1), TODAY + timedelta(days=5), TODAY)
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=10), TODAY + timedelta(days=14),
                     TODAY)
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).ends_on == end + timedelta(days=10)


def test_a_renewal_starts_after_a_freeze_committed_meanwhile(app, make):
    member, plan = make.member(), make.plan(duration_days=30)
    first = sell(make, member, plan, today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
    assert first.ends_on == TODAY + timedelta(days=9)   # read by this desk before the other's freeze
    other_desk_id = make.staff("desk").id
    with app.app_context(), unit_of_work():
        from clubcrm.models import Member, Staff

        sales.freeze(db.session.get(Staff, other_desk_id), db.session.get(Member, member.id), first.id,
                     TODAY + timedelta(days=1), TODAY + timedelta(days=10), TODAY)
    renewal = sell(make, member, plan)
    assert (renewal.renews_id, renewal.starts_on) == (first.id, TODAY + timedelta(days=20))
