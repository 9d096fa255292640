"""The outbox screen: managers see the club's SMS with their state and totals per day, and send a failed
(or, confirmed, an unknown) message again; the member card lists a member's SMS; the rule editor shows a
text's segments and cost."""
import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import AuditEvent, Club, Message, Rule
from tests.conftest import NOW, TODAY
from tests.web import field_errors, flashes

_seq = iter(range(1, 10**6))


def message(member, status="failed", created_at=NOW, **values) -> Message:
    """Add one SMS to MEMBER, committed."""
    with unit_of_work():
        row = Message(club_id=member.club_id, member_id=member.id, idempotency_key=f"test:{next(_seq)}",
                      to_phone=member.phone, body=values.pop("body", "Hello from the club"), locale="en",
                      encoding="GSM-7", segments=1, status=status, due_at=created_at, created_at=created_at,
                      **values)
        db.session.add(row)
    return row


def text(response) -> str:
    return html.unescape(response.text)


def test_the_outbox_lists_the_clubs_messages_newest_first_and_filters_by_status(make, web, login_as):
    anna, ben = make.member(first_name="Anna"), make.member(first_name="Ben")
    old = message(anna, "delivered", NOW - timedelta(hours=2), body="Old news")
    new = message(ben, "skipped", NOW - timedelta(hours=1), skip_reason="opted_out", body="Fresh news")
    stranger = make.member(club=make.club(name="Elsewhere"), first_name="Stranger")
    message(stranger, "failed", body="Not ours")
    login_as("manager")
    page = text(web.get("/outbox/"))
    assert "Fresh news" in page and "Old news" in page and "Not ours" not in page
    assert page.index(f'id="message-{new.id}"') < page.index(f'id="message-{old.id}"')
    assert f"/members/{anna.id}" in page and "not sent: the member opted out of SMS" in page
    only = text(web.get("/outbox/?status=delivered"))
    assert "Old news" in only and "Fresh news" not in only
    for bogus in ("bogus", "", "\u03a9", "x" * 5000):
        response = web.get("/outbox/", query_string={"status": bogus})
        assert response.status_code == 200 and "Fresh news" in text(response)


def test_the_banner_says_when_sms_is_not_configured(app, web, login_as):
    login_as("manager")
    assert "SMS not configured: messages wait in the outbox" in text(web.get("/outbox/"))
    app.config.update(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="token", TWILIO_FROM="+358401234567")
    assert "SMS not configured" not in text(web.get("/outbox/"))


def test_totals_count_per_club_local_day_and_status(make, ctx):
    from clubcrm.sms import screen

    member = make.member()
    message(member, "delivered", NOW)
    message(member, "delivered", NOW - timedelta(minutes=5))
    message(member, "failed", NOW)
    # 23:30 UTC on the 8th is 01:30 on the 9th in Helsinki.
    late = NOW.replace(day=8, hour=23, minute=30)
    message(member, "sent", late)
    message(member, "sent", NOW - timedelta(days=20))  # before the window
    club = db.session.get(Club, member.club_id)
    totals = screen.totals_per_day(club, days=14, now=NOW)
    assert len(totals) == 14 and totals[0].day == TODAY and totals[-1].day == TODAY - timedelta(days=13)
    by_day = {t.day: dict(t.counts) for t in totals if t.total}
    assert by_day == {TODAY: {"delivered": 2, "failed": 1}, TODAY - timedelta(days=1): {"sent": 1}}


def test_the_page_shows_totals_per_day(make, web, login_as):
    member = make.member()
    message(member, "delivered")
    message(member, "delivered")
    login_as("manager")
    page = web.get("/outbox/").text
    row = page[page.index(f'data-day="{TODAY.isoformat()}"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="num" data-status="delivered">2</td>' in row and '<td class="num total">2</td>' in row


def test_a_failed_message_is_queued_again(make, web, login_as):
    member = make.member(first_name="Retry")
    failed = message(member, "failed", NOW - timedelta(days=1), error_code=30008, error_message="Unknown error",
                     next_attempt_at=NOW, attempts=8)
    login_as("manager")
    page = text(web.get("/outbox/"))
    assert f'id="retry-{failed.id}"' in page and "failed: 30008 Unknown error" in page
    response = web.post(f"/outbox/{failed.id}/retry")
    assert response.status_code == 302
    db.session.refresh(failed)
    assert (failed.status, failed.due_at, failed.next_attempt_at, failed.error_code, failed.error_message,
            failed.attempts) == ("queued", NOW, None, None, None, 0)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "message"))
    assert (event.entity_id, event.action, event.before["status"]) == (failed.id, "retry_sms", "failed")
    assert "queued again" in flashes(web.get("/outbox/"))[0]
    again = web.post(f"/outbox/{failed.id}/retry")
    assert again.status_code == 409


