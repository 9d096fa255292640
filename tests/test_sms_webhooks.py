"""Twilio's webhooks: signed status callbacks move messages forward only; inbound STOP/START/HELP, YES to an
invitation and any other reply; unsigned or wrongly signed requests are refused and change nothing; a signed request
replayed (the same MessageSid, or the same sid and status) changes nothing and gets the same answer."""
import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Booking, Club, ConsentEvent, Member, Message, Touchpoint
from clubcrm.services import lead_cycles, sessions
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.client import close_client, make_client, settings_from
from clubcrm.sms.inbound import fold
from tests.lifecycle import no_holdouts, run_pass
from tests.conftest import NOW
from twilio.request_validator import RequestValidator

TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://crm.example.com"
STATUS_URL = "/webhooks/twilio/status"
INBOUND_URL = "/webhooks/twilio/inbound"
CLUB_NUMBER = "+15005550006"


@pytest.fixture
def hooks(app, web):
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_URL=PUBLIC)
    return web


def signed(web, path, params, token=TOKEN, signature=None):
    signature = signature or RequestValidator(token).compute_signature(PUBLIC + path, params)
    response = web.post(path, data=params, headers={"X-Twilio-Signature": signature})
    db.session.expire_all()
    return response


def status(web, sid, value, error_code=None, **kw):
    params = {"MessageSid": sid, "MessageStatus": value, "AccountSid": "AC" + "0" * 32}
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return signed(web, STATUS_URL, params, **kw)


_SIDS = itertools.count(1)


def new_sid() -> str:
    """A fresh MessageSid, as each SMS a member sends has its own."""
    return f"SM{next(_SIDS):032x}"


def inbound(web, member_or_phone, body, sid=None, **kw):
    sid = sid or new_sid()
    phone = member_or_phone if isinstance(member_or_phone, str) else member_or_phone.phone
    return signed(web, INBOUND_URL, {"MessageSid": sid, "From": phone, "To": CLUB_NUMBER, "Body": body}, **kw)


def sent_message(member, sid="SM" + "a" * 32, status="sent") -> Message:
    with unit_of_work():
        message = Message(club_id=member.club_id, member_id=member.id, idempotency_key=f"test:{sid}",
                          to_phone=member.phone, body="Hello", locale="en", encoding="GSM-7", segments=1,
                          status=status, due_at=NOW, created_at=NOW, sent_at=NOW, twilio_sid=sid, attempts=1)
        db.session.add(message)
    return message


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def reply_of(response) -> str:
    return response.get_data(as_text=True)


# --- status callbacks ---------------------------------------------------------------------------


def test_a_signed_status_callback_moves_a_message_forward_only(make, hooks):
    message = sent_message(make.member(sms_consent=True))
    response = status(hooks, message.twilio_sid, "delivered")
    assert response.status_code == 204
    got = fresh(Message, message.id)
    assert (got.status, got.delivered_at) == ("delivered", NOW)
    # Twilio repeats a callback, and a late "sent" arrives after "delivered": nothing changes.
    assert status(hooks, message.twilio_sid, "delivered").status_code == 204
    assert status(hooks, message.twilio_sid, "sent").status_code == 204
    assert status(hooks, message.twilio_sid, "undelivered", 30003).status_code == 204
    got = fresh(Message, message.id)
    assert (got.status, got.delivered_at, got.error_code) == ("delivered", NOW, None)


def test_an_undelivered_callback_keeps_its_error_code(make, hooks):
    member = make.member(sms_consent=True)
    message = sent_message(member)
    assert status(hooks, message.twilio_sid, "undelivered", 30005).status_code == 204
    got = fresh(Message, message.id)
    assert (got.status, got.error_code, got.member.sms_opted_out_at) == ("undelivered", 30005, None)


def test_a_21610_callback_opts_the_member_out(make, hooks):
    member = make.member(sms_consent=True)
    message = sent_message(member)
    assert status(hooks, message.twilio_sid, "failed", 21610).status_code == 204
    got = fresh(Message, message.id)
    assert (got.status, got.error_code) == ("failed", 21610)
    assert fresh(Member, member.id).sms_opted_out_at == NOW


