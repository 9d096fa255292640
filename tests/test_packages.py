"""Packages: balances are the sum of a ledger and never go below zero, also under concurrent redeems."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Member, Package, Staff
from clubcrm.services import packages, sales
from tests.concurrency import at_once
from tests.conftest import NOW, TODAY


def ledger_sum(package_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.units), 0))
                             .where(LedgerEntry.package_id == package_id))


def test_sale_grants_units_and_balance_equals_ledger(make):
    member, service = make.member(), make.service(package_units=10, valid_days=30)
    with unit_of_work():
        entry = sales.sell_package(make.desk(), member, service.id, TODAY)
    assert entry.price_minor == service.price_minor
    package = packages.package_of(member.id, service.id)
    assert package.balance == 10 == ledger_sum(package.id)
    assert package.expires_on == TODAY + timedelta(days=30)
    assert member.converted_at is not None  # buying a package converts a lead


def test_redeem_takes_units_and_refuses_to_overdraw(make):
    member, service = make.member(), make.service(package_units=2)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
    for _ in range(2):
        with unit_of_work():
            packages.redeem(make.desk(), member, service.id, TODAY)
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        packages.redeem(make.desk(), member, service.id, TODAY)
    assert caught.value.field == "units" and caught.value.code == "balance_empty"
    package = packages.package_of(member.id, service.id)
    assert package.balance == 0 == ledger_sum(package.id)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 3


def test_redeem_more_than_the_balance_changes_nothing(make):
    member, service = make.member(), make.service(package_units=3)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
    with pytest.raises(InvalidInput), unit_of_work():
        packages.redeem(make.desk(), member, service.id, TODAY, units=4)
    assert packages.package_of(member.id, service.id).balance == 3


def test_expired_package_cannot_be_redeemed(make):
    member, service = make.member(), make.service(valid_days=10)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY - timedelta(days=11))
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        packages.redeem(make.desk(), member, service.id, TODAY)
    assert caught.value.code == "expired"


def test_member_without_package(make):
    with pytest.raises(NotFound), unit_of_work():
        packages.redeem(make.desk(), make.member(), make.service().id, TODAY)


def test_service_of_another_club_is_refused(make):
    other = make.club()
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        sales.sell_package(make.desk(), make.member(), make.service(club=other).id, TODAY)
    assert caught.value.field == "service_id"


def test_plan_with_included_units_grants_them(make):
    service = make.service()
    plan = make.plan(service_id=service.id, service_units=2, duration_days=365)
    member = make.member()
    make.membership(member, plan)
    assert packages.package_of(member.id, service.id).balance == 2


def test_twenty_concurrent_redeems_against_ten_units(app, make):
    member, service = make.member(), make.service(package_units=10)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
    # Ids read here: threads reading them off the test's session would race each other for its connection.
    desk_id, member_id, service_id = make.desk().id, member.id, service.id

    def redeem_once() -> str:
        with unit_of_work():
            packages.redeem(db.session.get(Staff, desk_id), db.session.get(Member, member_id), service_id, TODAY)
        return "ok"

    outcomes = at_once(app, 20, redeem_once)
    assert sorted(outcomes) == ["balance_empty"] * 10 + ["ok"] * 10
    db.session.expire_all()
    package = db.session.scalar(select(Package).where(Package.member_id == member_id))
    assert package.balance == 0
    redeems = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                .where(LedgerEntry.kind == "redeem"))
    assert redeems == 10
    assert ledger_sum(package.id) == 0


def test_the_same_package_sold_again_within_moments_answers_the_first_sale(app, make):
    app.config["SALE_REPEAT_SECONDS"] = 60
    member, service = make.member(), make.service(package_units=10)
    with unit_of_work():
        first = sales.sell_package(make.desk(), member, service.id, TODAY)
    with unit_of_work():
        again = sales.sell_package(make.desk(), member, service.id, TODAY)
    assert again.id == first.id
    assert packages.package_of(member.id, service.id).balance == 10
    clock.set_now(NOW + timedelta(seconds=61))   # a second package a minute later is a real sale
    with unit_of_work():
        assert sales.sell_package(make.desk(), member, service.id, TODAY).id != first.id
    assert packages.package_of(member.id, service.id).balance == 20 == ledger_sum(first.package_id)


def test_another_desks_sale_of_the_same_package_moments_later_is_a_sale_of_its_own(app, make):
    """The repeat guard catches one login's double click; a colleague selling too is not silently dropped."""
    app.config["SALE_REPEAT_SECONDS"] = 60
    member, service = make.member(), make.service(package_units=10)
    with unit_of_work():
        first = sales.sell_package(make.desk(), member, service.id, TODAY)
    with unit_of_work():
        other = sales.sell_package(make.staff("desk"), member, service.id, TODAY)
    assert other.id != first.id
    assert packages.package_of(member.id, service.id).balance == 20 == ledger_sum(first.package_id)
