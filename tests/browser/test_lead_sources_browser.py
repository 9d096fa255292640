""""Leads by source" in a real browser, on a laptop and on a tablet: reached from the reports' tabs, both tables
drawn with their explanations beside them, the period changed, a CSV whose rows are the table's rows, and nothing
wider than the screen."""
import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_reports_browser import log_in, table_rows
from tests.test_report_lead_sources import build_helsinki

OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("width, height", [(1280, 800), (800, 1100)])
def test_manager_reads_leads_by_source_and_changes_the_period(page: Page, make, width, height):
    page.set_viewport_size({"width": width, "height": height})
    club = build_helsinki(make)
    manager = make.staff("manager", club=club)
    log_in(page, manager.email, "secret-pass")
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name="Leads by source").click()
    expect(page).to_have_url(re.compile(r"/reports/lead-sources"))
    expect(page.locator("#chart-lead_months svg.chart")).to_be_visible()
    expect(page.locator("#plan")).to_have_count(0)   # leads have no plan
    sources = page.locator('table[data-table="sources"]')
    expect(sources).to_be_visible()
    # The 12 months up to 10 March 2026: every lead of the club but the one after 10 March (the eight of February
    # and March and the one of 31 January).
    rows = table_rows(page, "sources")
    assert rows[0][:4] == ["All sources", "9", "2", "2"]
    expect(sources.locator("tbody tr").first).to_contain_text("All sources")
    expect(page.locator('table[data-table="months"] tbody tr')).to_have_count(13)   # March 2025 to March 2026
    # Each column's explanation is on the page, not only in a tooltip.
    expect(page.locator("#table-sources dl.column-notes")).to_be_visible()
    expect(page.locator("#table-sources dl.column-notes")).to_contain_text("opening hours")
    assert page.evaluate(OVERFLOW_JS) <= 0   # wide tables scroll inside their card, the page does not

    page.locator("#start").fill("2026-03-01")
    page.locator("#end").fill("2026-03-10")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"start=2026-03-01.*end=2026-03-10"))
    expect(page.locator('table[data-table="months"] tbody tr')).to_have_count(1)
    march = table_rows(page, "sources")
    assert march[0][:4] == ["All sources", "2", "0", "2"]            # #5 and #8, both still within 30 days
    assert [row[0] for row in march[1:]] == ["phone call", "campaign"]

    with page.expect_download() as download:
        page.locator("#csv-sources").click()
    assert download.value.suggested_filename == "leads-sources-2026-03-01-2026-03-10.csv"
    lines = list(csv.reader(Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0][:2] == ["Source", "Leads"] and lines[1:] == march
    page.screenshot(path=f"/tmp/clubcrm-lead-sources-{width}.png", full_page=True)