def test_an_unknown_sid_changes_nothing(make, hooks):
    message = sent_message(make.member(sms_consent=True))
    assert status(hooks, "SM" + "f" * 32, "delivered").status_code == 204
    assert fresh(Message, message.id).status == "sent"


@pytest.mark.parametrize("how", ["unsigned", "wrong token", "garbage", "no settings"])
def test_unsigned_or_wrongly_signed_requests_are_refused_and_change_nothing(make, hooks, app, how):
    member = make.member(sms_consent=True)
    message = sent_message(member)
    kw = {"unsigned": {"signature": None}, "wrong token": {"token": "f" * 32}, "garbage": {"signature": "x=="},
          "no settings": {}}[how]
    if how == "no settings":
        app.config["PUBLIC_URL"] = None
    if how == "unsigned":
        answers = [hooks.post(STATUS_URL, data={"MessageSid": message.twilio_sid, "MessageStatus": "delivered"}),
                   hooks.post(INBOUND_URL, data={"From": member.phone, "Body": "STOP"})]
    else:
        answers = [status(hooks, message.twilio_sid, "delivered", **kw), inbound(hooks, member, "STOP", **kw)]
    assert [r.status_code for r in answers] == [403, 403]
    assert fresh(Message, message.id).status == "sent"
    assert fresh(Member, member.id).sms_opted_out_at is None


def test_a_signature_for_other_params_is_refused(make, hooks):
    message = sent_message(make.member(sms_consent=True))
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + STATUS_URL, {"MessageSid": message.twilio_sid,
                                                                                "MessageStatus": "failed"})
    response = status(hooks, message.twilio_sid, "delivered", signature=signature)
    assert response.status_code == 403 and fresh(Message, message.id).status == "sent"


# --- inbound ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, word", [(" stop ", "stop"), ("Kyllä!", "kylla"), ("ДА", "да"), ("áno.", "ano")])
def test_keywords_are_trimmed_case_folded_and_accent_folded(text, word):
    assert fold(text) == word


def test_stop_opts_out_every_member_with_the_number_and_dispatch_skips_them(make, hooks, fake_twilio):
    member = make.member(sms_consent=True)
    other_club = make.member(club=make.club(), phone=member.phone, sms_consent=True)
    response = inbound(hooks, member, "  Stop ")
    assert response.status_code == 200 and "<Message>" not in reply_of(response)
    assert fresh(Member, member.id).sms_opted_out_at == NOW
    assert fresh(Member, other_club.id).sms_opted_out_at == NOW
    with unit_of_work():
        message = Message(club_id=member.club_id, member_id=member.id, idempotency_key="test:after-stop",
                          to_phone=member.phone, body="News", locale="en", encoding="GSM-7", segments=1,
                          status="queued", due_at=NOW, created_at=NOW)
        db.session.add(message)
    settings = settings_from(fake_twilio.config())
    client = make_client(settings)
    try:
        dispatching.dispatch(NOW, settings, client)
    finally:
        close_client(client)
    got = fresh(Message, message.id)
    assert (got.status, got.skip_reason, fake_twilio.received) == ("skipped", "opted_out", [])
    # START opts back in; consent itself was never touched.
    inbound(hooks, member, "start")
    got = fresh(Member, member.id)
    assert (got.sms_opted_out_at, got.sms_consent) == (None, True)


def test_help_replies_with_the_clubs_name_and_phone_in_the_members_language(make, hooks):
    member = make.member(locale="de")
    make.membership(member)
    with unit_of_work():
        db.session.execute(update(Club).values(phone="+358 9 123 4567"))
    body = reply_of(inbound(hooks, member, "help"))
    club = fresh(Club, member.club_id)
    assert "<Message>" in body and club.name in body and "+358 9 123 4567" in body and "Fragen" in body


def invited(make, locale="en", capacity=4):
    """A member in adaptation with an SMS trial invitation to a real session."""
    member = make.member(sms_consent=True, locale=locale)
    make.membership(member, make.plan(duration_days=365), today=NOW.date() - timedelta(days=3))
    no_holdouts(member.club_id)
    trainer = make.staff("desk", is_trainer=True)
    with unit_of_work():
        session = sessions.schedule(trainer, member.club, {
            "kind": "trial", "title": "Open trial", "starts_at": datetime(2026, 3, 12, 18),
            "ends_at": datetime(2026, 3, 12, 19), "capacity": capacity, "trainer_id": trainer.id})
    run_pass(NOW)
    point = db.session.scalar(select(Touchpoint).where(Touchpoint.member_id == member.id,
                                                       Touchpoint.session_id.is_not(None)))
    assert (point.channel, point.session_id) == ("sms", session.id)
    return member, session


