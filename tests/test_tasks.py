"""Staff tasks: the engine's tasks on the Today list, one-click outcomes, contacts logged from the card, and
the card's retention section; the service rules one by one."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Membership, Staff, StaffContact, Touchpoint
from clubcrm.services import sales, tasks
from tests.statements import statements
from tests.concurrency import at_once
from tests.conftest import NOW, TODAY
from tests.lifecycle import no_holdouts, run_pass
from tests.web import field_errors, flashes


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def run_engine(days: int) -> None:
    """Move the clock DAYS days past NOW and run one lifecycle pass, with no tool holding anyone out."""
    clock.set_now(NOW + timedelta(days=days))
    no_holdouts()
    run_pass()


def newcomer(make, club=None, sold_on=TODAY, **values):
    """A member whose first membership starts on SOLD_ON and who never visits: a week later the
    no_first_visit rule plans a call."""
    member = make.member(club=club, **values)
    make.membership(member, today=sold_on)
    return member


def task_of(member) -> Touchpoint:
    db.session.expire_all()
    return db.session.scalar(select(Touchpoint).where(Touchpoint.member_id == member.id,
                                                      Touchpoint.channel == "task"))


def outcome_url(touchpoint) -> str:
    return f"/today/{touchpoint.id}/outcome"


@pytest.fixture
def called(make):
    """A member with an open call-back task due today (day 7 of their first membership)."""
    member = newcomer(make, first_name="Nora", last_name="Novice", phone="+358401234567")
    run_engine(7)
    return member


# --- the engine's task ----------------------------------------------------------------------------


def test_a_week_without_a_first_visit_plans_a_call(make, called):
    tp = task_of(called)
    assert (tp.status, tp.task_kind, tp.rule.key, tp.due_on) == ("planned", "call_back", "no_first_visit",
                                                                TODAY + timedelta(days=7))
    assert tp.facts == {"days_since_start": 7, "visits_cycle": 0}


# --- the Today list -------------------------------------------------------------------------------


def test_today_lists_the_task_with_its_member_and_why(web, login_as, called):
    login_as("desk")
    page = web.get("/today/")
    assert page.status_code == 200
    row = re.search(r'<tr id="task-\d+" class="([^"]*)".*?</tr>', page.text, re.S)
    assert row and row.group(1) == ""  # due today: not overdue
    text = row.group(0)
    assert "Nora Novice" in text and "+358 40 1234567" in text
    assert "<strong>Call</strong>" in text and "No first visit: staff call" in text
    assert "days since the start: 7" in text and "visits this membership: 0" in text
    assert "today" in text and "overdue" not in text
    assert text.count('name="outcome"') == 5


def test_overdue_tasks_stand_out_and_come_first(make, web, login_as, called):
    later = newcomer(make, first_name="Lars", last_name="Later", sold_on=TODAY + timedelta(days=2))
    run_engine(9)  # Nora's task is two days old, Lars's is due today
    login_as("desk")
    page = web.get("/today/")
    rows = re.findall(r'<tr id="task-(\d+)" class="([^"]*)"', page.text)
    assert rows == [(str(task_of(called).id), "overdue"), (str(task_of(later).id), "")]
    assert "overdue since Mar 17, 2026" in page.text
    listed = tasks.today(make.default_club, TODAY + timedelta(days=9))
    assert [(t.member.id, t.overdue) for t in listed] == [(called.id, True), (later.id, False)]


def test_tasks_of_later_days_and_closed_ones_are_not_listed(make, called):
    assert tasks.today(make.default_club, TODAY + timedelta(days=6)) == []
    assert len(tasks.today(make.default_club, TODAY + timedelta(days=7))) == 1


def test_the_list_loads_in_one_statement_however_long(make, called):
    day = TODAY + timedelta(days=7)
    club = make.default_club
    assert club.name  # loaded before counting
    with statements() as one:
        assert len(tasks.today(club, day)) == 1
    for _ in range(3):
        newcomer(make, sold_on=TODAY)
    run_engine(7)
    db.session.expire_all()
    assert club.name
    with statements() as four:
        listed = tasks.today(club, day)
        assert [(t.member.full_name, t.touchpoint.rule.key, t.touchpoint.tool.key) for t in listed]
    assert len(listed) == 4
    assert len(one) == len(four) == 1


def test_nothing_to_do(web, login_as):
    login_as("desk")
    page = web.get("/today/")
    assert page.status_code == 200 and "Nothing to do today." in page.text


def test_nav_counts_open_tasks(web, login_as, called):
    login_as("desk")
    assert re.search(r'id="nav-today">Today <span class="badge count">1</span>', web.get("/").text)
    web.client.post("/logout")
    assert "nav-today" not in web.get("/login").text


def test_anonymous_visitor_is_sent_to_log_in(web, called):
    for response in (web.get("/today/"), web.post(outcome_url(task_of(called)), {"outcome": "reached"})):
        assert response.status_code == 302 and "/login" in response.location
    assert task_of(called).status == "planned"


# --- one-click outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["desk", "manager", "owner"])
def test_an_outcome_closes_the_task_and_logs_the_contact(web, login_as, called, role):
    staff = login_as(role)
    tp = task_of(called)
    response = web.post(outcome_url(tp), {"outcome": "reached", "note": "  Coming   on Friday "})
    assert response.status_code == 302 and response.location.endswith("/today/")
    tp = task_of(called)
    assert (tp.status, tp.outcome, tp.done_by_id, tp.done_at) == ("done", "reached", staff.id, clock.utcnow())
    contact = db.session.scalar(select(StaffContact))
    assert (contact.member_id, contact.staff_id, contact.touchpoint_id, contact.outcome, contact.note) == (
        called.id, staff.id, tp.id, "reached", "Coming on Friday")
    event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "touchpoint"))
    assert (event_.staff_id, event_.entity_id, event_.member_id) == (staff.id, tp.id, called.id)
    assert event_.before == {"status": "planned"} and event_.after["outcome"] == "reached"
    page = web.get("/today/")
    assert "Nora Novice: Reached. The task is done." in flashes(page)
    assert "Nothing to do today." in page.text


def test_a_second_click_is_refused_and_logs_nothing(web, login_as, called):
    login_as("desk")
    tp = task_of(called)
    assert web.post(outcome_url(tp), {"outcome": "declined"}).status_code == 302
    again = web.post(outcome_url(tp), {"outcome": "reached"})
    assert again.status_code == 409
    assert "This task is already done; its outcome was recorded before." in flashes(again)
    assert count(StaffContact) == 1 and task_of(called).outcome == "declined"


def test_no_answer_brings_the_call_back_tomorrow_three_tries_in_all(web, login_as, called):
    from datetime import timedelta

    from clubcrm import clock

    login_as("desk")
    tp = task_of(called)
    first_day, start = tp.due_on, clock.utcnow()
    for attempt in range(2):
        response = web.post(outcome_url(tp), {"outcome": "no_answer"})
        assert response.status_code == 302
        assert "Nora Novice did not answer: the call is on tomorrow's list." in flashes(web.get("/today/"))
        task = task_of(called)
        assert (task.status, task.due_on) == ("planned", first_day + timedelta(days=attempt + 1))
        assert web.post(outcome_url(tp), {"outcome": "no_answer"}).status_code == 409   # not again today
        clock.set_now(start + timedelta(days=attempt + 1))
    assert web.post(outcome_url(tp), {"outcome": "no_answer"}).status_code == 302
    assert (task_of(called).status, task_of(called).outcome) == ("done", "no_answer")
    assert count(StaffContact) == 3


def test_renewed_opens_the_sell_form_and_the_sale_closes_the_task(web, login_as, called):
    """Issue 16: "Renewed" used to close the task at the click, the member staying expired; now it opens the
    card's sell form carrying the task, and only the sale records the outcome."""
    login_as("desk")
    tp = task_of(called)
    response = web.post(outcome_url(tp), {"outcome": "renewed"})
    assert response.status_code == 302
    assert f"/members/{called.id}?sell=task&task={tp.id}" in response.location
    assert task_of(called).status == "planned" and count(StaffContact) == 0
    card = web.get(response.location)
    assert card.status_code == 200
    assert re.search(rf'name="task_id"[^>]*value="{tp.id}"|value="{tp.id}"[^>]*name="task_id"', card.text)
    plan_id = db.session.scalar(select(Membership.plan_id).where(Membership.member_id == called.id))
    sold = web.post(f"/members/{called.id}/sell", {"plan_id": plan_id, "task_id": tp.id})
    assert sold.status_code == 302, field_errors(sold)
    tp = task_of(called)
    assert (tp.status, tp.outcome) == ("done", "renewed")
    assert count(Membership, Membership.member_id == called.id) == 2


