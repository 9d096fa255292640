"""The report pages over HTTP: who may open them, the filters (club, period, plan) and what they refuse, and
CSV downloads whose rows are the tables' rows."""
import csv
import html
import io
import re
from datetime import date

import pytest

from tests import verdict_data
from tests.report_snapshots import compute_all, until_computed
from tests.test_report_renewals import contract
from tests.web import field_errors

CELL = re.compile(r'<td data-value="([^"]*)"')
PAGES = ("renewals", "club")


def table_values(text: str, key: str) -> list[list[str]]:
    """The data-values of table KEY on a page, row by row."""
    body = text.split(f'data-table="{key}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[html.unescape(v) for v in CELL.findall(row)] for row in body.split("</tr>") if "<td" in row]


def csv_rows(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def club_with_renewals(make):
    month = make.plan(name="Month", duration_days=30)
    for n in range(3):
        member = make.member()
        first = contract(member, month, date(2026, 1, 1), date(2026, 1, 30))
        if n:
            contract(member, month, date(2026, 1, 31), date(2026, 3, 1), renews=first)
    compute_all()   # the report pages read the figures the worker stored
    return make.default_club, month


@pytest.mark.parametrize("name", PAGES)
def test_desk_staff_get_403_and_strangers_the_login(web, login_as, name):
    assert until_computed(web.get, f"/reports/{name}").status_code == 302
    login_as("desk")
    assert until_computed(web.get, f"/reports/{name}").status_code == 403
    assert until_computed(web.get, f"/reports/{name}/renewals.csv").status_code == 403


def test_a_manager_sees_both_pages_with_charts(web, login_as, club_with_renewals):
    login_as("manager")
    assert until_computed(web.get, "/reports/").headers["Location"].endswith("/reports/renewals")
    page = until_computed(web.get, "/reports/renewals?start=2026-01-01&end=2026-01-31")
    assert page.status_code == 200
    assert 'id="chart-plans"' in page.text and 'class="bar"' in page.text
    # A forest line per verdict line (the programme and 14 tools) and their common axis.
    assert page.text.split('data-table="tools"', 1)[1].split("</table>")[0].count('class="chart"') == 16
    # Three cycles ended in January, two renewed: 66.7%.
    assert table_values(page.text, "renewals")[0] == ["All cycles", "3", "0", "2", "0.6667"]
    compute_all()   # the KPI page reads the figures the worker stored
    club_page = until_computed(web.get, "/reports/club?start=2026-01-01&end=2026-01-31")
    assert club_page.status_code == 200 and club_page.text.count('class="chart"') == 3


def test_each_csv_holds_the_tables_rows(web, login_as, club_with_renewals):
    login_as("manager")
    compute_all()
    query = "start=2026-01-01&end=2026-01-31"
    for name, keys in (("renewals", ("renewals", "plans", "tools", "activity")),
                       ("club", ("leads", "sales", "coverage", "growth", "visits", "cohorts", "at_risk"))):
        page = until_computed(web.get, f"/reports/{name}?{query}")
        for key in keys:
            response = until_computed(web.get, f"/reports/{name}/{key}.csv?{query}")
            assert response.status_code == 200 and response.mimetype == "text/csv"
            assert f"{key}-2026-01-01-2026-01-31.csv" in response.headers["Content-Disposition"]
            rows = csv_rows(response)
            if key == "tools":   # the verdict lines: each CSV row's verdict and interval are its line's
                lines = verdict_data.page_lines(page.text)
                assert [(r[1], r[3], r[4]) for r in rows[1:]] == [(f["verdict"], f["low"], f["high"]) for f in lines]
            elif f'data-table="{key}"' in page.text:
                assert rows[1:] == table_values(page.text, key), key
            else:
                assert rows[1:] == [], key   # an empty table: the page says so, the CSV has its header only
    assert until_computed(web.get, f"/reports/renewals/nope.csv?{query}").status_code == 404
    assert until_computed(web.get, "/reports/nope").status_code == 404


def test_numbers_are_formatted_in_the_users_language(web, login_as, club_with_renewals):
    login_as("manager")
    web.post("/locale", data={"locale": "de"})
    page = until_computed(web.get, "/reports/renewals?start=2026-01-01&end=2026-01-31")
    assert "66,7" in page.text   # German decimal comma


@pytest.mark.parametrize(("query", "field"), [
    ("start=2026-13-01", "start"), ("start=yesterday", "start"), ("end=31.01.2026", "end"),
    ("start=2026-02-01&end=2026-01-01", "end"), ("start=2020-01-01&end=2026-01-01", "end"),
    ("start=1900-01-01", "start"), ("club=999999", "club"), ("plan=999999", "plan"), ("plan=abc", "plan"),
])
def test_refused_filters_name_their_field(web, login_as, club_with_renewals, query, field):
    login_as("manager")
    for name in PAGES:
        response = until_computed(web.get, f"/reports/{name}?{query}")
        assert response.status_code == 400
        assert field in field_errors(response), (name, query, field_errors(response))
        assert until_computed(web.get, f"/reports/{name}/renewals.csv?{query}").status_code == 400


def test_a_manager_cannot_read_another_clubs_report(web, login_as, make, club_with_renewals):
    other = make.club(name="Elsewhere")
    login_as("manager", club=other)
    compute_all()
    club, month = club_with_renewals
    response = until_computed(web.get, f"/reports/renewals?club={club.id}&start=2026-01-01&end=2026-01-31")
    assert response.status_code == 400 and "club" in field_errors(response)
    response = until_computed(web.get, f"/reports/renewals?plan={month.id}")
    assert response.status_code == 400 and "plan" in field_errors(response)
    own = until_computed(web.get, "/reports/renewals?start=2026-01-01&end=2026-01-31")
    assert table_values(own.text, "renewals")[0][1] == "0"


def test_an_owner_sees_one_club_or_the_whole_chain(web, login_as, make, club_with_renewals):
    club, month = club_with_renewals
    other = make.club(name="Elsewhere")
    plan = make.plan(club=other, duration_days=30)
    contract(make.member(club=other), plan, date(2026, 1, 1), date(2026, 1, 30))
    compute_all()
    login_as("owner")
    chain = until_computed(web.get, "/reports/renewals?club=all&start=2026-01-01&end=2026-01-31")
    assert table_values(chain.text, "renewals")[0][1] == "4"
    assert 'data-table="clubs"' in chain.text
    one = until_computed(web.get, f"/reports/renewals?club={other.id}&start=2026-01-01&end=2026-01-31")
    assert table_values(one.text, "renewals")[0][1] == "1"


def test_the_default_period_is_the_last_twelve_months(web, login_as, club_with_renewals):
    login_as("manager")
    page = until_computed(web.get, "/reports/renewals")
    assert 'value="3/10/2026"' in page.text                        # to: the club's today, in the reader's format
    assert 'value="3/11/2025"' in page.text                        # from: 364 days before
    # The three January cycles and the two renewals that ended on 1 March (still open: pending).
    assert table_values(page.text, "renewals")[0][1:3] == ["5", "2"]