def booking_of(member, session):
    db.session.expire_all()
    return db.session.scalar(select(Booking).where(Booking.member_id == member.id,
                                                   Booking.session_id == session.id))


def test_yes_books_the_offered_session_and_confirms_it(make, hooks):
    member, session = invited(make)
    body = reply_of(inbound(hooks, member, "Yes"))
    booking = booking_of(member, session)
    assert (booking.status, booking.source) == ("booked", "sms")
    # 18:00 in Helsinki, in English.
    assert "booked" in body and "Open trial" in body and "6:00" in body
    again = reply_of(inbound(hooks, member, "YES", sid="SM" + "2" * 32))
    assert "already" in again and booking_of(member, session).status == "booked"


def test_da_books_for_a_russian_member_and_replies_in_russian(make, hooks):
    member, session = invited(make, locale="ru")
    body = reply_of(inbound(hooks, member, "ДА"))
    assert booking_of(member, session).status == "booked"
    assert "Вы записаны" in body and "18:00" in body


def test_yes_to_a_full_session_goes_on_the_waitlist(make, hooks):
    member, session = invited(make, capacity=1)
    with unit_of_work():
        sessions.book(None, db.session.get(type(session), session.id), make.member())
    body = reply_of(inbound(hooks, member, "yes"))
    assert booking_of(member, session).status == "waitlist" and "waitlist" in body


def test_yes_without_an_invitation_books_nothing_and_says_so(make, hooks):
    member = make.member(sms_consent=True)
    make.membership(member)
    body = reply_of(inbound(hooks, member, "yes"))
    assert "Sorry" in body
    assert db.session.scalar(select(Booking).where(Booking.member_id == member.id)) is None


def test_any_other_reply_is_a_task_on_today(make, hooks, login_as):
    member = make.member(sms_consent=True, first_name="Replying")
    make.membership(member)
    sid = new_sid()
    response = inbound(hooks, member, "Can I bring a friend?", sid=sid)
    assert response.status_code == 200 and "<Message>" not in reply_of(response)
    inbound(hooks, member, "Can I bring a friend?", sid=sid)   # Twilio retried the same message
    [task] = db.session.scalars(select(Touchpoint).where(Touchpoint.member_id == member.id,
                                                         Touchpoint.channel == "task")).all()
    assert (task.rule.key, task.status, task.facts) == ("member_replied", "planned",
                                                        {"reply": "Can I bring a friend?"})
    login_as("desk")
    page = hooks.get("/today/").get_data(as_text=True)
    assert "Replying" in page and "Can I bring a friend?" in page


def test_a_reply_from_someone_without_a_membership_or_a_lead_cycle_or_an_unknown_number_does_nothing(make, hooks):
    lost = make.member()
    with unit_of_work():
        lead_cycles.mark_lost(make.staff("manager"), lost, "price")
    assert "<Message>" not in reply_of(inbound(hooks, lost, "hello?"))
    assert "<Message>" not in reply_of(inbound(hooks, "+358409999999", "hello?"))
    assert db.session.scalar(select(Touchpoint)) is None


def test_a_reply_from_a_lead_is_a_task_on_the_leads_cycle(make, hooks):
    lead = make.member()
    assert "<Message>" not in reply_of(inbound(hooks, lead, "call me please"))
    [task] = db.session.scalars(select(Touchpoint)).all()
    cycle = lead_cycles.open_cycle_of(lead.id)
    assert (task.lead_cycle_id, task.membership_id, task.stage, task.channel) == (cycle.id, None, "lead", "task")
    assert task.facts == {"reply": "call me please"} and task.rule.key == "member_replied"


# --- replays ------------------------------------------------------------------------------------


def consent_events(member):
    """The member's consent history by SMS (the factory's own grant at the desk left out), oldest first."""
    db.session.expire_all()
    return [(e.granted, e.source) for e in db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member.id, ConsentEvent.source != "desk")
        .order_by(ConsentEvent.id))]