def test_a_refused_sale_leaves_the_renewal_task_open(web, login_as, called):
    login_as("desk")
    tp = task_of(called)
    refused = web.post(f"/members/{called.id}/sell", {"plan_id": 999999, "task_id": tp.id})
    assert refused.status_code == 422
    assert task_of(called).status == "planned" and count(StaffContact) == 0


def test_two_desks_clicking_at_once_close_the_task_once(app, make, called):
    desks = [make.staff("desk"), make.staff("desk")]
    tp_id, day = task_of(called).id, TODAY + timedelta(days=7)
    ids = iter(desks)

    def click():
        staff = db.session.get(Staff, next(ids).id)
        return tasks.record_outcome(staff, tp_id, "reached", None, day).id

    results = at_once(app, 2, click)
    assert sorted(map(str, results)) == sorted([str(tp_id), "already_done"])
    assert count(StaffContact) == 1


def test_another_clubs_task_is_not_found(make, web, login_as):
    stranger = newcomer(make, club=make.club(name="Elsewhere"))
    run_engine(7)
    login_as("desk")
    tp = task_of(stranger)
    assert tp is not None
    assert web.post(outcome_url(tp), {"outcome": "reached"}).status_code == 404
    assert "Nothing to do today." in web.get("/today/").text
    assert task_of(stranger).status == "planned" and count(StaffContact) == 0


