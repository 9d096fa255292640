"""Refusals that lead somewhere, and the SMS counter, in a real browser at the desk's two screen sizes (issue 16):
a lead scanned at the desk is sold a membership and checked in in one flow; an expired member is let in once by a
manager approving with their password; the SMS form counts characters, segments and encoding while typing."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import Visit
from tests.browser.test_desk_browser import PASSWORD, log_in
from tests.conftest import TODAY

SIZES = [{"width": 1280, "height": 800}, {"width": 800, "height": 1100}]


def scan(page: Page, code: str) -> None:
    page.locator("#q").fill(code)
    page.locator("#q").press("Enter")


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "800x1100"])
def test_a_lead_scanned_at_the_desk_is_sold_a_membership_and_checked_in(page: Page, make, size):
    page.set_viewport_size(size)
    desk = make.desk()
    lead = make.member(first_name="Lena", last_name="Lead", card_code="LEAD0001")
    make.plan(name="Month", duration_days=30, price_minor=4900)
    lead_id = lead.id
    log_in(page, desk.email)
    scan(page, "LEAD0001")
    expect(page).to_have_url(re.compile(rf"/members/{lead_id}"))
    refusal = page.locator("#checkin-refused")
    expect(refusal).to_contain_text("Lena Lead has no membership.")
    expect(page.locator("#checkin")).to_have_count(0)
    refusal.get_by_role("link", name="Sell and check in").click()
    sell = page.locator("#section-sell")
    expect(sell).to_have_attribute("open", "")
    expect(sell.get_by_label("Check in now")).to_be_checked()
    sell.get_by_role("button", name="Sell").click()
    expect(page.locator(".flash.success")).to_contain_text("Lena Lead checked in.")
    expect(page.locator("#checkin")).to_be_visible()     # active now: the check-in button is back
    db.session.expire_all()
    assert db.session.scalar(select(Visit.source).where(Visit.member_id == lead_id)) == "desk"


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "800x1100"])
def test_a_manager_lets_an_expired_member_in_once_with_their_password(page: Page, make, size):
    page.set_viewport_size(size)
    desk = make.desk()
    manager = make.staff("manager", password=PASSWORD, name="Mona Manager")
    member = make.member(first_name="Emil", last_name="Expired")
    make.membership(member, today=TODAY - timedelta(days=60))
    member_id, manager_email = member.id, manager.email
    log_in(page, desk.email)
    page.goto(f"/members/{member_id}")
    expect(page.locator("#checkin-refused")).to_contain_text("The membership expired on")
    page.get_by_role("link", name="Let in once").click()
    form = page.locator("#section-override")
    expect(form).to_have_attribute("open", "")
    form.get_by_label("Reason").fill("Paid by bank transfer this morning")
    form.get_by_label("Manager's email").fill(manager_email)
    form.get_by_label("Manager's password").fill(PASSWORD)
    form.get_by_role("button", name="Approve and check in").click()
    expect(page.locator(".flash.success")).to_contain_text("Emil Expired let in once, approved by Mona Manager.")
    db.session.expire_all()
    assert db.session.scalar(select(Visit.source).where(Visit.member_id == member_id)) == "override"


def test_the_sms_form_counts_characters_segments_and_encoding_while_typing(page: Page, make):
    desk = make.desk()
    member = make.member(first_name="Sara", last_name="Sms", sms_consent=True, locale="en")
    member_id = member.id
    log_in(page, desk.email)
    page.goto(f"/members/{member_id}")
    page.locator("details[data-form=sms] > summary").click()
    body = page.locator("textarea[name=body]")
    count = page.locator("#sms-count")
    body.type("Hello")
    # 5 characters, and the first SMS's opt-out hint (" Reply STOP to opt out.", 23) counted in: 28 septets.
    expect(count).to_contain_text("Characters: 5 · SMS segments: 1 · GSM-7")
    body.fill("x" * 140)          # 140 + 23 = 163 septets: two segments
    body.type("y")
    expect(count).to_contain_text("Characters: 141 · SMS segments: 2 · GSM-7")
    body.fill("")
    body.type("Привет")          # Cyrillic: UCS-2
    expect(count).to_contain_text("Characters: 6 · SMS segments: 1 · UCS-2")
    expect(count).to_have_attribute("data-encoding", "UCS-2")
