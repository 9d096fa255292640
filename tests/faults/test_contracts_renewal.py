"""A renewal and a freeze of the old contract at the same moment: the probe left overlapping live memberships
(3 of 10 on PostgreSQL, 1 of 10 on SQLite)."""
from datetime import timedelta

from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Membership
from clubcrm.services import contracts, sales
from tests.concurrency import at_once
from tests.conftest import TODAY
from tests.faults.contracts import assert_clean, desk_and_member

ROUNDS = 6


def test_a_renewal_and_a_freeze_at_once_never_overlap(app, make):
    plan = make.plan(duration_days=30)
    desk_id, plan_id = make.desk().id, plan.id
    pairs = []
    for _ in range(ROUNDS):  # each member's contract ends in 10 days: inside the renewal window
        member = make.member()
        first = make.membership(member, plan, today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
        pairs.append((member.id, first.id))
    actions = iter([lambda m=m, f=f: renew(m) for m, f in pairs] + [lambda m=m, f=f: freeze(m, f) for m, f in pairs])

    def renew(member_id):
        with unit_of_work():
            desk, member = desk_and_member(desk_id, member_id)
            contracts.memberships_of(member_id)   # the card read before the sale
            return ("renewed", sales.sell_membership(desk, member, plan_id, TODAY).id)

    def freeze(member_id, membership_id):
        with unit_of_work():
            desk, member = desk_and_member(desk_id, member_id)
            contracts.memberships_of(member_id)
            sales.freeze(desk, member, membership_id, TODAY + timedelta(days=1), TODAY + timedelta(days=10), TODAY)
            return ("frozen", membership_id)

    results = at_once(app, 2 * ROUNDS, lambda: next(actions)())
    assert len(results) == 2 * ROUNDS   # no thread died of an unexpected error
    db.session.expire_all()
    for member_id, first_id in pairs:
        first = db.session.get(Membership, first_id)
        for renewal in db.session.scalars(select(Membership).where(Membership.renews_id == first_id)):
            assert renewal.starts_on > first.ends_on, (member_id, first.ends_on, renewal.starts_on)
    assert_clean()
