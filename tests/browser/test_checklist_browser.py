"""The getting-started checklist in Chromium, on a phone (390 px) and at the desk (1280 px): each step and its
dismiss button fit the screen, and dismissing a step (a real form post with its CSRF token) takes it away."""
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_desk_browser import log_in


@pytest.mark.parametrize("width", [390, 1280])
def test_the_checklist_fits_the_screen_and_a_step_is_dismissed(page: Page, make, width):
    manager = make.staff("manager")
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, manager.email)
    steps = page.locator("#checklist li.step")
    expect(steps).to_have_count(6)
    expect(page.locator("#checklist")).to_contain_text("6 of 6 steps left")
    # Nothing sticks out sideways: no horizontal scrolling, every dismiss button inside the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for button in page.locator("#checklist li.step button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert box["height"] >= 36, box   # a finger-sized target
    page.locator('#checklist li.step[data-step="import"] button').click()
    expect(page.locator(".flash")).to_contain_text("Taken off the checklist.")
    expect(steps).to_have_count(5)
    expect(page.locator('#checklist li.step[data-step="import"]')).to_have_count(0)
    page.locator('#checklist li.step[data-step="plans"] a').click()
    expect(page.locator("h2#plans")).to_be_visible()
