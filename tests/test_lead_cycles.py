"""Lead cycles: opened with the lead's source, won by the first sale, lost by staff or by the timeout, opened anew
when a lost lead asks again; the stage derived from what happened in the cycle; the club's lost reasons."""
from datetime import timedelta

import secrets

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import Conflict, DomainError, InvalidInput
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, LeadCycle, LeadLostReason, Member, Membership
from clubcrm.services import lead_cycles, members, sales, sessions, tasks
from tests.conftest import ENGINES, NOW, TODAY, make_app
from tests.test_migrations import alembic_config
from tests.statements import statements


def cycles(member_id: int | None = None) -> list[LeadCycle]:
    query = select(LeadCycle).order_by(LeadCycle.id)
    if member_id is not None:
        query = query.where(LeadCycle.member_id == member_id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Member)),
            db.session.scalar(select(func.count()).select_from(LeadCycle)))


def stage(member) -> str:
    cycle = lead_cycles.open_cycle_of(member.id) or cycles(member.id)[-1]
    return lead_cycles.stages_of(member.club_id, [cycle.id])[cycle.id]


def test_a_desk_lead_opens_a_cycle_with_its_source(make):
    desk = make.desk()
    with unit_of_work():
        lead = members.create_walk_in(desk, make.default_club, {"first_name": "Walk", "phone": "040 100 0001"})
    [cycle] = cycles(lead.id)
    assert (cycle.source, cycle.started_at, cycle.ended_at, cycle.outcome) == ("walk_in", NOW, None, None)
    assert (cycle.club_id, cycle.created_by_id, lead.source) == (lead.club_id, desk.id, "walk_in")
    with unit_of_work():
        phoned = members.create_walk_in(desk, make.default_club, {"first_name": "Call", "source": "phone"})
    assert [c.source for c in cycles(phoned.id)] == ["phone"] and phoned.source == "phone"
    assert stage(lead) == "new"


def test_referral_and_campaign_are_stored(make):
    desk = make.desk()
    friend = make.member(first_name="Friend", card_code="FRIEND-1", phone="040 200 0002")
    with unit_of_work():
        by_card = members.create_walk_in(desk, make.default_club, {
            "first_name": "Ref", "source": "referral", "referrer": " friend-1 "})
        by_phone = members.create_walk_in(desk, make.default_club, {
            "first_name": "Ref2", "source": "referral", "referrer": "+358 40 200 0002"})
        summer = members.create_walk_in(desk, make.default_club, {
            "first_name": "Camp", "source": "campaign", "campaign": "  Summer   2026 "})
    for lead in (by_card, by_phone):
        [cycle] = cycles(lead.id)
        assert (cycle.source, cycle.referrer_member_id) == ("referral", friend.id)
    [cycle] = cycles(summer.id)
    assert (cycle.source, cycle.campaign, cycle.referrer_member_id) == ("campaign", "Summer 2026", None)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.member_id == summer.id)).one()
    assert event.after["source"] == "campaign" and event.after["campaign"] == "Summer 2026"


@pytest.mark.parametrize("data,field", [
    ({"source": "referral"}, "referrer"),
    ({"source": "referral", "referrer": "NOBODY-9"}, "referrer"),
    ({"source": "walk_in", "referrer": "FRIEND-1"}, "referrer"),
    ({"source": "campaign"}, "campaign"),
    ({"source": "campaign", "campaign": "   "}, "campaign"),
    ({"source": "campaign", "campaign": "x" * 81}, "campaign"),
    ({"source": "fax"}, "source"),
])
def test_a_bad_source_is_refused_naming_the_field_and_nothing_is_written(make, data, field):
    make.member(first_name="Friend", card_code="FRIEND-1")
    other_club_friend = make.member(club=make.club(), card_code="ELSEWHERE-1")
    assert other_club_friend.id
    before = counts()
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        members.create_walk_in(make.desk(), make.default_club, {"first_name": "Bad", **data})
    assert caught.value.field == field
    assert counts() == before


def test_a_referrer_of_another_club_is_not_found(make):
    make.member(club=make.club(), card_code="ELSEWHERE-1")
    before = counts()
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        members.create_walk_in(make.desk(), make.default_club,
                               {"first_name": "Bad", "source": "referral", "referrer": "ELSEWHERE-1"})
    assert (caught.value.field, caught.value.code) == ("referrer", "not_found")
    assert counts() == before


