"""The member's answers on their page: the link's open counted by the page's own post (never by the GET), a renewal
offer's "call me" / "at the desk" as a call at the top of Today, SMS stopped and restarted from the page (the
consent history says member_page, the outbox stops), the member's language; each safe to repeat, each refusal
writing nothing."""
import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import AuditEvent, ConsentEvent, Member, MemberPageEvent, Message, Touchpoint
from clubcrm.services import member_links, member_page, member_page_answers, tasks
from clubcrm.sms import dispatch as dispatching
from tests.concurrency import at_once
from tests.conftest import NOW, TODAY

FLASH = re.compile(r'<p class="flash ([^"]*)" role="status">(.*?)</p>', re.S)


@pytest.fixture(autouse=True)
def page_view(monkeypatch):
    """The page's view (clubcrm.services.member_page.view, another part of issue 18): the real one once it is
    written, until then the one field these parts read."""
    real = member_page.view

    def view(found):
        try:
            return real(found)
        except NotImplementedError:
            offer = found.touchpoint is not None and found.touchpoint.tool.key == "renewal_offer"
            return SimpleNamespace(renewal_offer=offer)

    monkeypatch.setattr(member_page, "view", view)


def touchpoint(member, membership, rule_key="renewal_45", stage="pre_renewal") -> Touchpoint:
    """A sent SMS touchpoint of RULE_KEY on MEMBERSHIP."""
    with unit_of_work():
        rule = next(r for r in engine.club_rules(member.club) if r.key == rule_key)
        point = Touchpoint(club_id=member.club_id, member_id=member.id, membership_id=membership.id,
                           tool_id=rule.tool_id, rule_id=rule.id, stage=stage, channel="sms", status="sent",
                           due_on=TODAY, planned_at=NOW, facts={})
        db.session.add(point)
    return point


def link(member, point) -> str:
    """A token for POINT's SMS, as the dispatcher makes it when it sends."""
    with unit_of_work():
        message = Message(club_id=member.club_id, member_id=member.id, touchpoint_id=point.id,
                          idempotency_key=f"test:link:{point.id}", to_phone=member.phone, body="Renew now",
                          locale="en", encoding="GSM-7", segments=1, status="sent", due_at=NOW, created_at=NOW,
                          sent_at=NOW)
        db.session.add(message)
        db.session.flush()
        token = member_links.mint(message, NOW)
    return token


@pytest.fixture
def offered(make):
    """A member with SMS consent whose renewal offer's SMS carried a link: (member, touchpoint, token)."""
    member = make.member(sms_consent=True, first_name="Rita", last_name="Renewer")
    membership = make.membership(member)
    point = touchpoint(member, membership)
    return member, point, link(member, point)


def post(web, token, action="", **form):
    response = web.post(f"/m/{token}/{action}", data=form)
    db.session.expire_all()
    return response


def page(web, token):
    response = web.get(f"/m/{token}")
    assert response.status_code == 200
    return response


def flashes(response) -> list[tuple[str, str]]:
    return [(category, html.unescape(text.strip())) for category, text in FLASH.findall(response.text)]


def events(member, kind=None) -> list[str]:
    db.session.expire_all()
    query = select(MemberPageEvent.kind).where(MemberPageEvent.member_id == member.id).order_by(MemberPageEvent.id)
    if kind is not None:
        query = query.where(MemberPageEvent.kind == kind)
    return list(db.session.scalars(query))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def tasks_of(member) -> list[Touchpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(Touchpoint).where(Touchpoint.member_id == member.id,
                                                             Touchpoint.channel == "task")))


def consents(member) -> list[tuple[bool, str]]:
    """The member's consent history since the desk recorded their consent (or did not)."""
    db.session.expire_all()
    return [(e.granted, e.source) for e in db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member.id).order_by(ConsentEvent.id))
        if e.source != "desk"]


# --- the open ------------------------------------------------------------------------------------


def test_a_get_of_the_page_records_no_open(web, offered):
    member, point, token = offered
    body = page(web, token).text
    page(web, token)     # a link previewer, then the member's browser without its script
    assert fresh(Touchpoint, point.id).opened_at is None and events(member) == []
    # The page carries what its script posts: the viewed address and a CSRF token, and no inline script.
    assert f'data-viewed="/m/{token}/viewed"' in body and 'data-csrf="' in body
    assert re.search(r'<script src="/static/js/member_page\.js[^"]*" defer></script>', body)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_the_viewed_post_records_the_open_once(web, offered, frozen_clock):
    member, point, token = offered
    assert post(web, token, "viewed").status_code == 204
    frozen_clock.set_now(NOW + timedelta(minutes=5))
    assert post(web, token, "viewed").status_code == 204
    assert fresh(Touchpoint, point.id).opened_at == NOW
    assert events(member) == ["opened"]


