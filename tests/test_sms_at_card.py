"""SMS at the card (issue 16, item 11): each message's text on the card, cancelling a queued message (audited),
the SMS settings section with a test message, and the outbox's "not configured" linking to it."""
import re

from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Message
from tests.conftest import NOW
from tests.fake_twilio import Reply, dispatch_through
from tests.web import field_errors, flashes


def queued(web, member, body="Your towel is at the desk."):
    assert web.post(f"/members/{member.id}/sms", {"body": body}).status_code == 302
    db.session.expire_all()
    return db.session.scalars(select(Message).where(Message.member_id == member.id)
                              .order_by(Message.id.desc())).first()


def test_the_cards_sms_list_shows_each_messages_text(make, web, login_as):
    member = make.member(sms_consent=True)
    login_as("desk")
    message = queued(web, member)
    panel = web.get(f"/members/{member.id}/messages?partial=1")
    row = re.search(rf'<tr id="sms-{message.id}".*?</tr>', panel.text, re.S).group(0)
    assert "Your towel is at the desk." in row


def test_a_queued_sms_is_cancelled_audited_and_never_sent(make, web, login_as, fake_twilio):
    member = make.member(sms_consent=True)
    desk = login_as("desk")
    message = queued(web, member)
    assert f'id="cancel-sms-{message.id}"' in web.get(f"/members/{member.id}/messages?partial=1").text
    response = web.post(f"/members/{member.id}/sms/{message.id}/cancel")
    assert response.status_code == 302
    assert "The SMS is cancelled: it will not be sent." in flashes(web.get(f"/members/{member.id}"))
    db.session.expire_all()
    message = db.session.get(Message, message.id)
    assert (message.status, message.skip_reason) == ("skipped", "cancelled")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cancel_sms"))
    assert (event.staff_id, event.entity_id, event.member_id) == (desk.id, message.id, member.id)
    assert "not sent: cancelled by staff" in web.get(f"/members/{member.id}/messages?partial=1").text
    assert dispatch_through(fake_twilio, NOW).sent == 0
    assert fake_twilio.received == []


def test_a_message_already_sent_cannot_be_cancelled(make, web, login_as, fake_twilio):
    member = make.member(sms_consent=True)
    login_as("desk")
    message = queued(web, member)
    assert dispatch_through(fake_twilio, NOW).sent == 1
    response = web.post(f"/members/{member.id}/sms/{message.id}/cancel")
    assert response.status_code == 302
    assert "This message is no longer waiting: it can no longer be cancelled." in flashes(
        web.get(f"/members/{member.id}"))
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "sent"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cancel_sms")) is None


def test_another_members_message_is_not_found_through_this_card(make, web, login_as):
    one, other = make.member(sms_consent=True), make.member(sms_consent=True)
    login_as("desk")
    message = queued(web, other)
    assert web.post(f"/members/{one.id}/sms/{message.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "queued"


def test_the_sms_form_counts_the_opt_out_hint_of_a_first_message(make, web, login_as):
    member = make.member(sms_consent=True, locale="en")
    login_as("desk")
    form = web.get(f"/members/{member.id}/forms/sms?partial=1").text
    assert 'data-sms-suffix=" Reply STOP to opt out."' in form and 'id="sms-count"' in form
    queued(web, member)
    again = web.get(f"/members/{member.id}/forms/sms?partial=1").text
    assert 'data-sms-suffix=""' in again


def test_settings_say_sms_is_not_configured_and_the_outbox_links_there(web, login_as):
    login_as("manager")
    page = web.get("/settings/")
    assert re.search(r'id="sms-status" data-configured="0"', page.text)
    assert "SMS not configured: messages wait in the outbox." in page.text
    outbox = web.get("/outbox/")
    assert re.search(r'<a href="/settings/#sms" id="sms-settings">', outbox.text)
    refused = web.post("/settings/sms/test", {"phone": "+358401234567"})
    assert refused.status_code == 422
    assert field_errors(refused) == {"phone": ["SMS is not configured on this installation: nothing can be sent."]}


def test_a_test_sms_goes_out_at_once_to_a_staff_phone(app, web, login_as, fake_twilio):
    app.config.update(fake_twilio.config())
    manager = login_as("manager")
    page = web.get("/settings/")
    assert 'data-configured="1"' in page.text and fake_twilio.config()["TWILIO_FROM"] in page.text
    response = web.post("/settings/sms/test", {"phone": "040 123 4567"})
    assert response.status_code == 302, field_errors(response)
    [sent] = fake_twilio.received
    assert sent.to == "+358401234567" and "test message" in sent.body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test_sms"))
    assert event.staff_id == manager.id and event.after["to"] == "+358401234567"
    assert any("Test SMS accepted by Twilio" in text for text in flashes(web.get("/settings/")))


def test_a_refused_test_sms_says_what_twilio_answered(app, web, login_as, fake_twilio):
    app.config.update(fake_twilio.config())
    login_as("manager")
    fake_twilio.respond_next(Reply("error", code=21211, http_status=400))
    response = web.post("/settings/sms/test", {"phone": "+358401234567"})
    assert response.status_code == 422
    [message] = field_errors(response)["phone"]
    assert message.startswith("Twilio refused the test message: 21211")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test_sms")) is None
    assert field_errors(web.post("/settings/sms/test", {"phone": "not a phone"})) == {
        "phone": ["This is not a phone number we can read."]}