def test_every_bad_field_is_named_at_once(make):
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        members.create_walk_in(make.desk(), make.default_club, {"first_name": "", "source": "campaign"})
    assert {e.field for e in caught.value.errors} == {"first_name", "campaign"}


def test_the_first_sale_wins_the_cycle_in_its_transaction(make):
    lead = make.member()
    membership = make.membership(lead)
    [cycle] = cycles(lead.id)
    assert (cycle.outcome, cycle.ended_at, cycle.won_membership_id) == ("won", NOW, membership.id)
    assert stage(lead) == "won"
    # A second sale changes nothing.
    make.membership(lead, today=TODAY + timedelta(days=25))
    assert [c.outcome for c in cycles(lead.id)] == ["won"]


def test_a_failed_sale_leaves_the_cycle_open(make):
    lead = make.member()
    plan = make.plan()
    with pytest.raises(DomainError), unit_of_work():
        sales.sell_membership(make.desk(), lead, plan.id, TODAY, starts_on=TODAY + timedelta(days=120))
    [cycle] = cycles(lead.id)
    assert cycle.ended_at is None and db.session.get(Member, lead.id).converted_at is None
    # Fails after the cycle was closed (the package grant at the end): all of it is rolled back.
    with pytest.raises(RuntimeError), unit_of_work():
        sales.sell_membership(make.desk(), lead, plan.id, TODAY)
        raise RuntimeError("the printer caught fire")
    [cycle] = cycles(lead.id)
    assert cycle.ended_at is None and cycle.outcome is None
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_a_package_sale_wins_the_cycle_too(make):
    lead = make.member()
    service = make.service()
    with unit_of_work():
        sales.sell_package(make.desk(), lead, service.id, TODAY)
    [cycle] = cycles(lead.id)
    assert (cycle.outcome, cycle.won_membership_id) == ("won", None)


def test_mark_lost_with_a_reason_is_audited(make):
    lead = make.member()
    desk = make.desk()
    with unit_of_work():
        lead_cycles.mark_lost(desk, lead, "price")
    [cycle] = cycles(lead.id)
    assert (cycle.outcome, cycle.lost_reason, cycle.ended_at, cycle.ended_by_id) == ("lost", "price", NOW, desk.id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lose_lead")).one()
    assert (event.member_id, event.entity_id, event.before, event.after) == (
        lead.id, cycle.id, {"stage": "new"}, {"lost_reason": "price"})
    assert stage(lead) == "lost"
    with pytest.raises(Conflict), unit_of_work():   # nothing left open
        lead_cycles.mark_lost(desk, lead, "price")


@pytest.mark.parametrize("reason", ["", None, "cheaper", "own_switched_off"])
def test_mark_lost_refuses_an_unknown_or_switched_off_reason(make, reason):
    lead = make.member()
    manager = make.staff("manager")
    with unit_of_work():
        own = lead_cycles.add_reason(manager, make.default_club, "Moved away")
        own.code = "own_switched_off"
        lead_cycles.set_reason_active(manager, make.default_club, own.id, False)
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        lead_cycles.mark_lost(make.desk(), lead, reason)
    assert caught.value.field == "reason"
    assert cycles(lead.id)[0].ended_at is None


def test_a_manager_adds_and_switches_off_lost_reasons(make):
    manager = make.staff("manager")
    club = make.default_club
    with unit_of_work():
        codes = [r.code for r in lead_cycles.lost_reasons(club.id)]
    assert codes == ["price", "distance", "schedule", "other_club", "no_answer", "not_interested"]
    with unit_of_work():
        own = lead_cycles.add_reason(manager, club, "  Moved   away ")
    assert (own.label, own.active, own.code.startswith("own_")) == ("Moved away", True, True)
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        lead_cycles.add_reason(manager, club, "moved away")
    assert caught.value.field == "label"
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        lead_cycles.add_reason(manager, club, " ")
    assert caught.value.field == "label"
    lead = make.member()
    with unit_of_work():
        lead_cycles.mark_lost(make.desk(), lead, own.code)
        lead_cycles.set_reason_active(manager, club, db.session.get(LeadLostReason, own.id).id, False)
    assert own.code not in dict(lead_cycles.reason_choices(club.id))
    assert cycles(lead.id)[0].lost_reason == own.code      # kept by the cycle that gave it
    assert lead_cycles.lost_reason_name(club.id, own.code) == "Moved away"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == "lead_lost_reason")) == 2