def test_viewed_posts_at_once_record_one_open(app, web, offered):
    member, point, token = offered
    db.session.commit()
    codes = at_once(app, 4, lambda: app.test_client().post(f"/m/{token}/viewed").status_code)
    assert codes == [204] * 4
    assert fresh(Touchpoint, point.id).opened_at == NOW and events(member) == ["opened"]


def test_a_viewed_post_with_a_dead_token_records_nothing(web, offered):
    member, point, _token = offered
    assert post(web, "A" * 11, "viewed").status_code == 404
    assert fresh(Touchpoint, point.id).opened_at is None and events(member) == []


# --- the renewal offer's answer --------------------------------------------------------------------


def test_call_me_puts_a_task_at_the_top_of_today_and_the_answer_on_the_touchpoint(web, make, login_as, offered):
    member, point, token = offered
    # Another open task, overdue since yesterday: before this change it came first.
    other = make.member(first_name="Otto", last_name="Overdue")
    with unit_of_work():
        rule = next(r for r in engine.club_rules(other.club) if r.key == "no_first_visit")
        membership = make.membership(other)
        db.session.add(Touchpoint(club_id=other.club_id, member_id=other.id, membership_id=membership.id,
                                  tool_id=rule.tool_id, rule_id=rule.id, stage="adaptation", channel="task",
                                  status="planned", task_kind="call_back", due_on=TODAY - timedelta(days=1)))
    body = page(web, token).text
    assert 'name="answer" value="call_me"' in body and "Call me about renewing" in body
    response = post(web, token, "renewal", answer="call_me")
    assert response.status_code == 302 and response.location.endswith(f"/m/{token}")
    assert ("success", "Thank you — the club will call you about renewing.") in flashes(page(web, token))
    again = post(web, token, "renewal", answer="call_me")     # a double tap
    assert again.status_code == 302
    touched = fresh(Touchpoint, point.id)
    assert (touched.answer, touched.answered_at) == ("call_me", NOW)
    [task] = tasks_of(member)
    assert (task.status, task.task_kind, task.rule.key, task.membership_id, task.due_on) == (
        "planned", "call_me", "member_replied", point.membership_id, TODAY)
    assert events(member) == ["call_me"]
    assert "You asked the club to call you about renewing." in page(web, token).text
    # Today: the member's call first, saying what they chose.
    club = member.club
    listed = tasks.today(club, TODAY)
    assert [t.touchpoint.id for t in listed][0] == task.id and len(listed) == 2
    login_as("desk")
    today = web.get("/today/").text
    rows = re.findall(r'<tr id="task-(\d+)"', today)
    assert rows[0] == str(task.id) and len(rows) == 2
    row = today[today.index(f'id="task-{task.id}"'):today.index(f'id="task-{rows[1]}"')]
    assert "Rita Renewer" in row and "Asked to be called about renewing" in row
    assert "answer on their page" in html.unescape(row) and "asked" in row.split(">")[0]


def test_a_changed_answer_replaces_the_first_and_the_open_task_says_it(web, offered):
    member, point, token = offered
    post(web, token, "renewal", answer="call_me")
    post(web, token, "renewal", answer="at_desk")
    assert ("success", "Thank you — the club will have your renewal ready at the desk.") in flashes(page(web, token))
    assert fresh(Touchpoint, point.id).answer == "at_desk"
    [task] = tasks_of(member)
    assert task.task_kind == "at_desk"
    assert events(member) == ["call_me", "at_desk"]