def test_an_unknown_message_needs_the_managers_confirmation(make, web, login_as):
    member = make.member()
    unknown = message(member, "unknown", error_message="Interrupted while sending")
    login_as("manager")
    page = text(web.get("/outbox/"))
    assert "Twilio may already have sent this message" in page and f'id="confirm-{unknown.id}"' in page
    refused = web.post(f"/outbox/{unknown.id}/retry")
    assert refused.status_code == 422
    assert "Twilio may already have sent this message" in field_errors(refused)["confirm"][0]
    db.session.refresh(unknown)
    assert (unknown.status, unknown.error_message) == ("unknown", "Interrupted while sending")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "message")) == 0
    assert web.post(f"/outbox/{unknown.id}/retry", data={"confirm": "y"}).status_code == 302
    db.session.refresh(unknown)
    assert (unknown.status, unknown.error_message) == ("queued", None)


@pytest.mark.parametrize("status", ["queued", "sending", "sent", "delivered", "undelivered", "skipped"])
def test_only_failed_or_unknown_messages_can_be_retried(make, web, login_as, status):
    row = message(make.member(), status)
    login_as("manager")
    response = web.post(f"/outbox/{row.id}/retry", data={"confirm": "y"})
    assert response.status_code == 409
    db.session.refresh(row)
    assert row.status == status


def test_another_clubs_message_is_not_found(make, web, login_as):
    theirs = message(make.member(club=make.club(name="Elsewhere")), "failed")
    make.member()
    login_as("manager")
    assert web.post(f"/outbox/{theirs.id}/retry", data={"confirm": "y"}).status_code == 404
    assert web.post("/outbox/999999/retry").status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "failed"


def test_desk_staff_cannot_open_the_outbox(make, web, login_as):
    row = message(make.member(), "failed")
    login_as("desk")
    assert web.get("/outbox/").status_code == 403
    assert web.post(f"/outbox/{row.id}/retry").status_code == 403
    assert 'id="nav-outbox"' not in web.get("/today/").text
    db.session.refresh(row)
    assert row.status == "failed"


def test_managers_see_the_outbox_in_the_navigation(make, web, login_as):
    login_as("manager")
    assert 'id="nav-outbox"' in web.get("/today/").text


def test_the_member_card_lists_the_members_sms(make, web, login_as):
    member = make.member()
    message(member, "delivered", NOW - timedelta(days=1))
    message(member, "skipped", skip_reason="day_cap")
    for n in range(10):
        message(member, "sent", NOW - timedelta(days=30 + n))
    login_as("desk")
    # The card's SMS panel, fetched when opened.
    page = text(web.get(f"/members/{member.id}"))
    assert f'data-src="/members/{member.id}/messages?partial=1"' in page
    section = text(web.get(f"/members/{member.id}/messages?partial=1"))
    assert "not sent: daily SMS limit reached" in section and "delivered" in section
    assert section.count('id="sms-') == 10
    assert "Twilio says this number is invalid" not in page and "Opted out of SMS" not in page


def test_the_member_card_says_when_the_number_is_invalid_or_opted_out(make, web, login_as):
    member = make.member()
    with unit_of_work():
        member.phone_invalid_at = NOW
        member.sms_opted_out_at = NOW - timedelta(days=2)
    login_as("desk")
    page = text(web.get(f"/members/{member.id}"))
    assert "Twilio says this number is invalid" in page
    assert "Opted out of SMS on Mar 8, 2026" in page
    assert "No SMS yet." in text(web.get(f"/members/{member.id}/messages?partial=1"))


def test_the_rule_editor_shows_segments_and_cost_per_thousand(make, web, login_as):
    club = make.default_club
    with unit_of_work():
        engine.club_rules(club)
    rule = db.session.scalar(select(Rule).where(Rule.club_id == club.id, Rule.key == "welcome"))
    with unit_of_work():
        rule.texts = {**(rule.texts or {}), "ru": "Здравствуйте, {first_name}! " + "я" * 60, "en": "Hi {first_name}"}
    login_as("manager")
    page = text(web.get(f"/settings/lifecycle/rules/{rule.id}"))
    ru = page[page.index('id="text_ru-cost"'):]
    ru = ru[:ru.index("</p>")]
    assert "SMS segments: 2 (UCS-2)" in ru and "€160.00 per 1,000 members" in ru
    en = page[page.index('id="text_en-cost"'):]
    assert "SMS segments: 1 (GSM-7)" in en[:en.index("</p>")] and "€80.00" in en[:en.index("</p>")]