def test_sixty_days_without_a_sale_close_the_cycle_as_lost_no_answer_once(make, app):
    old = make.member(first_name="Old")
    clock.set_now(NOW + timedelta(days=30))
    young = make.member(first_name="Young")
    clock.set_now(NOW + timedelta(days=59, hours=23))
    with unit_of_work():
        assert lead_cycles.close_timed_out(clock.utcnow()) == 0
    later = NOW + timedelta(days=60)
    with unit_of_work():
        assert lead_cycles.close_timed_out(later) == 1
    with unit_of_work():
        assert lead_cycles.close_timed_out(later) == 0     # a rerun closes nothing more
    [cycle] = cycles(old.id)
    assert (cycle.outcome, cycle.lost_reason, cycle.ended_at, cycle.ended_by_id) == ("lost", "no_answer", later, None)
    assert cycles(young.id)[0].ended_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "time_out_leads")) == 1
    app.config["LEAD_CYCLE_DAYS"] = 10
    with unit_of_work():
        assert lead_cycles.close_timed_out(later) == 1


def test_the_worker_job_closes_timed_out_cycles(make, app):
    from clubcrm import worker

    lead = make.member()
    clock.set_now(NOW + timedelta(days=61))
    db.session.commit()
    worker.job(app, worker.lead_timeout)()
    assert cycles(lead.id)[0].outcome == "lost"


def test_a_lost_lead_who_asks_again_at_the_desk_gets_a_new_cycle(make):
    desk = make.desk()
    lead = make.member(first_name="Again", phone="040 300 0003", email="again@example.com")
    with unit_of_work():
        lead_cycles.mark_lost(desk, lead, "schedule")
    clock.set_now(NOW + timedelta(days=3))
    before = counts()[0]
    with unit_of_work():
        asked = members.take_inquiry(desk, make.default_club, {"first_name": "Again", "phone": "0403000003",
                                                              "source": "campaign", "campaign": "Autumn"})
    assert (asked.member.id, asked.new_cycle) == (lead.id, True)
    assert counts()[0] == before
    first, second = cycles(lead.id)
    assert (first.outcome, second.outcome, second.source, second.campaign) == ("lost", None, "campaign", "Autumn")
    assert second.started_at == NOW + timedelta(days=3)
    assert db.session.get(Member, lead.id).source == "walk_in"     # the member's first source stays
    # The same form again moments later answers the same cycle; by email alike.
    with unit_of_work():
        again = members.take_inquiry(desk, make.default_club, {"first_name": "Again", "email": "AGAIN@example.com"})
    assert (again.member.id, again.new_cycle, len(cycles(lead.id))) == (lead.id, True, 2)


def test_a_lead_with_an_open_cycle_or_a_converted_member_gets_no_new_cycle(make):
    desk = make.desk()
    open_lead = make.member(phone="040 400 0004")
    bought = make.member(phone="040 500 0005")
    make.membership(bought)
    for member in (open_lead, bought):
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            members.take_inquiry(desk, make.default_club, {"first_name": "X", "phone": member.phone})
        assert (caught.value.field, caught.value.code) == ("phone", "duplicate")
    with pytest.raises(Conflict), unit_of_work():
        lead_cycles.reopen(desk, bought, lead_cycles.Source("phone"))
    assert [len(cycles(m.id)) for m in (open_lead, bought)] == [1, 1]


def test_the_check_finds_an_open_cycle_of_a_member_who_bought(make):
    from clubcrm import integrity

    lead, buyer = make.member(), make.member()
    make.membership(buyer)
    assert list(integrity.open_cycles_of_buyers()) == []
    with unit_of_work():
        db.session.get(Member, lead.id).converted_at = NOW     # a hand edit: a sale that closed nothing
    [problem] = integrity.open_cycles_of_buyers()
    cycle_id = cycles(lead.id)[0].id
    assert str(problem) == f"open lead cycle of a member who bought: member {lead.id}: lead cycle {cycle_id}"


def test_one_open_cycle_per_member_is_kept_by_the_database(make):
    lead = make.member()
    with pytest.raises(IntegrityError), unit_of_work():   # the partial unique index
        db.session.add(LeadCycle(club_id=lead.club_id, member_id=lead.id, started_at=NOW, source="phone"))
        db.session.flush()
    # Closed cycles may pile up beside the open one.
    with unit_of_work():
        db.session.add(LeadCycle(club_id=lead.club_id, member_id=lead.id, started_at=NOW - timedelta(days=90),
                                 source="phone", ended_at=NOW - timedelta(days=30), outcome="lost",
                                 lost_reason="no_answer"))
    assert len(cycles(lead.id)) == 2