def test_a_replayed_stop_after_a_start_changes_nothing(make, hooks):
    member = make.member(sms_consent=True)
    stop, start = new_sid(), new_sid()
    assert inbound(hooks, member, "STOP", sid=stop).status_code == 200
    assert fresh(Member, member.id).sms_opted_out_at == NOW
    assert inbound(hooks, member, "START", sid=start).status_code == 200
    assert fresh(Member, member.id).sms_opted_out_at is None
    # Someone who captured the signed STOP sends it again: answered like the first time, acted on never.
    replay = inbound(hooks, member, "STOP", sid=stop)
    assert replay.status_code == 200 and "<Message>" not in reply_of(replay)
    got = fresh(Member, member.id)
    assert (got.sms_opted_out_at, got.sms_consent) == (None, True)
    assert consent_events(member) == [(False, "sms"), (True, "sms")]
    # ...and a replayed START after a new STOP does not opt them back in.
    inbound(hooks, member, "stop")
    inbound(hooks, member, "START", sid=start)
    assert fresh(Member, member.id).sms_opted_out_at == NOW
    assert consent_events(member) == [(False, "sms"), (True, "sms"), (False, "sms")]


def test_a_replayed_yes_books_nothing_twice_and_answers_the_same(make, hooks):
    member, session = invited(make)
    sid = new_sid()
    first = reply_of(inbound(hooks, member, "YES", sid=sid))
    booking = booking_of(member, session)
    assert booking.status == "booked" and "booked" in first
    # The member cancels at the desk; a replay of their YES must not book them again.
    with unit_of_work():
        sessions.cancel_booking(None, db.session.get(Booking, booking.id))
    assert booking_of(member, session).status != "booked"
    again = inbound(hooks, member, "YES", sid=sid)
    assert again.status_code == 200 and reply_of(again) == first
    assert booking_of(member, session).status != "booked"
    assert len(db.session.scalars(select(Booking).where(Booking.member_id == member.id)).all()) == 1


def test_a_replayed_status_callback_changes_nothing(make, hooks):
    member = make.member(sms_consent=True)
    message = sent_message(member)
    # The carrier says the member opted out; they then send START.
    assert status(hooks, message.twilio_sid, "failed", 21610).status_code == 204
    assert fresh(Member, member.id).sms_opted_out_at == NOW
    inbound(hooks, member, "START")
    assert fresh(Member, member.id).sms_opted_out_at is None
    # The callback replayed: still opted in, still one withdrawal in the history.
    assert status(hooks, message.twilio_sid, "failed", 21610).status_code == 204
    assert fresh(Member, member.id).sms_opted_out_at is None
    assert consent_events(member) == [(False, "sms"), (True, "sms")]
    got = fresh(Message, message.id)
    assert (got.status, got.error_code) == ("failed", 21610)


def test_an_inbound_request_without_a_message_sid_is_not_acted_on(make, hooks):
    member = make.member(sms_consent=True)
    params = {"From": member.phone, "To": CLUB_NUMBER, "Body": "STOP"}
    response = signed(hooks, INBOUND_URL, params)
    assert response.status_code == 200 and "<Message>" not in reply_of(response)
    assert fresh(Member, member.id).sms_opted_out_at is None


def test_the_same_message_delivered_many_times_at_once_is_acted_on_once(make, hooks, app):
    from clubcrm.models.sms import InboundMessage
    from tests.concurrency import at_once

    member, session = invited(make)
    params = {"MessageSid": new_sid(), "From": member.phone, "To": CLUB_NUMBER, "Body": "YES"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + INBOUND_URL, params)

    def deliver():
        answer = app.test_client().post(INBOUND_URL, data=params, headers={"X-Twilio-Signature": signature})
        return answer.status_code, answer.get_data(as_text=True)

    answers = at_once(app, 6, deliver)
    # Every delivery answered 200 with the one reply (never a 500 from the unique sid), one booking, one row.
    assert {status for status, _ in answers} == {200} and len({text for _, text in answers}) == 1
    assert "booked" in answers[0][1]
    assert booking_of(member, session).status == "booked"
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
