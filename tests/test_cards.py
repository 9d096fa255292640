"""The member card: stage, days left, balances and what the desk should do now."""
from datetime import date, timedelta

from clubcrm.db import unit_of_work
from clubcrm.services import cards, packages, sales
from tests.conftest import TODAY


def alert_texts(member, today=TODAY) -> list[str]:
    return [a.text for a in cards.build(member, today).alerts]


def test_lead_card(make):
    card = cards.build(make.member(), TODAY)
    assert card.standing.state == "lead"
    assert alert_texts(card.member) == ["Lead: offer a trial visit or a first membership."]


def test_expiring_membership_warns_and_offers_renewal(make):
    member = make.member()
    make.membership(member, make.plan(duration_days=30), today=TODAY - timedelta(days=20),
                    starts_on=TODAY - timedelta(days=20))
    card = cards.build(member, TODAY)
    assert (card.standing.state, card.standing.days_left) == ("active", 9)
    assert card.renewable is not None
    assert "Membership expires in 9 days: offer a renewal." in alert_texts(member)
    make.membership(member, make.plan(duration_days=30))  # renewed: the warning goes
    card = cards.build(member, TODAY)
    assert card.renewed_by is not None and card.renewed_by.ends_on == TODAY + timedelta(days=39)
    assert not any("offer a renewal" in text for text in alert_texts(member))


def test_ends_today_and_expired(make):
    member = make.member()
    make.membership(member, make.plan(duration_days=30), today=TODAY - timedelta(days=29),
                    starts_on=TODAY - timedelta(days=29))
    assert "Membership ends today: offer a renewal." in alert_texts(member)
    assert cards.build(member, TODAY + timedelta(days=1)).standing.state == "expired"
    assert "Expired on Mar 10, 2026: offer a renewal." in alert_texts(member, TODAY + timedelta(days=1))


def test_frozen_card(make):
    member = make.member()
    membership = make.membership(member)
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY, TODAY + timedelta(days=4), TODAY)
    card = cards.build(member, TODAY)
    assert card.standing.state == "frozen"
    assert "Frozen until Mar 14, 2026." in alert_texts(member)


def test_birthday_today_including_29_february(make):
    assert "Birthday today: congratulate Juhla!" in alert_texts(
        make.member(first_name="Juhla", birth_date=date(1990, 3, 10)))
    assert cards.is_birthday(date(2000, 2, 29), date(2027, 2, 28))
    assert not cards.is_birthday(date(2000, 2, 29), date(2028, 2, 28))
    assert cards.is_birthday(date(2000, 2, 29), date(2028, 2, 29))


def test_low_balance_warns_but_expired_packages_do_not(make):
    member, service = make.member(), make.service(name="PT", package_units=3, valid_days=30)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
        packages.redeem(make.desk(), member, service.id, TODAY)
    assert "PT: 2 left — offer a new package." in alert_texts(member)
    assert not any("PT" in text for text in alert_texts(member, TODAY + timedelta(days=31)))


def test_a_used_up_visit_pack_offers_a_new_sale(make):
    from clubcrm import clock
    from clubcrm.services import checkin
    from tests.conftest import NOW

    member, pack = make.member(), make.plan(duration_days=120, visit_limit=2)
    make.membership(member, pack, today=TODAY - timedelta(days=5), starts_on=TODAY - timedelta(days=5))
    assert not cards.build(member, TODAY).can_sell      # covered, visits left, no renewal due
    for minutes in (0, 10):
        clock.set_now(NOW + timedelta(minutes=minutes))
        with unit_of_work():
            checkin.check_in(make.desk(), member)
    assert cards.build(member, TODAY).can_sell          # the sale the service allows, the card offers
