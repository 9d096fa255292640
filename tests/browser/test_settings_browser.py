"""Settings in Chromium at the desk's 1280 px and on a tablet (800 px), in all six languages: the page scrolls only
downwards, and no table sticks out of its card into the next one (the staff table, with a password field per login,
the plans' table and the opening hours' time fields once did)."""
import os

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_desk_browser import log_in

# Every card whose content is wider than the card itself: (heading, content width, card width).
OVERFLOWING = """() => [...document.querySelectorAll("main section.card")]
    .filter(card => card.scrollWidth > card.clientWidth + 1)
    .map(card => [card.querySelector("h2") && card.querySelector("h2").textContent, card.scrollWidth,
                  card.clientWidth])"""


@pytest.mark.parametrize("width", [1280, 800])
def test_settings_fit_the_screen_and_each_table_its_card(page: Page, make, width):
    manager = make.staff("manager", name="Maria Manager")
    for n, role in enumerate(("desk", "desk", "manager")):
        make.staff(role, name=f"Colleague Number {n}")
    make.plan(name="Twelve months, every club")
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, manager.email)
    page.goto("/settings/")
    for locale in ("en", "de", "ru", "fi", "sl", "sk"):
        if locale != "en":
            page.locator("form.lang select[name=locale]").select_option(locale)
            expect(page.locator("html")).to_have_attribute("lang", locale)
            page.wait_for_load_state("load")   # <html lang> comes first: measure the whole page, not its start
        expect(page.locator("#staff")).to_be_visible()
        assert page.evaluate(OVERFLOWING) == [], locale
        assert page.evaluate("document.documentElement.scrollWidth") <= width, locale
        if os.environ.get("SETTINGS_SHOTS"):   # to look at: SETTINGS_SHOTS=/some/folder
            page.screenshot(path=f"{os.environ['SETTINGS_SHOTS']}/settings-{width}-{locale}.png", full_page=True)
