"""Member links in lifecycle SMS: a rule's {link} is queued masked (so the segments counted then are the segments
sent), the dispatcher makes the token when it hands the text to Twilio and sends the real link, which opens that
member's page within that touchpoint; staff screens and the export show the mask; no log line holds a token; where
the member page is off or there is no PUBLIC_URL the link sentence is left out."""
import html
import logging
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle.texts import DEFAULT_TEXTS
from clubcrm.models import Booking, Club, Member, MemberLink, MemberPageEvent, Message, Rule, Touchpoint
from clubcrm.services import member_links, sessions
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.segments import count
from tests.conftest import NOW, TODAY
from tests.fake_twilio import num_segments, rate_limited, server_error
from tests.lifecycle import no_holdouts, run_pass

PUBLIC = "https://crm.example.com"
MASKED = f"{PUBLIC}/m/{member_links.MASK}"
SENT_LINK = re.compile(re.escape(PUBLIC) + r"/m/([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")


@pytest.fixture
def twilio(twilio, app):
    """The shared fake Twilio and client, with the site's public address set (texts carry links)."""
    app.config.update(PUBLIC_URL=PUBLIC)
    return twilio


def dispatch(twilio, now=NOW):
    _fake, settings, client = twilio
    return dispatching.dispatch(now, settings, client)


def invited(make, locale="en", first_name="Anna") -> Message:
    """Run a lifecycle pass that plans only a trial session invitation for a new member; return its message."""
    member = make.member(first_name=first_name, sms_consent=True, locale=locale)
    make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=3))
    no_holdouts(member.club_id)
    trainer = make.staff("desk", is_trainer=True)
    with unit_of_work():
        db.session.execute(update(Rule).where(Rule.club_id == member.club_id, Rule.key != "trial_invite")
                           .values(enabled=False))
        sessions.schedule(trainer, member.club, {
            "kind": "trial", "title": "Open trial", "starts_at": datetime(2026, 3, 12, 18),
            "ends_at": datetime(2026, 3, 12, 19), "capacity": 4, "trainer_id": trainer.id})
    run_pass()
    [message] = db.session.scalars(select(Message).where(Message.member_id == member.id))
    return message


def fresh(message: Message) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message.id)


def token_in(body: str) -> str:
    [token] = SENT_LINK.findall(body)
    return token


@pytest.mark.parametrize("locale, encoding", [("en", "GSM-7"), ("ru", "UCS-2")])
def test_a_planned_invitation_carries_a_working_link_with_the_segments_it_was_queued_with(
        make, twilio, locale, encoding):
    message = invited(make, locale)
    assert MASKED in message.body and "{link}" not in message.body
    assert message.touchpoint_id is not None and message.locale == locale
    assert (message.encoding, message.segments) == (encoding, count(message.body).segments)
    assert db.session.scalar(select(MemberLink)) is None   # the token is made when it is sent

    assert dispatch(twilio).sent == 1
    [got] = twilio[0].received
    token = token_in(got.body)
    assert got.body == member_links.unmask(message.body, token) and member_links.MASK not in got.body
    sent = count(got.body)
    assert (sent.encoding, sent.segments, num_segments(got.body)) == (encoding, message.segments, message.segments)
    found = member_links.find(token)
    assert found is not None
    assert (found.member.id, found.touchpoint.id) == (message.member_id, message.touchpoint_id)
    stored = fresh(message)
    assert stored.status == "sent" and stored.body == message.body and token not in stored.body


def test_the_link_a_member_got_opens_their_page_counts_one_open_and_books_the_offered_session(make, twilio, client):
    message = invited(make, first_name="Ines")
    dispatch(twilio)
    [got] = twilio[0].received
    page_path = f"/m/{token_in(got.body)}"
    page = client.get(page_path)
    assert page.status_code == 200 and "Ines" in page.get_data(as_text=True)
    assert "Open trial" in page.get_data(as_text=True)
    point = db.session.get(Touchpoint, message.touchpoint_id)
    assert point.opened_at is None   # the GET alone (a link previewer's) counts no open
    assert client.post(f"{page_path}/viewed").status_code == 204
    assert client.post(f"{page_path}/viewed").status_code == 204
    db.session.expire_all()
    assert db.session.get(Touchpoint, message.touchpoint_id).opened_at == NOW
    assert db.session.scalars(select(MemberPageEvent.kind).where(
        MemberPageEvent.member_id == message.member_id)).all() == ["opened"]
    for _ in range(2):   # a double tap
        assert client.post(f"{page_path}/book/{point.session_id}").status_code == 302
    assert db.session.scalars(select(Booking.status).where(Booking.member_id == message.member_id)).all() == [
        "booked"]


