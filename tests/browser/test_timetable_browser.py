"""The timetable in a real browser (issue 16): a manager schedules a weekly class with a room and books a member by
name through the booking form's live search, at the desk's two screen sizes."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Booking, ClubSession
from clubcrm.services import sessions
from tests.browser.test_desk_browser import PASSWORD, log_in

SIZES = [{"width": 1280, "height": 800}, {"width": 800, "height": 1100}]


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "800x1100"])
def test_a_manager_creates_a_weekly_class_and_books_a_member_by_name(page: Page, make, size):
    page.set_viewport_size(size)
    manager = make.staff("manager", password=PASSWORD)
    trainer = make.staff("desk", name="Tina Trainer", is_trainer=True)
    member = make.member(first_name="Agnes", last_name="Bookwell")
    make.membership(member)
    make.member(first_name="Agda", last_name="Other")
    trainer_id, member_id = trainer.id, member.id
    log_in(page, manager.email)
    page.goto("/sessions/new")
    page.get_by_label("Kind").select_option("class")
    page.get_by_label("Trainer").select_option(str(trainer_id))
    page.get_by_label("Title").fill("Evening spinning")
    page.get_by_label("Starts at").fill("2026-03-17T18:00")
    page.get_by_label("Ends at").fill("2026-03-17T19:00")
    page.get_by_label("Places").fill("12")
    page.get_by_label("Room").fill("Studio 2")
    page.get_by_label("Every week until (empty: once)").fill("2026-04-07")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".flash.success")).to_have_text("Session scheduled.")
    slot = page.locator("a.slot", has_text="Evening spinning")
    expect(slot).to_have_count(1)
    expect(slot).to_contain_text("Studio 2")
    page.get_by_role("link", name=re.compile("Next week")).click()
    expect(page.locator("a.slot", has_text="Evening spinning")).to_have_count(1)    # weekly: the next one too
    page.locator("a.slot", has_text="Evening spinning").click()
    expect(page.locator("#series")).to_have_text("every week")
    page.get_by_label("Name, card code, phone or member id").type("Agnes")
    choice = page.locator("#found button", has_text="Agnes Bookwell")
    expect(choice).to_have_count(1)
    expect(page.locator("#found button", has_text="Agda Other")).to_have_count(0)
    choice.click()
    expect(page.locator(".flash.success")).to_have_text("Agnes Bookwell is booked.")
    expect(page.locator("#bookings")).to_contain_text("Agnes Bookwell")
    db.session.expire_all()
    assert db.session.scalar(select(Booking.member_id)) == member_id
    assert len(db.session.scalars(select(ClubSession.id)).all()) == 4


def test_a_name_typed_before_the_live_search_loaded_is_still_looked_up(page: Page, make):
    """A quick clerk on a slow page types the name before the booking form's script has run: no input event reaches
    it, so the script must look up what the field already holds (CI once typed faster than the script loaded)."""
    manager = make.staff("manager", password=PASSWORD)
    member = make.member(first_name="Agnes", last_name="Bookwell")
    make.membership(member)
    with unit_of_work():
        start = clock.utcnow() + timedelta(days=1)
        session = ClubSession(club_id=make.default_club.id, kind="class", title="Yoga", starts_at=start,
                              ends_at=start + timedelta(hours=1), capacity=10)
        db.session.add(session)
    session_id = session.id
    log_in(page, manager.email)
    page.route("**/book_search.js*",      # the script arrives empty: nothing listens while the name is typed
               lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    page.goto(f"/sessions/{session_id}")
    page.get_by_label("Name, card code, phone or member id").type("Agnes")
    page.unroute("**/book_search.js*")
    page.add_script_tag(url="/static/js/book_search.js?late=1")     # and now it runs
    expect(page.locator("#found button", has_text="Agnes Bookwell")).to_have_count(1)


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "800x1100"])
def test_a_manager_changes_the_rest_of_a_series_and_the_desk_calls_whom_a_cancelled_session_could_not_text(
        page: Page, make, size):
    page.set_viewport_size(size)
    manager = make.staff("manager", password=PASSWORD)
    trainer = make.staff("desk", name="Tina Trainer", is_trainer=True)
    member = make.member(first_name="Kalle", last_name="Nophone", sms_consent=False)
    make.membership(member)
    with unit_of_work():
        start = clock.utcnow() + timedelta(days=1)
        first = sessions.schedule(manager, make.default_club, {
            "kind": "class", "title": "Spinning", "starts_at": start, "ends_at": start + timedelta(hours=1),
            "capacity": 10, "trainer_id": trainer.id, "weekly_until": (start + timedelta(days=21)).date()})
        sessions.book(manager, first, member)
    first_id = first.id
    log_in(page, manager.email)
    page.goto(f"/sessions/{first_id}")
    page.locator("#edit-session").click()
    page.get_by_label("Title").fill("Spinning 45")
    page.get_by_label("Also change the later sessions of this weekly class").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash.success")).to_have_text("4 sessions changed.")
    expect(page.locator("h1")).to_contain_text("Spinning 45")
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.locator(".flash.warning")).to_contain_text("Kalle Nophone")
    page.locator("#nav-today").click()
    row = page.locator("#calls tr", has_text="Kalle Nophone")
    expect(row).to_contain_text("is cancelled")
    row.get_by_role("button", name="Reached").click()
    expect(page.locator(".flash.success")).to_contain_text("Kalle Nophone")
    expect(page.locator("#calls")).to_have_count(0)
    db.session.expire_all()
    assert [s.title for s in db.session.scalars(select(ClubSession).order_by(ClubSession.starts_at))] == \
        ["Spinning 45"] * 4
