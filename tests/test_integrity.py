"""`clubcrm check`: planted corruption is found, each kind by its ids; a clean database reports nothing."""
from datetime import timedelta

from sqlalchemy import select, update

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import defaults
from clubcrm.models import Freeze, Member, MemberLink, Membership, Message, Package, Rule
from clubcrm.services import checkin, member_links, packages, sales
from clubcrm.simulation import SimConfig, simulate
from tests.conftest import NOW, TODAY


def check(runner):
    db.session.commit()
    return runner.invoke(args=["check"])


def test_a_clean_database_has_no_problems(runner, make):
    member, other, pack_holder = make.member(), make.member(), make.member()
    plan, service = make.plan(duration_days=30), make.service(package_units=5)
    desk, manager = make.desk(), make.staff("manager")
    first = make.membership(member, plan, today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
    with unit_of_work():
        entry = sales.freeze(desk, member, first.id, TODAY, TODAY + timedelta(days=9), TODAY)
    with unit_of_work():
        sales.end_freeze(desk, member, entry.id, TODAY + timedelta(days=3))
    make.membership(member, plan)                      # the renewal starts after the (moved) end
    cancelled = make.membership(other, plan)
    with unit_of_work():
        sales.cancel(manager, other, cancelled.id, TODAY, "Moved away")
    make.membership(other, plan)                       # a new contract from today beside the cancelled one
    pack = make.plan(duration_days=60, visit_limit=1)  # a used-up visit pack replaced inside its dates
    make.membership(pack_holder, pack, today=TODAY - timedelta(days=5), starts_on=TODAY - timedelta(days=5))
    with unit_of_work():
        checkin.check_in(desk, pack_holder)
    make.membership(pack_holder, pack)
    with unit_of_work():
        sales.sell_package(desk, member, service.id, TODAY)
    with unit_of_work():
        packages.redeem(desk, member, service.id, TODAY, units=2)
    result = check(runner)
    assert (result.exit_code, result.output) == (0, "No problems found.\n")


def test_a_simulated_club_has_no_problems(runner, ctx):
    with unit_of_work():
        simulate(SimConfig(members=20, days=30, seed=5, end=TODAY))
    result = check(runner)
    assert (result.exit_code, result.output) == (0, "No problems found.\n")


def test_planted_corruption_is_found_by_its_ids(runner, make):
    member, other = make.member(), make.member()
    plan, service = make.plan(duration_days=30), make.service(package_units=5)
    first = make.membership(member, plan)
    second = make.membership(other, plan)
    with unit_of_work():
        entry = sales.sell_package(make.desk(), member, service.id, TODAY)
        defaults.ensure(member.club)
        rule = db.session.scalars(select(Rule).where(Rule.channel == "sms")).first()
        # An overlap: a contract of the member inside the first one's dates, as the renewal/freeze race left.
        overlap = Membership(club_id=member.club_id, member_id=member.id, plan_id=plan.id,
                             starts_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=34),
                             price_minor=0, currency="EUR", sold_at=NOW)
        db.session.add(overlap)
        # Three identical freezes, as ten clicks at once made them: one problem naming the three.
        freezes = [Freeze(membership_id=second.id, starts_on=TODAY, ends_on=TODAY + timedelta(days=3))
                   for _ in range(3)]
        db.session.add_all(freezes)
        # A balance moved without a ledger row.
        db.session.execute(update(Package).values(balance=Package.balance + 1))
        # One planned SMS sent twice: a second row under another key.
        for key in ("tp:a", "tp:a-again"):
            db.session.add(Message(club_id=member.club_id, member_id=member.id, membership_id=first.id,
                                   rule_id=rule.id, occurrence=0, idempotency_key=key, to_phone=member.phone,
                                   body="Hello", locale="en", encoding="GSM-7", segments=1, status="sent",
                                   due_at=NOW, sent_at=NOW, created_at=NOW))
        # A member erased by hand (not through gdpr.erase), whose page link still exists.
        db.session.flush()
        sent = db.session.scalar(select(Message).where(Message.idempotency_key == "tp:a"))
        member_links.mint(sent)
        db.session.get(Member, other.id).erased_at = NOW
        db.session.execute(update(MemberLink).values(member_id=other.id))
    package_id = entry.package_id
    result = check(runner)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"overlapping memberships: member {member.id}: memberships {first.id}, {overlap.id}" in lines
    assert (f"overlapping freezes: membership {second.id}: freezes "
            + ", ".join(str(f.id) for f in freezes)) in lines
    assert f"balance off its ledger: package {package_id}: balance 6, ledger 5" in lines
    assert any(line.startswith(f"message sent twice: membership {first.id}, rule {rule.id}, occurrence 0: "
                               "2 messages sent") for line in lines)
    assert f"member link of an erased member: member {other.id}: 1 links" in lines
    assert "5 problem(s) found." in lines
    assert member.phone not in result.output and member.last_name not in result.output   # ids, no personal data
