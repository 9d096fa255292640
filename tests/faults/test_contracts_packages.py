"""Package sales at once: the probe's 5 simultaneous sells of a member's first package gave 4 grants and a 500
(IntegrityError) on PostgreSQL, 5 grants on SQLite."""
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Package
from clubcrm.services import sales
from tests.concurrency import at_once
from tests.conftest import TODAY
from tests.faults.contracts import assert_clean, desk_and_member, posts_at_once


def grants() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "grant"))


def test_five_clicks_on_sell_package_sell_one(app, make):
    app.config["SALE_REPEAT_SECONDS"] = 60
    member, service = make.member(), make.service(package_units=10)
    statuses = posts_at_once(app, make.staff("desk"), 5, f"/members/{member.id}/packages/sell",
                             {"service_id": service.id})
    assert sorted(statuses) == [302] * 5
    db.session.expire_all()
    assert grants() == 1
    assert db.session.scalar(select(Package.balance).where(Package.member_id == member.id)) == 10
    assert_clean()


def test_five_deliberate_sales_of_a_first_package_at_once_all_count(app, make):
    member, service = make.member(), make.service(package_units=10)   # no repeat window (TestConfig): 5 sales
    desk_id, member_id, service_id = make.desk().id, member.id, service.id

    def sell():
        with unit_of_work():
            desk, holder = desk_and_member(desk_id, member_id)
            return sales.sell_package(desk, holder, service_id, TODAY).id

    results = at_once(app, 5, sell)
    assert len(results) == 5 and len(set(results)) == 5, results
    db.session.expire_all()
    assert grants() == 5
    assert db.session.scalar(select(Package.balance).where(Package.member_id == member_id)) == 50
    assert_clean()