def test_an_sms_touchpoint_is_not_a_task(make, web, login_as):
    texted = newcomer(make, sms_consent=True)
    run_engine(0)  # the welcome SMS
    sms = db.session.scalar(select(Touchpoint).where(Touchpoint.member_id == texted.id))
    assert (sms.channel, sms.status) == ("sms", "planned")
    login_as("desk")
    assert web.post(f"/today/{sms.id}/outcome", {"outcome": "reached"}).status_code == 404
    assert web.post("/today/2147483647/outcome", {"outcome": "reached"}).status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"outcome": "party"}, "Outcome: Choose what came of the contact: reached, no answer, booked a session, "
                           "renewed or declined."),
    ({}, "Outcome: Choose what came of the contact: reached, no answer, booked a session, renewed or declined."),
    ({"outcome": "reached", "note": "x" * 301}, "Note: Field cannot be longer than 300 characters."),
])
def test_bad_input_gets_a_message_naming_the_field(web, login_as, called, data, message):
    login_as("desk")
    response = web.post(outcome_url(task_of(called)), data)
    assert response.status_code == 422
    assert message in flashes(response)
    assert task_of(called).status == "planned" and count(StaffContact) == 0


def test_next_returns_to_the_card_but_never_off_the_site(web, login_as, called):
    login_as("desk")
    card = f"/members/{called.id}"
    response = web.post(outcome_url(task_of(called)), {"outcome": "declined", "next": card})
    assert response.status_code == 302 and response.location == card


def test_booked_a_session_opens_the_booking_picker_for_the_member(make, web, login_as, called):
    """Issue 16: "Booked a session" opens the week's sessions, each opening with the member in its booking form."""
    from tests.test_sessions import Gym, local

    session = Gym(make).session(local(clock.utcnow().date() + timedelta(days=1), 18))   # the called day's week
    login_as("desk")
    response = web.post(outcome_url(task_of(called)), {"outcome": "booked"})
    assert response.status_code == 302 and response.location == f"/sessions/?book={called.id}"
    week = web.get(response.location).text
    assert "Choose the session to book Nora Novice into." in week
    assert f'href="/sessions/{session.id}?book={called.id}"' in week
    page = web.get(f"/sessions/{session.id}?book={called.id}").text
    assert re.search(rf'name="member"[^>]*value="{called.id}"', page)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example/"])
def test_next_off_the_site_goes_to_today(web, login_as, called, target):
    login_as("desk")
    response = web.post(outcome_url(task_of(called)), {"outcome": "reached", "next": target})
    assert response.status_code == 302 and response.location == "/today/"


def test_a_get_of_the_outcome_address_goes_back_to_the_list(web, login_as, called):
    login_as("desk")
    response = web.get(outcome_url(task_of(called)))
    assert response.status_code == 302 and response.location == "/today/"


# --- the service's rules ----------------------------------------------------------------------------


def test_record_outcome_rules(make, called):
    desk = make.staff("desk")
    day = TODAY + timedelta(days=7)
    tp_id = task_of(called).id
    with pytest.raises(InvalidInput) as caught:
        tasks.record_outcome(desk, tp_id, "maybe", None, day)
    assert caught.value.field == "outcome"
    with pytest.raises(InvalidInput) as caught:
        tasks.record_outcome(desk, tp_id, "reached", "x" * 301, day)
    assert caught.value.field == "note"
    with pytest.raises(Conflict) as caught:
        tasks.record_outcome(desk, tp_id, "reached", None, day - timedelta(days=1))
    assert caught.value.field == "touchpoint_id"
    with pytest.raises(NotFound):
        tasks.record_outcome(make.staff("desk", club=make.club()), tp_id, "reached", None, day)
    db.session.rollback()
    with unit_of_work():
        tasks.record_outcome(desk, tp_id, "declined", "", day)
    with pytest.raises(Conflict) as caught:
        tasks.record_outcome(desk, tp_id, "reached", None, day)
    assert (caught.value.field, caught.value.code) == ("touchpoint_id", "already_done")
    db.session.rollback()
    assert count(StaffContact) == 1 and db.session.scalar(select(StaffContact.note)) is None


