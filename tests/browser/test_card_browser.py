"""The member card in a real browser: its panels (SMS, audit trail) and forms load when their section opens.

Runs on SQLite and on PostgreSQL against a live server with CSRF on (tests/browser/conftest.py)."""
import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Message
from tests.browser.test_desk_browser import log_in
from tests.conftest import NOW


def test_the_card_loads_its_panels_and_forms_when_opened(page: Page, make):
    desk = make.desk()
    member = make.member(first_name="Pia", last_name="Panel", sms_consent=True)
    make.membership(member, make.plan(name="Monthly", duration_days=30))
    with unit_of_work():
        for n in range(12):
            db.session.add(Message(club_id=member.club_id, member_id=member.id, idempotency_key=f"panel:{n}",
                                   to_phone=member.phone, body=f"Hello {n}", locale="en", encoding="GSM-7",
                                   segments=1, status="delivered", due_at=NOW - timedelta(days=n),
                                   sent_at=NOW - timedelta(days=n), created_at=NOW - timedelta(days=n)))
            db.session.add(AuditEvent(club_id=member.club_id, staff_id=desk.id, member_id=member.id,
                                      action="update_member", entity="member", entity_id=member.id,
                                      after={"note": f"change {n}"}, created_at=NOW - timedelta(days=n)))
    member_id, email = member.id, desk.email

    log_in(page, email)
    page.goto(f"/members/{member_id}")
    expect(page.locator("h1")).to_contain_text("Pia Panel")
    # Closed panels hold only their link: nothing of them was read for the card.
    expect(page.locator("tr[id^=sms-]")).to_have_count(0)
    expect(page.locator("ul.audit li")).to_have_count(0)

    page.locator("#messages-panel > summary").click()
    expect(page.locator("#messages-panel tr[id^=sms-]")).to_have_count(10)
    expect(page.locator("#messages-panel tr[id^=sms-]").first).to_have_attribute("data-status", "delivered")

    page.locator("#audit-panel > summary").click()
    expect(page.locator("#audit-panel ul.audit li")).to_have_count(14)   # 12 changes, the registration and the sale

    page.locator("#consent-panel > summary").click()
    expect(page.locator("#consent-history tr")).to_have_count(1)

    # A form arrives when its section opens, with its CSRF token: logging a contact works from it.
    page.locator("details[data-form=contact] > summary").click()
    outcome = page.locator("details[data-form=contact] select[name=outcome]")
    expect(outcome).to_be_visible()
    expect(outcome).to_be_focused()
    outcome.select_option("reached")
    page.locator("details[data-form=contact] input[name=note]").fill("Asked about yoga")
    page.locator("#log-contact").click()
    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    expect(page.locator("div.flash.success")).to_have_text("Contact logged.")
    expect(page.locator("#contacts")).to_contain_text("Asked about yoga")


def test_a_leads_card_opens_with_the_sale_form_loaded(page: Page, make):
    make.plan(name="Monthly", duration_days=30)
    lead = make.member(first_name="Lea", last_name="Lead")
    lead_id, email = lead.id, make.desk().email

    log_in(page, email)
    page.goto(f"/members/{lead_id}")
    # The sale is what a lead's card is for: its section is open and its form loads without a click.
    expect(page.locator("details[data-form=sell]")).to_have_attribute("open", "")
    expect(page.locator("details[data-form=sell] select[name=plan_id]")).to_be_visible()
