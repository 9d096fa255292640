"""Consent that proves the number: SMS consent ticked on the website form for a known member's phone is a request;
one confirmation SMS (the member's language, waking hours, one per 48 hours) asks the phone, and only its YES within
48 hours grants consent. A new person's form consent counts at once. Real API requests and signed Twilio webhooks."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import ConsentEvent, Member, Message
from clubcrm.models.consent import ConsentRequest
from clubcrm.models.sms import may_receive
from tests.conftest import NOW
from tests.test_api import issue, post
from tests.test_sms_webhooks import PUBLIC, TOKEN, inbound, reply_of


@pytest.fixture
def hooks(app, web):
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_URL=PUBLIC)
    return web


@pytest.fixture
def token(make):
    return issue(make.staff("desk"))


def web_lead(web, token, phone, **more):
    """The website form sent with SMS consent ticked."""
    return post(web, "/api/v1/leads", {"name": "Someone Typing", "phone": phone, "consent": True, **more}, token)


def state(member):
    db.session.expire_all()
    got = db.session.get(Member, member.id)
    events = [(e.granted, e.source) for e in db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member.id).order_by(ConsentEvent.id))]
    texts = db.session.scalars(select(Message).where(Message.member_id == member.id).order_by(Message.id)).all()
    return got, events, texts


def test_a_known_members_phone_gets_one_confirmation_sms_and_no_consent(hooks, token, make):
    member = make.member(locale="de", phone="+358401110001")
    answer = web_lead(hooks, token, "040 111 0001")
    assert answer.status_code == 200 and answer.json == {"member_id": member.id, "duplicate": True, "new_cycle": False}
    got, events, [text] = state(member)
    assert (got.sms_consent, events) == (False, [])
    # In the member's language, to their number, due now (10:00 in Helsinki is waking time).
    assert (text.status, text.to_phone, text.locale, text.due_at) == ("queued", "+358401110001", "de", NOW)
    assert "Antworte innerhalb von 48 Stunden mit JA" in text.body and text.body.endswith("STOP zum Abmelden.")
    [ask] = db.session.scalars(select(ConsentRequest)).all()
    assert (ask.status, ask.requested_at, ask.expires_at, ask.message_id) == (
        "pending", NOW, NOW + timedelta(hours=48), text.id)
    # The outbox may send it although the member has not agreed to SMS: asking is the point.
    assert may_receive(got, text)
    # The form sent again within 48 hours: still the one SMS.
    clock.set_now(NOW + timedelta(hours=47))
    assert web_lead(hooks, token, "+358 40 111 0001").status_code == 200
    got, events, texts = state(member)
    assert (got.sms_consent, events, len(texts)) == (False, [], 1)


def test_yes_within_48_hours_grants_consent_with_its_history(hooks, token, make):
    member = make.member(locale="fi", phone="+358401110002")
    web_lead(hooks, token, "040 111 0002")
    clock.set_now(NOW + timedelta(hours=47, minutes=59))
    reply = reply_of(inbound(hooks, member, "Kyllä"))
    assert "Kiitos" in reply
    got, events, texts = state(member)
    assert (got.sms_consent, got.sms_consent_source) == (True, "sms_confirmation")
    assert got.sms_consent_at == NOW + timedelta(hours=47, minutes=59)
    assert events == [(True, "sms_confirmation")] and len(texts) == 1
    assert db.session.scalar(select(ConsentRequest.status)) == "confirmed"
    # A second YES is an ordinary YES again (it books the session the lead's invitation offered: none here, so it says
    # booking did not work, as to a member), and grants nothing twice.
    assert "Valitettavasti varaus ei onnistunut" in reply_of(inbound(hooks, member, "yes"))
    assert state(member)[1] == [(True, "sms_confirmation")]


def test_yes_after_48_hours_grants_nothing(hooks, token, make):
    member = make.member(phone="+358401110003")
    make.membership(member)
    web_lead(hooks, token, "040 111 0003")
    clock.set_now(NOW + timedelta(hours=48))
    reply = reply_of(inbound(hooks, member, "YES"))
    got, events, texts = state(member)
    assert (got.sms_consent, events, len(texts)) == (False, [], 1)
    # YES keeps its own meaning: it tried to book the latest invitation (there is none).
    assert "Sorry" in reply
    # The request has lapsed: a new form asks again, with a new SMS.
    assert web_lead(hooks, token, "040 111 0003").status_code == 200
    assert len(state(member)[2]) == 2


def test_stop_declines_a_pending_request(hooks, token, make):
    member = make.member(phone="+358401110004")
    web_lead(hooks, token, "040 111 0004")
    inbound(hooks, member, "STOP")
    inbound(hooks, member, "YES")
    got, events, _texts = state(member)
    assert got.sms_consent is False and events == [(False, "sms")] and got.sms_opted_out_at == NOW
    assert db.session.scalar(select(ConsentRequest.status)) == "declined"


def test_a_new_person_is_consented_at_once_and_gets_no_confirmation(hooks, token, make):
    answer = web_lead(hooks, token, "040 111 0005")
    assert answer.status_code == 201 and answer.json["member"]["sms_consent"] is True
    member = db.session.get(Member, answer.json["member"]["id"])
    got, events, texts = state(member)
    assert (got.sms_consent_source, events, texts) == ("web_form", [(True, "web_form")], [])
    assert db.session.scalar(select(ConsentRequest)) is None


def test_the_confirmation_waits_for_waking_hours(hooks, token, make):
    member = make.member(phone="+358401110006")
    late = datetime(2026, 3, 10, 22, 30, tzinfo=ZoneInfo("Europe/Helsinki"))
    clock.set_now(late)
    web_lead(hooks, token, "040 111 0006")
    [text] = state(member)[2]
    assert text.due_at == datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))


def test_a_member_who_already_agreed_or_opted_out_gets_no_confirmation(hooks, token, make):
    agreed = make.member(phone="+358401110007", sms_consent=True)
    stopped = make.member(phone="+358401110008")
    inbound(hooks, stopped, "STOP")
    for phone in ("040 111 0007", "040 111 0008"):
        assert web_lead(hooks, token, phone).status_code == 200
    assert state(agreed)[2] == [] and state(stopped)[2] == []
    assert state(stopped)[0].sms_consent is False


def test_only_a_confirmation_may_go_to_a_member_who_has_not_agreed(hooks, token, make):
    member = make.member(phone="+358401110009")
    web_lead(hooks, token, "040 111 0009")
    got, _events, [confirmation] = state(member)
    other = Message(idempotency_key="staff:1:abc", member_id=member.id)
    assert may_receive(got, confirmation) and not may_receive(got, other)
    inbound(hooks, member, "STOP")
    assert not may_receive(state(member)[0], confirmation)


def test_five_forms_sent_at_once_queue_one_confirmation(hooks, token, make, app):
    from tests.concurrency import at_once
    from tests.test_api import bearer

    member = make.member(phone="+358401110011")

    def send():
        answer = app.test_client().post("/api/v1/leads", headers=bearer(token),
                                        json={"name": "Someone", "phone": "040 111 0011", "consent": True})
        return answer.status_code

    assert at_once(app, 5, send) == [200] * 5
    got, events, texts = state(member)
    assert (got.sms_consent, events, len(texts)) == (False, [], 1)
    assert len(db.session.scalars(select(ConsentRequest)).all()) == 1


def test_the_confirmation_is_sent_by_dispatch_and_nothing_else_is(hooks, token, make, fake_twilio):
    """Through the normal outbox: dispatch sends the confirmation to a member who has not agreed yet."""
    from clubcrm.db import unit_of_work
    from clubcrm.sms import dispatch as dispatching
    from clubcrm.sms.client import close_client, make_client, settings_from

    member = make.member(phone="+358401110010", locale="sk")
    web_lead(hooks, token, "040 111 0010")
    with unit_of_work():
        db.session.add(Message(club_id=member.club_id, member_id=member.id, idempotency_key="test:news",
                               to_phone=member.phone, body="News", locale="en", encoding="GSM-7", segments=1,
                               status="queued", due_at=NOW, created_at=NOW))
    settings = settings_from(fake_twilio.config())
    client = make_client(settings)
    try:
        with unit_of_work():
            dispatching.dispatch(NOW, settings, client)
    finally:
        close_client(client)
    _got, _events, [confirmation, news] = state(member)
    assert (confirmation.status, news.status, news.skip_reason) == ("sent", "skipped", "opted_out")
    assert [m.body for m in fake_twilio.received] == [confirmation.body] and "ÁNO" in confirmation.body