def test_the_default_invitation_ends_with_its_link_sentence(make, app):
    app.config.update(PUBLIC_URL=PUBLIC + "/")
    message = invited(make, "de", first_name="Jan")
    assert message.body.startswith("Hallo Jan,")
    assert f"Oder hier buchen: {MASKED} Antworte STOP" in message.body   # the opt-out hint of a first SMS follows


@pytest.mark.parametrize("why", ["member page off", "no PUBLIC_URL"])
def test_without_links_the_text_is_sent_without_its_link_sentence(make, app, why):
    app.config.update(PUBLIC_URL=None if why == "no PUBLIC_URL" else PUBLIC)
    if why == "member page off":
        club = make.default_club
        with unit_of_work():
            db.session.execute(update(Club).where(Club.id == club.id).values(member_page_enabled=False))
    message = invited(make, "en")
    assert "/m/" not in message.body and "{link}" not in message.body and "Book here" not in message.body
    assert message.body.startswith("Hi Anna, as a new member") and "Reply YES to book it. Reply STOP" in message.body
    assert message.segments == count(message.body).segments == 1


def test_a_retry_makes_a_new_token_and_the_old_one_stops_working(make, twilio):
    fake = twilio[0]
    fake.respond_next(rate_limited())
    message = invited(make)
    assert dispatch(twilio).retried == 1
    first = token_in(fake.received[0].body)
    assert member_links.find(first) is not None   # stored before Twilio was called
    assert dispatch(twilio, NOW + timedelta(minutes=5)).sent == 1
    second = token_in(fake.received[1].body)
    assert second != first and member_links.find(first) is None
    assert member_links.find(second).touchpoint.id == message.touchpoint_id
    assert db.session.scalar(select(MemberLink.message_id)) == message.id


def test_a_text_twilio_took_despite_an_error_is_found_by_its_masked_body_and_keeps_its_token(make, twilio):
    fake = twilio[0]
    fake.respond_next(server_error(took_it=True))
    message = invited(make)
    assert dispatch(twilio).retried == 1
    assert dispatch(twilio, NOW + timedelta(minutes=5)).sent == 0   # Twilio holds it: recorded, not sent again
    [taken] = fake.received
    assert (fresh(message).status, fresh(message).twilio_sid) == ("sent", taken.sid)
    assert member_links.find(token_in(taken.body)).member.id == message.member_id


def test_a_row_left_sending_with_a_link_is_settled_by_its_masked_body(make, twilio):
    message = invited(make)
    assert dispatch(twilio).sent == 1
    [taken] = twilio[0].received
    with unit_of_work():   # as if the dispatcher died after Twilio took it, before recording the sid
        db.session.execute(update(Message).where(Message.id == message.id).values(
            status="sending", twilio_sid=None, claimed_at=NOW - timedelta(hours=1), sent_at=NOW - timedelta(hours=1)))
    assert dispatch(twilio, NOW + timedelta(minutes=1)).reconciled == 1
    assert (fresh(message).status, fresh(message).twilio_sid) == ("sent", taken.sid)
    assert len(twilio[0].received) == 1


def test_no_log_line_of_a_dispatch_holds_the_token(make, twilio, caplog):
    message = invited(make)
    caplog.set_level(logging.DEBUG)
    for name in ("twilio", "twilio.http_client", "urllib3", "clubcrm", "clubcrm.sms"):
        caplog.set_level(logging.DEBUG, logger=name)
    assert dispatch(twilio).sent == 1
    token = token_in(twilio[0].received[0].body)
    assert caplog.records   # the SDK and the HTTP client did log the request
    assert token not in caplog.text
    assert all(token not in str(record.args) for record in caplog.records)
    assert fresh(message).status == "sent"


