"""The member page in Chromium at a phone's size (390×844): opened from a link, a session booked with one tap and
then listed under the bookings; no part wider than the screen in any of the six languages. With MEMBER_SHOTS set to
a directory, a full-page screenshot per language is saved there to be looked at."""
import os
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select, update

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.models import Club, ClubSession, Member, MemberPageEvent, Touchpoint
from clubcrm.services import sales, sessions
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_desk_browser import log_in
from tests.conftest import TODAY
from tests.test_member_page import at, attended, link, member_with, schedule

PHONE = {"width": 390, "height": 844}


def phone_page(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="en-US", base_url=live_server.url, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return context, page, errors


def wider_than_the_screen(page) -> list[str]:
    """The elements that stick out to the right of the viewport (text that does not wrap, a wide button)."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth;
      const out = [];
      for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 0.5) out.push(`${el.tagName}.${el.className}: ${Math.round(box.right)}`);
      }
      if (document.documentElement.scrollWidth > width) out.push(`page ${document.documentElement.scrollWidth}`);
      return out;
    }""")


def a_member_with_everything(make):
    """A member of a year's plan with a package, a past Yoga class, one booking, and Yoga classes to come (one of
    them full), invited to the first by an SMS with a link."""
    member = member_with(make, first_name="Aino", last_name="Virtanen", phone="+358401234567", sms_consent=True)
    with unit_of_work():
        db.session.execute(update(Club).values(phone="+358 9 123 4567", name="Sporttiklubi Keskusta"))
    service = make.service(name="Personal training", package_units=10, valid_days=90)
    with unit_of_work():
        sales.sell_package(make.desk(), db.session.get(Member, member.id), service.id, TODAY)
    attended(make, member, title="Yoga", activity="Yoga")
    offered = schedule(make, title="Yoga", activity="Yoga", starts_at=at(12, 18))
    schedule(make, title="Morning Yoga Flow", activity="Yoga", starts_at=at(13, 7), capacity=12)
    full = schedule(make, title="Yoga", activity="Yoga", starts_at=at(16, 18), capacity=1)
    someone = member_with(make)
    booked = schedule(make, title="Yin Yoga", activity="Yoga", starts_at=at(11, 19, 30))
    with unit_of_work():
        sessions.book(None, db.session.get(ClubSession, full.id), db.session.get(Member, someone.id))
        sessions.book(None, db.session.get(ClubSession, booked.id), db.session.get(Member, member.id))
    return member, offered, link(member, session=offered)


def test_a_member_opens_the_page_from_a_link_and_books_the_offered_session(browser, live_server, make):
    member, offered, token = a_member_with_everything(make)
    context, page, errors = phone_page(browser, live_server)
    try:
        page.goto(f"/m/{token}")
        expect(page.locator("header.club h1")).to_have_text("Sporttiklubi Keskusta")
        expect(page.locator("section.membership")).to_contain_text("days left")
        expect(page.locator("section.membership")).not_to_contain_text("Virtanen")
        first = page.locator("section.sessions li.slot").first
        expect(first).to_contain_text("Offered to you")
        assert wider_than_the_screen(page) == []
        box = first.get_by_role("button", name="Book a place").bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300      # a thumb hits it
        first.get_by_role("button", name="Book a place").click()
        expect(page.locator("p.flash.success")).to_contain_text("You are booked: Yoga on Thu, Mar 12")
        bookings = page.locator("section.bookings li.slot")
        expect(bookings).to_have_count(2)
        expect(bookings.nth(1)).to_contain_text("Thu, Mar 12")
        expect(page.locator("section.sessions")).not_to_contain_text("Offered to you")
        # The full class offers the waitlist.
        full = page.locator("section.sessions li.slot", has_text="Mon, Mar 16")
        full.get_by_role("button", name="Join the waitlist").click()
        expect(page.locator("p.flash.success")).to_contain_text("on the waitlist")
        expect(page.locator("section.bookings li.slot")).to_have_count(3)
        assert errors == []
    finally:
        context.close()


def test_the_page_is_readable_at_a_phones_size_in_every_language(browser, live_server, make):
    """The invitation's page, and a renewal offer's page where SMS are stopped and restarted, in each language."""
    member, _offered, token = a_member_with_everything(make)
    renewal = link(member, tool_key="renewal_offer")
    shots = os.environ.get("MEMBER_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    context, page, errors = phone_page(browser, live_server)

    def looked_at(name: str) -> None:
        assert wider_than_the_screen(page) == [], name
        if shots:
            page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)

    try:
        for locale in SUPPORTED_LOCALES:
            with unit_of_work():
                db.session.execute(update(Member).where(Member.id == member.id).values(locale=locale))
            page.goto(f"/m/{token}")
            expect(page.locator("html")).to_have_attribute("lang", locale)
            expect(page.locator("section.sessions button").first).to_be_visible()
            looked_at(f"member-page-{locale}")
            page.goto(f"/m/{renewal}")
            expect(page.locator("section.renewal button.answer")).to_have_count(2)
            page.locator("button.sms-stop").click()
            expect(page.locator("button.sms-start")).to_be_visible()
            looked_at(f"member-renewal-stopped-{locale}")
            page.locator("button.sms-start").click()
            expect(page.locator("button.sms-stop")).to_be_visible()
        assert errors == []
    finally:
        context.close()


def test_staff_open_the_members_page_from_the_card_and_can_press_nothing(page, make):
    """The card's "See the page as the member does": the member's page in their language under a note in the
    staff's, every button disabled in the browser, and no open or event recorded."""
    member, _offered, _token = a_member_with_everything(make)
    link(member, tool_key="renewal_offer")
    with unit_of_work():
        db.session.execute(update(Member).where(Member.id == member.id).values(locale="fi"))
    desk = make.staff("desk")
    log_in(page, desk.email)
    page.goto(f"/members/{member.id}")
    page.locator("#member-page-preview").click()
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("#preview-note")).to_contain_text("Preview for staff")
    expect(page.locator("section.renewal button.answer")).to_have_count(2)
    buttons = page.locator("main button")
    assert buttons.count() >= 10   # book, the two answers, SMS, six languages
    for button in buttons.all():
        expect(button).to_be_disabled()
    shots = os.environ.get("MEMBER_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "member-page-preview-fi.png"), full_page=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(MemberPageEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(Touchpoint).where(
        Touchpoint.opened_at.is_not(None))) == 0
