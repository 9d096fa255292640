"""Today's long task list in a real browser: one page of tasks, and "Next" shows the second page."""
import re

from playwright.sync_api import Page, expect

from tests.browser.test_desk_browser import log_in
from tests.test_paging import open_tasks


def test_next_on_today_shows_the_second_page(page: Page, make, app):
    app.config["LIST_PAGE_SIZE"] = 5
    made = open_tasks(make, 12)
    log_in(page, make.desk().email)
    page.goto("/today/")
    rows = page.locator("#tasks tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("nav.pager .pager-rows")).to_have_text("Rows 1–5 of 12")
    expect(page.locator("#task-%d" % made[0])).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/today/\?page=2#tasks$"))
    expect(page.locator("nav.pager .pager-rows")).to_have_text("Rows 6–10 of 12")
    expect(rows).to_have_count(5)
    assert [int(i.removeprefix("task-")) for i in rows.evaluate_all("rows => rows.map(r => r.id)")] == made[5:10]
    page.get_by_role("link", name="Next").click()
    expect(page.locator("nav.pager .pager-rows")).to_have_text("Rows 11–12 of 12")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    page.get_by_role("link", name="Previous").click()
    expect(page.locator("nav.pager .pager-rows")).to_have_text("Rows 6–10 of 12")