def trial_tonight(make, kind: str = "trial", hours: int = 8, capacity: int = 5):
    manager = make.staff("manager")
    trainer = make.staff("desk", name="Tina Trainer", is_trainer=True)
    club = make.default_club
    starts = NOW + timedelta(hours=hours)
    with unit_of_work():
        return sessions.schedule(manager, club, {"kind": kind, "title": "Try us", "starts_at": starts,
                                                 "trainer_id": trainer.id,
                                                 "ends_at": starts + timedelta(hours=1), "capacity": capacity})


def test_the_stage_follows_contact_trial_booking_attendance_and_sale(make):
    desk = make.desk()
    lead = make.member()
    assert stage(lead) == "new"
    with unit_of_work():
        tasks.log_contact(desk, lead, "no_answer", None)
    assert stage(lead) == "new"
    with unit_of_work():
        tasks.log_contact(desk, lead, "reached", "Interested in yoga")
    assert stage(lead) == "contacted"
    trial = trial_tonight(make)
    with unit_of_work():
        booking = sessions.book(desk, trial, lead)
    assert stage(lead) == "trial_booked"
    clock.set_now(NOW + timedelta(hours=9))
    with unit_of_work():
        sessions.mark_attended(desk, db.session.merge(booking))
    assert stage(lead) == "trial_attended"
    make.membership(lead)
    assert stage(lead) == "won"


def test_a_visit_counts_as_attended_and_what_came_before_the_cycle_does_not(make):
    desk = make.desk()
    lead = make.member()
    with unit_of_work():
        tasks.log_contact(desk, lead, "reached", None)
        lead_cycles.mark_lost(desk, lead, "price")
    clock.set_now(NOW + timedelta(days=5))
    with unit_of_work():
        lead_cycles.reopen(desk, lead, lead_cycles.Source("phone"))
    assert stage(lead) == "new"       # the contact was in the earlier cycle
    from clubcrm.models import Visit
    with unit_of_work():
        db.session.add(Visit(club_id=lead.club_id, member_id=lead.id, checked_in_at=clock.utcnow(),
                             source="override", staff_id=desk.id))
    assert stage(lead) == "trial_attended"


def test_stages_of_sends_the_same_statements_for_5_and_50_leads(make):
    club_id = make.default_club.id
    desk = make.desk()
    trial = trial_tonight(make, capacity=100)

    def leads(n: int) -> list:
        made = [make.member() for _ in range(n)]
        with unit_of_work():
            for i, lead in enumerate(made):
                if i % 3 == 0:
                    tasks.log_contact(desk, lead, "reached", None)
                if i % 4 == 0:
                    sessions.book(desk, db.session.merge(trial), lead)
        return made

    def sent(cycle_ids) -> tuple[int, dict]:
        db.session.commit()
        with statements() as seen:
            found = lead_cycles.stages_of(club_id, cycle_ids)
        return len(seen), found

    few = leads(5)
    few_ids = [c.id for c in cycles() if c.member_id in {m.id for m in few}]
    n_few, stages_few = sent(few_ids)
    many = leads(45)
    n_all, stages_all = sent(True)
    assert len(stages_few) == 5 and len(stages_all) == 50
    assert n_few == n_all == 1, (n_few, n_all)
    assert stages_all[few_ids[0]] == "trial_booked" and stages_all[few_ids[1]] == "new"
    assert sorted(set(stages_all.values())) == ["contacted", "new", "trial_booked"]
    assert many


def test_a_club_made_later_gets_its_lost_reasons_when_first_asked(make):
    club = make.club()
    assert db.session.scalar(select(func.count()).select_from(LeadLostReason).where(
        LeadLostReason.club_id == club.id)) == 0
    with unit_of_work():
        assert len(lead_cycles.reason_choices(club.id)) == 6
        assert len(lead_cycles.reason_choices(club.id)) == 6


