"""Continuous scanning (issue 16, item 1): ten cards scanned in a row at the desk, with the keyboard only (a scanner
types the code and Enter), at the desk's two screen sizes; keys typed outside a field go to the search box; "/"
focuses it and Esc clears it."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.models import Visit
from tests.browser.test_desk_browser import log_in

SIZES = [{"width": 1280, "height": 800}, {"width": 800, "height": 1100}]


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "800x1100"])
def test_ten_cards_scanned_in_a_row_without_a_click(page: Page, make, size):
    page.set_viewport_size(size)
    desk = make.desk()
    people = []
    for n in range(10):
        member = make.member(first_name=f"Scan{n}", last_name="Member", card_code=f"SCAN{n:04d}")
        make.membership(member)
        people.append((member.id, member.card_code, member.full_name))
    log_in(page, desk.email)
    for member_id, code, name in people:
        page.keyboard.type(code)           # wherever the focus is: no click between scans
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
        expect(page.locator(".flash.success")).to_have_text(f"{name} checked in.")
        expect(page.locator("#q")).to_be_focused()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(func.distinct(Visit.member_id)))) == 10


def test_keys_typed_outside_a_field_go_to_the_search_box(page: Page, make):
    desk = make.desk()
    member = make.member(first_name="Outside", last_name="Field", card_code="OUT00001")
    make.membership(member)
    member_id = member.id
    log_in(page, desk.email)
    page.goto("/today/")
    page.evaluate("document.activeElement.blur()")       # nothing focused: a scan arrives all the same
    expect(page.locator("#q")).not_to_be_focused()
    page.keyboard.type("OUT00001")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    expect(page.locator(".flash.success")).to_have_text("Outside Field checked in.")


def test_slash_focuses_the_box_and_escape_clears_it(page: Page, make):
    desk = make.desk()
    log_in(page, desk.email)
    page.goto("/today/")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    box = page.locator("#q")
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    page.keyboard.type("Anna")
    expect(box).to_have_value("Anna")
    page.keyboard.press("Escape")
    expect(box).to_have_value("")


def test_a_form_with_errors_keeps_the_focus_for_its_fields(page: Page, make):
    """A refused form comes back with its errors: the scan box does not take the focus from the person fixing it."""
    desk = make.desk()
    log_in(page, desk.email)
    page.goto("/members/new")
    page.get_by_role("button", name=re.compile("Register|Save|Add")).first.press("Enter")
    expect(page.locator(".has-error").first).to_be_visible()
    expect(page.locator("#q")).not_to_be_focused()