def test_staff_see_the_link_masked_on_the_outbox_the_card_and_the_export(make, twilio, web, login_as):
    message = invited(make)
    dispatch(twilio)
    token = token_in(twilio[0].received[0].body)
    login_as("manager")
    for url in ("/outbox/", f"/members/{message.member_id}/messages",
                f"/data/members/{message.member_id}/export.json"):
        response = web.get(url)
        assert response.status_code == 200, url
        page = html.unescape(response.get_data(as_text=True))
        assert MASKED in page and token not in page, url


def test_the_rule_editor_counts_the_link_at_its_length_or_leaves_its_sentence_out(make, app, web, login_as):
    no_holdouts(make.default_club.id)
    rule = db.session.scalar(select(Rule).where(Rule.club_id == make.default_club.id, Rule.key == "trial_invite"))
    with unit_of_work():
        rule = db.session.get(Rule, rule.id)
        # 140 septets without the link sentence: one segment; with the link (37 characters) two.
        rule.texts = {**rule.texts, "en": "a" * 140 + " Book: {link}"}
    login_as("manager")

    def cost() -> str:
        page = html.unescape(web.get(f"/settings/lifecycle/rules/{rule.id}").get_data(as_text=True))
        part = page[page.index('id="text_en-cost"'):]
        return part[:part.index("</p>")]

    assert "SMS segments: 1 (GSM-7)" in cost()   # no PUBLIC_URL: the sentence is left out
    app.config.update(PUBLIC_URL=PUBLIC)
    page = html.unescape(web.get(f"/settings/lifecycle/rules/{rule.id}").get_data(as_text=True))
    assert "SMS segments: 2 (GSM-7)" in cost() and "{link}" in page and "is left out" in page
    assert count("a" * 140 + " Book: " + MASKED).segments == 2


def test_every_rule_text_may_hold_a_link(make, web, login_as):
    no_holdouts(make.default_club.id)
    rule = db.session.scalar(select(Rule).where(Rule.club_id == make.default_club.id, Rule.key == "welcome"))
    login_as("manager")
    from tests.test_lifecycle_settings import rule_form   # the form as the editor posts it
    response = web.post(f"/settings/lifecycle/rules/{rule.id}", rule_form(rule, text_en="Hi {first_name}! See: {link}"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rule, rule.id).texts["en"] == "Hi {first_name}! See: {link}"


@pytest.mark.parametrize("key", ["trial_invite", "class_invite", "lead_trial_invite", "renewal_45", "renewal_14",
                                 "win_back_7", "package_expiring", "low_balance", "keep_in_touch", "season_autumn"])
def test_the_offering_tools_default_texts_end_with_a_link_in_every_language(key):
    for locale, text in DEFAULT_TEXTS[key].items():
        assert text.count("{link}") == 1, (key, locale)
        shorter = member_links.without_link_sentence(text)
        assert "{link}" not in shorter and shorter.endswith((".", "!", "?", "{club}")), (key, locale)


@pytest.mark.parametrize("text, left", [
    ("Hi Anna. Book here: {link} See you soon!", "Hi Anna. See you soon!"),
    ("Hi Anna, a free session awaits. Book here: {link}", "Hi Anna, a free session awaits."),
    ("Book here: {link}", ""),
    ("Hi Anna!\nBook here: {link}", "Hi Anna!"),
    ("Hi Anna? Your offer: {link}. Terveisin {club}", "Hi Anna? Terveisin {club}"),
    ("No link here.", "No link here."),
])
def test_without_link_sentence(text, left):
    assert member_links.without_link_sentence(text) == left


def test_a_member_erased_after_the_send_has_no_working_link(make, twilio):
    from clubcrm.services import gdpr

    message = invited(make)
    dispatch(twilio)
    token = token_in(twilio[0].received[0].body)
    member = db.session.get(Member, message.member_id)
    with unit_of_work():
        gdpr.erase(make.staff("manager"), member, "ERASE")
    assert member_links.find(token) is None
