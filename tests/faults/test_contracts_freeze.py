"""Freezes under a double click: the probe's 10 identical freeze POSTs at once made 4 freezes, moved the end
date once, and ending them one by one then took 30 paid days from the member."""
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Freeze, Membership
from clubcrm.services import sales
from tests.concurrency import at_once
from tests.conftest import TODAY
from tests.faults.contracts import assert_clean, desk_and_member


def test_ten_identical_freezes_at_once_make_one(app, make):
    member = make.member()
    membership = make.membership(member, make.plan(duration_days=30))
    end, desk_id, member_id, membership_id = membership.ends_on, make.desk().id, member.id, membership.id

    def freeze():
        with unit_of_work():
            desk, holder = desk_and_member(desk_id, member_id)
            assert db.session.get(Membership, membership_id).freezes is not None  # the card read it before
            return sales.freeze(desk, holder, membership_id, TODAY + timedelta(days=2),
                                TODAY + timedelta(days=11), TODAY).id

    results = at_once(app, 10, freeze)
    db.session.expire_all()
    assert len(results) == 10 and len(set(results)) == 1   # every click answers the one freeze
    assert db.session.scalar(select(func.count()).select_from(Freeze)) == 1
    assert db.session.get(Membership, membership_id).ends_on == end + timedelta(days=10)
    assert_clean()


def test_ending_freezes_one_by_one_takes_no_paid_day(app, make):
    member = make.member()
    membership = make.membership(member, make.plan(duration_days=30))
    end, desk_id, member_id, membership_id = membership.ends_on, make.desk().id, member.id, membership.id

    def freeze():
        with unit_of_work():
            desk, holder = desk_and_member(desk_id, member_id)
            return sales.freeze(desk, holder, membership_id, TODAY, TODAY + timedelta(days=9), TODAY).id

    ids = sorted(set(r for r in at_once(app, 10, freeze) if isinstance(r, int)))
    for freeze_id in ids:   # the member comes back on the freeze's fourth day: days 1-3 stay frozen
        with unit_of_work():
            desk, holder = desk_and_member(desk_id, member_id)
            try:
                sales.end_freeze(desk, holder, freeze_id, TODAY + timedelta(days=3))
            except Exception:  # noqa: BLE001 - a second end of one freeze is refused; that is fine
                pass
    db.session.expire_all()
    assert db.session.get(Membership, membership_id).ends_on == end + timedelta(days=3)
    assert_clean()


def test_ending_one_freeze_from_two_desks_at_once_gives_the_days_back_once(app, make):
    member = make.member()
    membership = make.membership(member, make.plan(duration_days=30))
    end, desk_id, member_id, membership_id = membership.ends_on, make.desk().id, member.id, membership.id
    with unit_of_work():
        entry = sales.freeze(make.desk(), member, membership_id, TODAY, TODAY + timedelta(days=9), TODAY)
    freeze_id = entry.id

    def end_it():
        with unit_of_work():
            desk, holder = desk_and_member(desk_id, member_id)
            assert db.session.get(Freeze, freeze_id).membership.ends_on  # read before any lock, as a view
            return sales.end_freeze(desk, holder, freeze_id, TODAY + timedelta(days=3)).id

    results = at_once(app, 6, end_it)
    assert results.count(membership_id) == 1, results
    db.session.expire_all()
    assert db.session.get(Membership, membership_id).ends_on == end + timedelta(days=3)
    assert_clean()
