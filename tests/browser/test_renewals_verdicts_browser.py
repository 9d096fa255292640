"""The renewals page's verdict lines in Chromium at 1280×800: no sideways scrolling (in each of the six languages,
whose long words must wrap), the forest plots drawn, the programme's line on top, the counts opened on demand;
desk staff are refused."""
import pytest
from playwright.sync_api import Page, expect

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.models import Staff
from tests import verdict_data
from tests.browser.test_reports_browser import log_in
from tests.report_snapshots import compute_all, tools_ready

NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"


@pytest.fixture
def measured(make):
    verdict_data.build(make)
    compute_all()   # the report pages read the figures the worker stored
    tools_ready((make.default_club.id,), *verdict_data.PERIOD)
    return make.staff("manager").email


def test_the_verdict_lines_fit_1280_by_800_with_the_programme_on_top(page: Page, measured):
    log_in(page, measured, "secret-pass")
    page.goto(f"/reports/renewals?{verdict_data.QUERY}")
    lines = page.locator("table.verdicts tbody tr")
    expect(lines.first).to_have_attribute("data-key", "programme")
    expect(lines.first.locator("th")).to_contain_text("The whole programme")
    assert lines.count() == 15
    # Every line's forest plot is drawn: an SVG with a box, and a dot and a bar where there is an estimate.
    for i in range(lines.count()):
        svg = lines.nth(i).locator("td.v-plot svg.chart")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box["width"] > 100 and box["height"] > 10
    silence = page.locator('tr[data-key="silence"]')
    expect(silence.locator("svg .dot")).to_be_visible()
    expect(silence.locator("svg .interval")).to_be_visible()
    expect(silence.locator("svg .break-even")).to_have_count(1)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    # The counts open on demand, without any script.
    counts = silence.locator("details.counts")
    expect(counts.locator("dl")).to_be_hidden()
    counts.locator("summary").click()
    expect(counts.locator("dl")).to_be_visible()
    expect(counts.locator("dd").first).to_have_text("300")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    expect(page.locator('tr[data-key="welcome"] [role="alert"]')).to_be_visible()
    page.screenshot(path="/tmp/clubcrm-renewals-verdicts.png", full_page=True)
    page.locator("#table-tools").screenshot(path="/tmp/clubcrm-renewals-verdict-lines.png")


def test_every_language_wraps_its_long_words_instead_of_scrolling(page: Page, make):
    verdict_data.build(make)
    compute_all()
    tools_ready((make.default_club.id,), *verdict_data.PERIOD)
    manager = make.staff("manager")
    log_in(page, manager.email, "secret-pass")
    for locale in SUPPORTED_LOCALES:
        with unit_of_work():
            db.session.get(Staff, manager.id).locale = locale   # the login's own language
        page.goto(f"/reports/renewals?{verdict_data.QUERY}")
        expect(page.locator("html")).to_have_attribute("lang", locale)
        expect(page.locator("table.verdicts tbody tr").first).to_have_attribute("data-key", "programme")
        for summary in page.locator("details.counts summary").all():
            summary.click()
        assert page.evaluate(NO_SIDEWAYS_SCROLL), locale
        assert page.locator("table.verdicts svg.chart").count() == 16, locale   # 15 lines and the axis
    page.screenshot(path="/tmp/clubcrm-renewals-verdicts-sk.png", full_page=True)


def test_desk_staff_still_get_403(page: Page, make):
    log_in(page, make.staff("desk").email, "secret-pass")
    assert page.request.get(f"/reports/renewals?{verdict_data.QUERY}").status == 403
    assert page.request.get("/reports/renewals/tools.csv").status == 403
