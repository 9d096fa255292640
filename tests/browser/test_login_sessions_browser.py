"""Signed-in devices in a real browser: a second device shows in the list, this one marked; ending the other
logs it out at once; "Log out everywhere" logs this one out too. Live server, CSRF on, both engines."""
import re

from playwright.sync_api import Page, expect

PASSWORD = "secret-pass"
SCREENSHOT = "/tmp/clubcrm-signed-in-devices.png"


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_devices_are_listed_and_logged_out(page: Page, browser, live_server, make):
    email = make.staff("desk").email
    other = browser.new_context(base_url=live_server.url, locale="en-US",
                                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) "
                                           "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 "
                                           "Safari/604.1")
    phone = other.new_page()
    try:
        log_in(phone, email)
        log_in(page, email)
        page.locator("#nav-devices").click()
        expect(page).to_have_url(re.compile(r"/account/devices$"))
        rows = page.locator("#login-sessions tr[data-login-session]")
        expect(rows).to_have_count(2)
        expect(page.locator("tr.current")).to_contain_text("this device")
        expect(page.locator("tr.current")).to_contain_text("Chrome")
        expect(rows.filter(has_text="Safari · iOS")).to_have_count(1)
        page.screenshot(path=SCREENSHOT, full_page=True)

        rows.filter(has_text="Safari · iOS").get_by_role("button", name="Log out").click()
        expect(page.get_by_role("status")).to_contain_text("That device is logged out.")
        expect(rows).to_have_count(1)
        phone.goto("/")
        expect(phone).to_have_url(re.compile(r"/login"))

        page.get_by_role("button", name="Log out everywhere").click()
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.get_by_role("status")).to_contain_text("Logged out on 1 device.")
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        other.close()
