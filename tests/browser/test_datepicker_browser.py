"""The date fields in a real browser (issue 16, item 10): in the reader's language, not the browser's (this Chromium
speaks en-US), with the calendar of static/js/datepicker.js under them, at the desk's 1280x800."""
import re
from datetime import UTC, date, datetime

from playwright.sync_api import Page, expect
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import ClubSession, Member
from tests.browser.test_desk_browser import PASSWORD, log_in
from tests.conftest import NOW


def speak(page: Page, locale: str) -> None:
    page.locator("form.lang select[name=locale]").select_option(locale)
    expect(page.locator("html")).to_have_attribute("lang", locale)


def test_a_german_desk_picks_a_birth_date_from_the_calendar(page: Page, make):
    desk = make.staff("desk", password=PASSWORD)
    page.clock.set_fixed_time(NOW)   # the browser's today is the server's (tests pin it)
    log_in(page, desk.email)
    speak(page, "de")
    page.goto("/members/new")
    birth = page.get_by_label("Geburtsdatum")
    expect(birth).to_have_attribute("type", "text")
    expect(birth).to_have_attribute("placeholder", "dd.MM.yyyy")

    birth.click()
    picker = page.locator(".datepicker")
    expect(picker).to_be_visible()
    expect(picker.locator(".datepicker-title")).to_have_text("März 2026")
    expect(picker.locator("th")).to_have_text(["M", "D", "M", "D", "F", "S", "S"])   # Monday first, in German
    expect(picker.locator(".datepicker-day.today")).to_have_text("10")
    field_box, picker_box = birth.bounding_box(), picker.bounding_box()
    assert picker_box["y"] >= field_box["y"] + field_box["height"] - 1   # below the field, not over it
    assert picker_box["x"] + picker_box["width"] <= 1280

    picker.get_by_role("button", name="Dienstag, 3. März 2026").click()
    expect(birth).to_have_value("03.03.2026")
    expect(picker).to_be_hidden()
    expect(birth).to_be_focused()

    birth.click()                                          # opens again, on the month of the day it holds
    expect(picker.locator(".datepicker-day.chosen")).to_have_text("3")
    picker.get_by_role("button", name="März 2025").click()   # a year back: birth dates lie far behind
    expect(picker.locator(".datepicker-title")).to_have_text("März 2025")
    picker.locator(".datepicker-day", has_text="17").click()
    expect(birth).to_have_value("17.03.2025")

    page.get_by_label("Vorname").fill("Greta")
    page.get_by_label("Nachname").fill("Geboren")
    page.locator("main form button.primary").click()
    expect(page).to_have_url(re.compile(r"/members/\d+$"))
    db.session.expire_all()
    assert db.session.scalar(select(Member.birth_date).where(Member.first_name == "Greta")) == date(2025, 3, 17)


def test_typing_still_works_and_esc_closes_the_calendar(page: Page, make):
    desk = make.staff("desk", password=PASSWORD)
    page.clock.set_fixed_time(NOW)
    log_in(page, desk.email)
    speak(page, "de")
    page.goto("/members/new")
    birth = page.get_by_label("Geburtsdatum")
    picker = page.locator(".datepicker")
    birth.click()
    expect(picker).to_be_visible()
    birth.press("Escape")
    expect(picker).to_be_hidden()
    expect(birth).to_be_focused()
    birth.click()
    expect(picker).to_be_visible()
    birth.press_sequentially("7.3.1985")                   # the first key closes it: the fields below stay free
    expect(picker).to_be_hidden()
    expect(birth).to_have_value("7.3.1985")
    birth.press("ArrowDown")                               # the keyboard's way back in: the day typed, in its month
    expect(picker).to_be_visible()
    expect(picker.locator(".datepicker-title")).to_have_text("März 1985")
    expect(picker.locator(".datepicker-day.chosen")).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(birth).to_have_value("08.03.1985")
    expect(picker).to_be_hidden()


def test_a_session_start_keeps_its_time_when_a_day_is_picked_in_english(page: Page, make):
    manager = make.staff("manager", password=PASSWORD)
    page.clock.set_fixed_time(NOW)
    log_in(page, manager.email)
    page.goto("/sessions/new")
    starts = page.get_by_label("Starts at")
    expect(starts).to_have_attribute("placeholder", "M/d/yyyy HH:mm")
    starts.fill("3/17/2026 18:00")
    starts.click()
    picker = page.locator(".datepicker")
    expect(picker).to_be_visible()
    expect(picker.locator("th").first).to_have_text("S")   # English weeks start on Sunday
    picker.get_by_role("button", name="Thursday, March 19, 2026").click()
    expect(starts).to_have_value("3/19/2026 18:00")
    page.get_by_label("Ends at").fill("3/19/2026 19:00")
    page.get_by_label("Kind").select_option("event")   # an event needs no trainer
    page.get_by_label("Title").fill("Open evening")
    page.get_by_label("Places").fill("12")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".flash.success")).to_have_text("Session scheduled.")
    db.session.expire_all()
    started = db.session.scalar(select(ClubSession.starts_at))
    assert started.astimezone(UTC).replace(tzinfo=None) == datetime(2026, 3, 19, 16, 0)   # 18:00 in Helsinki