def test_an_answer_changed_after_staff_closed_the_call_is_a_new_call_on_today(web, make, offered, frozen_clock):
    """The member said "at the desk", the desk called and closed the task; later the member asks to be called
    after all: that request is news for staff, a new open task, not a change to a closed one."""
    member, point, token = offered
    post(web, token, "renewal", answer="at_desk")
    [first] = tasks_of(member)
    with unit_of_work():
        tasks.record_outcome(make.desk(), first.id, "reached", "will come on Friday", TODAY)
    frozen_clock.set_now(NOW + timedelta(hours=3))
    post(web, token, "renewal", answer="call_me")
    post(web, token, "renewal", answer="call_me")               # a double tap: still one new task
    done, new = sorted(tasks_of(member), key=lambda t: t.id)
    assert (done.id, done.status, done.task_kind) == (first.id, "done", "at_desk")
    assert (new.status, new.task_kind, new.rule.key, new.due_on) == ("planned", "call_me", "member_replied", TODAY)
    assert [t.touchpoint.id for t in tasks.today(member.club, TODAY)][0] == new.id
    # Changing their mind again while the new call is open changes that call, as with the first one.
    frozen_clock.set_now(NOW + timedelta(hours=4))
    post(web, token, "renewal", answer="at_desk")
    assert [(t.status, t.task_kind) for t in sorted(tasks_of(member), key=lambda t: t.id)] == [
        ("done", "at_desk"), ("planned", "at_desk")]
    assert events(member) == ["at_desk", "call_me", "at_desk"]


def test_answers_tapped_at_once_make_one_task(app, web, offered):
    member, point, token = offered
    db.session.commit()
    codes = at_once(app, 4, lambda: app.test_client().post(f"/m/{token}/renewal",
                                                           data={"answer": "call_me"}).status_code)
    assert codes == [302] * 4
    assert len(tasks_of(member)) == 1 and events(member) == ["call_me"]


def test_only_a_renewal_offer_takes_an_answer(web, make):
    member = make.member(sms_consent=True)
    membership = make.membership(member)
    point = touchpoint(member, membership, rule_key="no_first_visit", stage="adaptation")
    token = link(member, point)
    assert 'name="answer"' not in page(web, token).text
    post(web, token, "renewal", answer="call_me")
    assert flashes(page(web, token)) == [
        ("error", "This link is not about renewing your membership; please ask the club.")]
    assert fresh(Touchpoint, point.id).answer is None and tasks_of(member) == [] and events(member) == []


# --- SMS on and off ------------------------------------------------------------------------------


def queue(member, body="See you soon") -> Message:
    with unit_of_work():
        message = Message(club_id=member.club_id, member_id=member.id, idempotency_key=f"test:{body}",
                          to_phone=member.phone, body=body, locale="en", encoding="GSM-7", segments=1,
                          status="queued", due_at=NOW, created_at=NOW)
        db.session.add(message)
    return message


def test_stop_from_the_page_is_in_the_consent_history_and_stops_the_outbox(web, offered, twilio):
    member, _point, token = offered
    body = page(web, token).text
    assert "You get SMS from the club." in body and 'name="sms" value="stop"' in body
    queued = queue(member)
    post(web, token, "sms", sms="stop")
    after = page(web, token)
    assert ("success", "You will get no more SMS from the club.") in flashes(after)
    assert "You stopped SMS from the club." in after.text and 'name="sms" value="start"' in after.text
    post(web, token, "sms", sms="stop")           # a second tap changes nothing
    assert fresh(Member, member.id).sms_opted_out_at == NOW
    assert consents(member) == [(False, "member_page")]
    assert events(member) == ["sms_stop"]
    assert count(AuditEvent, AuditEvent.member_id == member.id, AuditEvent.staff_id.is_(None),
                 AuditEvent.action == "update") == 1
    fake, settings, client = twilio
    report = dispatching.dispatch(NOW, settings, client)
    assert (report.sent, report.skipped, fake.received) == (0, 1, [])
    sent = fresh(Message, queued.id)
    assert (sent.status, sent.skip_reason) == ("skipped", "opted_out")


def test_start_from_the_page_restores_what_stop_stopped(web, offered, twilio, frozen_clock):
    member, _point, token = offered
    post(web, token, "sms", sms="stop")
    frozen_clock.set_now(NOW + timedelta(minutes=1))
    post(web, token, "sms", sms="start")
    assert ("success", "You will get SMS from the club again.") in flashes(page(web, token))
    post(web, token, "sms", sms="start")
    stored = fresh(Member, member.id)
    assert stored.sms_opted_out_at is None and stored.sms_consent
    assert consents(member) == [(False, "member_page"), (True, "member_page")]
    assert events(member) == ["sms_stop", "sms_start"]
    queue(member, "Back again")
    fake, settings, client = twilio
    assert dispatching.dispatch(NOW + timedelta(minutes=1), settings, client).sent == 1
    assert [m.body for m in fake.received] == ["Back again"]