def test_contacts_and_touchpoints_of_a_member_newest_first(make, called):
    desk = make.staff("desk", name="Dana Desk")
    with unit_of_work():
        tasks.log_contact(desk, called, "no_answer", None)
    clock.set_now(clock.utcnow() + timedelta(hours=1))
    with unit_of_work():
        tasks.record_outcome(desk, task_of(called).id, "reached", "Fine", TODAY + timedelta(days=7))
    contacts = tasks.contacts_of(called.id)
    assert [(c.contact.outcome, c.staff_name) for c in contacts] == [("reached", "Dana Desk"),
                                                                     ("no_answer", "Dana Desk")]
    assert [tp.rule.key for tp in tasks.for_member(called.id)] == ["no_first_visit"]
    with pytest.raises(NotFound):
        tasks.log_contact(make.staff("desk", club=make.club()), called, "reached", None)


# --- the member card --------------------------------------------------------------------------------


def test_the_card_shows_the_stage_what_to_do_and_why(web, login_as, called):
    login_as("desk")
    card = web.get(f"/members/{called.id}")
    assert card.status_code == 200
    assert "Stage: adaptation" in card.text
    todo = re.search(r'<section class="card todo" id="todo">.*?</section>', card.text, re.S).group(0)
    assert "<strong>Call</strong>" in todo and "days since the start: 7" in todo
    assert f'name="next" value="/members/{called.id}"' in todo
    tp = task_of(called)
    response = web.post(outcome_url(tp), {"outcome": "reached", "note": "Comes Friday",
                                          "next": f"/members/{called.id}"})
    assert response.status_code == 302
    card = web.get(f"/members/{called.id}")
    assert 'id="todo"' not in card.text
    row = re.search(rf'<tr id="touchpoint-{tp.id}".*?</tr>', card.text, re.S).group(0)
    assert "First-visit call" in row and "staff task" in row and "done" in row and "Reached" in row
    assert "days since the start: 7" in row and "visits this membership: 0" in row
    contacts = re.search(r'<section class="card" id="contacts">.*?</section>', card.text, re.S).group(0)
    assert "Reached" in contacts and "Comes Friday" in contacts


def test_the_card_shows_a_skipped_touchpoint_with_its_reason_and_dates_as_dates(make, web, login_as):
    member = newcomer(make)
    membership = db.session.scalar(select(Membership).where(Membership.member_id == member.id))
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY + timedelta(days=1), TODAY + timedelta(days=3),
                     TODAY)
    run_engine(4)  # back from the freeze, but no consent to the SMS that says welcome back
    login_as("desk")
    card = web.get(f"/members/{member.id}")
    row = re.search(r'<tr id="touchpoint-\d+" data-status="skipped">.*?</tr>', card.text, re.S).group(0)
    assert "Freeze ending" in row and "skipped: no SMS consent" in row
    assert "freeze ended on: Mar 13, 2026" in row


def test_a_contact_logged_from_the_card(make, web, login_as):
    member = newcomer(make)
    staff = login_as("desk")
    response = web.post(f"/members/{member.id}/contacts", {"outcome": "no_answer", "note": "Voicemail"})
    assert response.status_code == 302 and response.location == f"/members/{member.id}"
    contact = db.session.scalar(select(StaffContact))
    assert (contact.member_id, contact.staff_id, contact.touchpoint_id, contact.outcome) == (
        member.id, staff.id, None, "no_answer")
    assert count(AuditEvent, AuditEvent.entity == "staff_contact") == 1
    card = web.get(f"/members/{member.id}")
    assert "Contact logged." in flashes(card) and "Voicemail" in card.text
    refused = web.post(f"/members/{member.id}/contacts", {"outcome": "party"})
    assert refused.status_code == 422 and "outcome" in field_errors(refused)
    assert count(StaffContact) == 1
    assert web.get(f"/members/{member.id}/contacts").status_code == 302


def test_a_contact_with_another_clubs_member_is_not_found(make, web, login_as):
    stranger = make.member(club=make.club())
    login_as("desk")
    assert web.post(f"/members/{stranger.id}/contacts", {"outcome": "reached"}).status_code == 404
    assert count(StaffContact) == 0
