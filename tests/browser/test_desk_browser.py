"""The desk in a real browser: log in, find a member by phone, check in, renew; scan cards; switch language.

Each test runs on SQLite and on PostgreSQL against a live server with CSRF on; the clock is frozen
at 2026-03-10 10:00 in Helsinki (tests/conftest.py), in the server thread too.
"""
import re
from datetime import timedelta

from babel.dates import format_date
from playwright.sync_api import Page, expect

from tests.conftest import TODAY

PASSWORD = "secret-pass"  # the factories' default: the desk that sold the memberships logs in
SCREENSHOT = "/tmp/clubcrm-member-card.png"


def shown(value) -> str:
    """A date as the pages show it in English (Babel's medium form, e.g. Apr 28, 2026)."""
    return format_date(value, "medium", locale="en")


def desk_login(make) -> str:
    """The default club's desk login (the one the factories sell through); return its email."""
    return make.desk().email


def log_in(page: Page, email: str) -> None:
    """Log in through the login form, as staff do, and land on the desk."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.wait_for_load_state("load")   # the deferred scripts (autosubmit.js, desk.js) have run: the field's
    expect(page.locator("#q")).to_be_focused()   # autofocus alone is true before them (a CI run lost a change)


def scan(page: Page, text: str) -> None:
    """Type TEXT into the header search box as a card scanner does, and press Enter."""
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially(text)
    box.press("Enter")


def test_find_by_phone_check_in_and_renew(page: Page, make):
    monthly = make.plan(name="Monthly", duration_days=30, price_minor=5900)
    quarter = make.plan(name="Quarter", duration_days=90, price_minor=15900)
    member = make.member(first_name="Aino", last_name="Virtanen", phone="+358401234567",
                         card_code="CARD-1001")
    started = TODAY - timedelta(days=20)
    current = make.membership(member, monthly, today=started, starts_on=started)
    old_end, member_id, name = current.ends_on, member.id, member.full_name
    new_end = old_end + timedelta(days=quarter.duration_days)  # starts the day after, lasts 90 days
    quarter_id = quarter.id
    email = desk_login(make)

    log_in(page, email)

    # The phone as people say it, with spaces and the trunk 0: live results appear while typing.
    box = page.locator("#q")
    box.press_sequentially("040 123 4567")
    expect(page.locator("#results table.results")).to_contain_text(name)
    # Enter posts the scan form; not a card code, so it becomes a search.
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/\?q=040"))
    results = page.locator("table.results tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("+358 40 1234567")
    results.get_by_role("link", name=name).click()

    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("#ends-on")).to_have_text(shown(old_end))
    days_left = (old_end - TODAY).days
    expect(page.locator("#days-left")).to_have_text(str(days_left))
    expect(page.locator("li.alert.warning")).to_have_text(
        f"Membership expires in {days_left} days: offer a renewal.")

    page.locator("#checkin").click()
    expect(page.locator("div.flash.success")).to_have_text(f"{name} checked in.")
    expect(page.locator("#visits li")).to_have_count(1)

    # In the renewal window the form offers a renewal; Monthly comes first, the desk picks Quarter.
    page.locator("summary", has_text="Renew").click()
    plan = page.locator("form[action$='/sell'] select[name=plan_id]")
    expect(plan).to_be_visible()
    plan.select_option(value=str(quarter_id))
    page.locator("#sell").click()

    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    flash = page.locator("div.flash.success")
    expect(flash).to_contain_text("Renewal sold")
    expect(flash).to_have_text(f"Renewal sold: Quarter until {shown(new_end)}.")
    # The renewal is on the card: in the history, from the day after the old end to the new end.
    history = page.locator("table.compact tr", has_text="Quarter")
    expect(history).to_contain_text(f"{shown(old_end + timedelta(days=1))} – {shown(new_end)}")
    expect(history).to_contain_text("renewal")
    expect(page.locator("li.alert", has_text="offer a renewal")).to_have_count(0)

    page.screenshot(path=SCREENSHOT)


def test_scanning_an_expired_card_is_refused_with_the_date(page: Page, make):
    plan = make.plan(name="Monthly", duration_days=30)
    member = make.member(first_name="Eero", last_name="Expired", card_code="EXP-2002")
    started = TODAY - timedelta(days=40)
    ended = make.membership(member, plan, today=started, starts_on=started).ends_on
    member_id = member.id
    email = desk_login(make)

    log_in(page, email)
    scan(page, "EXP-2002")

    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    refusal = page.locator("div.flash.danger.refusal")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text(f"expired on {shown(ended)}")
    expect(page.locator("div.flash.success")).to_have_count(0)
    expect(page.locator("#visits")).to_have_count(0)


def test_scanning_an_active_card_checks_in_at_once(page: Page, make):
    member = make.member(first_name="Sanna", last_name="Scanner", card_code="SCAN-3003")
    make.membership(member, make.plan(duration_days=30))
    member_id, name = member.id, member.full_name
    email = desk_login(make)

    log_in(page, email)
    scan(page, "SCAN-3003")

    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    expect(page.locator("div.flash.success")).to_have_text(f"{name} checked in.")
    expect(page.locator("div.flash.refusal")).to_have_count(0)
    expect(page.locator("#visits li")).to_have_count(1)


def test_language_switcher_turns_the_page_german(page: Page, make):
    member = make.member(first_name="Greta", last_name="Deutsch")
    ends_on = make.membership(member, make.plan(duration_days=30)).ends_on
    member_id = member.id
    email = desk_login(make)

    log_in(page, email)
    page.goto(f"/members/{member_id}")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("form.lang select[name=locale]").select_option("de")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(re.compile(rf"/members/{member_id}\??$"))
    expect(page.locator("h1")).to_contain_text("Greta Deutsch")
    expect(page.locator("#checkin")).to_be_visible()
    expect(page.locator("form.lang select[name=locale]")).to_have_value("de")
    # Dates are Babel's, so they are German even before the texts are translated.
    expect(page.locator("#ends-on")).to_have_text(format_date(ends_on, "medium", locale="de"))
    # The choice sticks for the next page.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_a_name_typed_before_the_desk_search_loaded_is_still_looked_up(page: Page, make):
    """The header box's live results for a name typed before desk.js ran (no input event reached the script)."""
    member = make.member(first_name="Aino", last_name="Virtanen")
    name = member.full_name
    email = desk_login(make)
    log_in(page, email)
    page.route("**/desk.js*", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    page.goto("/")
    page.locator("#q").press_sequentially("Virta")
    page.unroute("**/desk.js*")
    page.add_script_tag(url="/static/js/desk.js?late=1")
    expect(page.locator("#results table.results")).to_contain_text(name)