def test_start_from_the_page_gives_no_consent_never_given(web, make):
    member = make.member(sms_consent=False)
    point = touchpoint(member, make.membership(member))
    token = link(member, point)
    body = page(web, token).text
    assert "The club sends you no SMS." in body and 'name="sms"' not in body
    post(web, token, "sms", sms="start")
    assert flashes(page(web, token)) == [
        ("error", "The club has no consent from you for SMS; please ask at the desk.")]
    assert consents(member) == [] and events(member) == []
    stored = fresh(Member, member.id)
    assert (stored.sms_consent, stored.sms_opted_out_at) == (False, None)


def test_the_consent_history_names_the_member_page(web, login_as, offered):
    member, _point, token = offered
    post(web, token, "sms", sms="stop")
    login_as("desk")
    card = web.get(f"/members/{member.id}/consents")
    assert card.status_code == 200 and "on the member's page" in html.unescape(card.text)


# --- the language --------------------------------------------------------------------------------


def test_a_language_change_shows_the_page_in_german_next_time(web, offered):
    member, _point, token = offered
    body = page(web, token).text
    assert '<html lang="en">' in body and "Language" in body
    assert all(re.search(f'value="{code}"[^>]*lang="{code}"[^>]*>{name}</button>', body) for code, name in (
        ("en", "English"), ("de", "Deutsch"), ("ru", "Русский"), ("fi", "Suomi"), ("sl", "Slovenščina"),
        ("sk", "Slovenčina")))
    post(web, token, "language", locale="de")
    german = page(web, token).text
    assert '<html lang="de">' in german and "Sprache" in german and "Nachrichten" in german
    post(web, token, "language", locale="de")
    assert fresh(Member, member.id).locale == "de"
    assert events(member) == ["language"]
    [audit] = db.session.scalars(select(AuditEvent).where(AuditEvent.member_id == member.id,
                                                          AuditEvent.action == "update"))
    assert (audit.staff_id, audit.action, audit.before, audit.after) == (None, "update", {"locale": "en"},
                                                                           {"locale": "de"})


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("action, field, value, message", [
    ("renewal", "answer", "renew_now", "Choose to be called or to renew at the desk."),
    ("renewal", "answer", "", "Choose to be called or to renew at the desk."),
    ("sms", "sms", "STOP ALL", "Choose to stop or to restart SMS."),
    ("sms", "sms", "x" * 5000, "Choose to stop or to restart SMS."),
    ("language", "locale", "xx", "Choose one of the languages shown."),
    ("language", "locale", "de-DE", "Choose one of the languages shown."),
])
def test_an_invalid_value_is_a_clear_refusal_that_writes_nothing(web, offered, action, field, value, message):
    member, point, token = offered
    response = post(web, token, action, **{field: value})
    assert response.status_code == 302
    assert flashes(page(web, token)) == [("error", message)]
    stored = fresh(Member, member.id)
    assert (stored.locale, stored.sms_opted_out_at) == ("en", None)
    assert fresh(Touchpoint, point.id).answer is None
    assert events(member) == [] and consents(member) == [] and tasks_of(member) == []
    assert count(AuditEvent, AuditEvent.member_id == member.id, AuditEvent.action == "update") == 0


def test_the_services_refuse_with_the_field_named(ctx, offered):
    member, point, token = offered
    found = member_links.find(token)
    for call, field in ((lambda: member_page_answers.answer_renewal(found, "later"), "answer"),
                        (lambda: member_page_answers.set_sms(found, None), "sms"),
                        (lambda: member_page_answers.set_language(found, "EN"), "locale")):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert refused.value.field == field
    assert (fresh(Touchpoint, point.id).answer, events(member)) == (None, [])


def test_the_call_is_made_also_where_sms_reply_tasks_are_off(web, offered):
    """The member was told the club will call: a club's switch for free-text SMS replies does not silence it."""
    member, _point, token = offered
    with unit_of_work():
        rule = next(r for r in engine.club_rules(member.club) if r.key == "member_replied")
        rule.enabled = False
    post(web, token, "renewal", answer="call_me")
    [task] = tasks_of(member)
    assert (task.task_kind, task.status) == ("call_me", "planned")
