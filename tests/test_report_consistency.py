"""Reports agree with themselves (issue 16, item 9): on a simulated club the KPI page's figures match the tables
they summarise, the at-risk CSV says its reasons in words (codes beside them), and every column's explanation is
on the page, not only in a tooltip."""
import csv
import io
import re

import pytest

from clubcrm.simulation import SimConfig, simulate
from tests.conftest import TODAY
from tests.report_snapshots import compute_all

URL = "/reports/club"


@pytest.fixture
def simulated(app, ctx):
    """A small simulated club (a year of visits, sales, calls) with its figures computed by the worker's job."""
    club = simulate(SimConfig(members=60, days=120, seed=11, end=TODAY)).club
    compute_all()
    return club


def read_csv(response) -> list[dict]:
    text = response.data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_kpis_agree_with_the_tables_they_summarise(simulated, web, login_as):
    login_as("manager", club=simulated)
    page = web.get(URL)
    assert page.status_code == 200
    risk = read_csv(web.get("/reports/club/at_risk.csv"))
    coverage = read_csv(web.get("/reports/club/coverage.csv"))[0]
    # The silent members of the coverage table are the at-risk rows with "no visit in 14 days" who are not new.
    silent_rows = [r for r in risk if "no_visit_14" in r["Why (codes)"].split()]
    assert int(coverage["Silent members"]) <= len(silent_rows)
    assert int(coverage["Silent members"]) + int(coverage["New members"]) >= len(silent_rows) - len(
        [r for r in silent_rows if "new_no_visits" in r["Why (codes)"].split()])
    # The growth table reconciles: each month's end is the next month's start.
    growth = read_csv(web.get("/reports/club/growth.csv"))
    ends = [int(r["Members at the end"]) for r in growth]
    starts = [int(r["Members at the start"]) for r in growth]
    assert ends[:-1] == starts[1:]
    assert len(risk) > 0


def test_the_at_risk_csv_says_why_in_words_with_the_codes_beside(simulated, web, login_as):
    login_as("manager", club=simulated)
    rows = read_csv(web.get("/reports/club/at_risk.csv"))
    assert rows
    words = {"no visit in 14 days", "visits dropping", "ends within 14 days, not renewed", "package running low",
             "new member who has not come"}
    for row in rows:
        said = [part.strip() for part in row["Why"].split(";")]
        assert said and set(said) <= words, row
        assert len(said) == len(row["Why (codes)"].split())


def test_each_columns_explanation_is_on_the_page(simulated, web, login_as):
    login_as("manager", club=simulated)
    page = web.get(URL).text
    notes = re.search(r'<section class="card report" id="table-coverage">.*?<dl class="column-notes">(.*?)</dl>',
                      page, re.S)
    assert notes, "the coverage table's notes"
    assert "<dt>Coverage</dt><dd>Share of new and at-risk members" in notes.group(1)
    assert "<dt>Silent members</dt><dd>Members (not new) with no visit in the last 14 days" in notes.group(1)