@pytest.fixture(params=ENGINES)
def before_lead_cycles(request, tmp_path) -> str:
    """A database of its own at the revision before the lead cycles, holding a club with a lead (a web form's), a
    member who bought, an erased lead and a lead of a source no cycle knows."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database(f"leads_{secrets.token_hex(4)}")
    app = make_app(url)
    with app.app_context():
        command.upgrade(alembic_config(app), "e5a8c2f7d1b4")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO club (id, name, timezone, currency, country, default_locale, created_at) "
                "VALUES (1, 'North', 'UTC', 'EUR', 'FI', 'en', :now)"), {"now": NOW})
            for member_id, source, converted, erased in ((1, "web_form", None, None), (2, "walk_in", NOW, None),
                                                          (3, "walk_in", None, NOW), (4, "desk", None, None)):
                connection.execute(text(
                    "INSERT INTO member (id, club_id, first_name, last_name, name_key, name_key_rev, locale, source, "
                    "sms_consent, created_at, converted_at, erased_at) "
                    "VALUES (:id, 1, 'A', 'B', 'a b', 'b a', 'en', :source, :no, :created, :converted, :erased)"),
                    {"id": member_id, "source": source, "no": False, "created": NOW - timedelta(days=member_id),
                     "converted": converted, "erased": erased})
        db.engine.dispose()
    return url


def test_the_migration_seeds_the_reasons_and_opens_a_cycle_for_every_lead_of_today(before_lead_cycles):
    app = make_app(before_lead_cycles)
    with app.app_context():
        command.upgrade(alembic_config(app), "head")
        assert [r.code for r in lead_cycles.lost_reasons(1, seed=False)] == [
            "price", "distance", "schedule", "other_club", "no_answer", "not_interested"]
        assert [(c.member_id, c.source, c.started_at, c.ended_at) for c in cycles()] == [
            (1, "web_form", NOW - timedelta(days=1), None), (4, "other", NOW - timedelta(days=4), None)]
        db.session.remove()
        command.downgrade(alembic_config(app), "e5a8c2f7d1b4")
        command.upgrade(alembic_config(app), "head")
        db.engine.dispose()


def test_imported_people_are_leads_in_a_cycle_until_their_imported_memberships_win_it(runner, make, tmp_path):
    from tests.test_import_moving_in import MEMBERS, setup_club, write

    setup_club(make)
    one_contract = "Фамилия;Имя;Телефон;Абонемент;Начало;Окончание;Цена;Заморожен до\r\n" \
                   f"Петров;Борис;040 100 0002;Месяц;{TODAY.strftime('%d.%m.%Y')};" \
                   f"{(TODAY + timedelta(days=29)).strftime('%d.%m.%Y')};59,00;\r\n"
    for kind, rows in (("members", MEMBERS), ("memberships", one_contract)):
        result = runner.invoke(args=["import", kind, str(write(tmp_path, f"{kind}.csv", rows))])
        assert result.exit_code == 0, result.output
    db.session.commit()
    people = {m.card_code: m for m in db.session.scalars(select(Member))}
    found = {card: cycles(m.id) for card, m in people.items()}
    assert all(len(c) == 1 and c[0].source == "import" for c in found.values())
    assert [c[0].outcome for _card, c in sorted(found.items())] == [None, "won", None, None]
    boris = db.session.scalar(select(Membership).where(Membership.member_id == people["K002"].id))
    assert found["K002"][0].won_membership_id == boris.id


def test_a_club_added_by_the_owner_starts_with_the_default_lost_reasons(make):
    from clubcrm.services import clubs

    with unit_of_work():
        club = clubs.create(make.staff("owner"), {"name": "Harbour", "timezone": "Europe/Helsinki", "currency": "EUR",
                                                  "country": "FI", "default_locale": "fi"})
    assert db.session.scalars(select(LeadLostReason.code).where(LeadLostReason.club_id == club.id)
                              .order_by(LeadLostReason.id)).all() == [
        "price", "distance", "schedule", "other_club", "no_answer", "not_interested"]


def test_a_lost_lead_asking_again_from_four_places_at_once_gets_one_new_cycle(app, make):
    from clubcrm.models import Club
    from clubcrm.services import web_leads
    from tests.concurrency import at_once

    lead = make.member(email="again@example.com")
    with unit_of_work():
        lead_cycles.mark_lost(make.desk(), lead, "price")
    club_id = lead.club_id

    def ask():
        with unit_of_work():
            return web_leads.register(None, db.session.get(Club, club_id),
                                      {"name": "Again", "email": "again@example.com"}).new_cycle

    assert sorted(at_once(app, 4, ask)) == [False, False, False, True]
    assert [c.outcome for c in cycles(lead.id)] == ["lost", None]
