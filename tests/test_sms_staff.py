"""Staff write an SMS from the member card: it joins the outbox and goes out like the engine's."""
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Message
from clubcrm.sms.outbox import OPT_OUT_HINT
from tests.conftest import NOW
from tests.fake_twilio import dispatch_through
from tests.web import field_errors, flashes


def sms_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Message))


def test_a_desk_sms_is_queued_and_sent(make, web, login_as, fake_twilio):
    member = make.member(first_name="Lea", sms_consent=True, locale="fi")
    login_as("desk")
    response = web.post(f"/members/{member.id}/sms", {"body": "  Your towel is at the desk.  "})
    assert response.status_code == 302
    assert "The SMS is queued; it goes out in waking hours." in flashes(web.get(f"/members/{member.id}"))
    message = db.session.scalars(select(Message)).one()
    assert message.body == f"Your towel is at the desk. {OPT_OUT_HINT['fi']}"   # the first SMS: how to stop
    assert (message.status, message.to_phone, message.segments) == ("queued", member.phone, 1)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "message")) == "send_sms"
    # A double click sends once: the second click answers the first message.
    again = web.post(f"/members/{member.id}/sms", {"body": "Your towel is at the desk."})
    assert again.status_code == 302 and sms_count() == 1
    assert dispatch_through(fake_twilio, NOW).sent == 1
    assert [m.body for m in fake_twilio.received] == [message.body]
    clock.set_now(NOW + timedelta(minutes=2))
    assert web.post(f"/members/{member.id}/sms", {"body": "Second one"}).status_code == 302
    assert db.session.scalars(select(Message.body).order_by(Message.id.desc())).first() == "Second one"


def test_no_sms_without_consent_or_text(make, web, login_as):
    quiet = make.member(sms_consent=False)
    login_as("desk")
    response = web.post(f"/members/{quiet.id}/sms", {"body": "Hello"})
    assert response.status_code == 422
    assert field_errors(response) == {"body": ["This member has not agreed to SMS (or has no phone number)."]}
    texting = make.member(sms_consent=True)
    assert field_errors(web.post(f"/members/{texting.id}/sms", {"body": "   "})) == {"body": ["Write the message."]}
    assert field_errors(web.post(f"/members/{texting.id}/sms", {"body": "x" * 460})) == {
        "body": ["Keep the message to 459 characters."]}
    assert sms_count() == 0


def test_another_clubs_member_is_not_found(make, web, login_as):
    stranger = make.member(club=make.club(), sms_consent=True)
    login_as("desk")
    assert web.post(f"/members/{stranger.id}/sms", {"body": "Hi"}).status_code == 404
    assert sms_count() == 0
