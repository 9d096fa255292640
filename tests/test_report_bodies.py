"""A report page's charts and tables are rendered once per generation of the stored figures and kept by the web
worker (blueprints/report_bodies.py): the next view of the same page, period, plan and language reads no stored
counts and shows the same HTML; another period or language is rendered for itself, and a recompute (even with the
clock pinned, as here) shows the new figures."""
import re
from datetime import timedelta

from clubcrm import worker
from clubcrm.db import unit_of_work
from clubcrm.reports import refresh
from tests.conftest import TODAY
from tests.report_snapshots import compute_all
from tests.statements import statements
from tests.test_kpi_reads import live_club

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
QUARTER = f"/reports/club?start={TODAY - timedelta(days=90)}&end={TODAY}"
MONTH = f"/reports/club?start={TODAY - timedelta(days=30)}&end={TODAY}"


def seen(web, url: str) -> tuple[str, list[str]]:
    with statements() as sent:
        page = web.get(url)
    assert page.status_code == 200 and "data-computed-at=" in page.text
    return CSRF.sub("", page.text), sent


def counts_read(sent: list[str]) -> bool:
    return any("report_count" in sql for sql in sent)


def test_each_period_and_language_is_rendered_for_itself_then_kept(web, login_as, make):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 4)
    compute_all()
    login_as("manager")
    quarter, first = seen(web, QUARTER)
    month, other = seen(web, MONTH)
    assert counts_read(first) and counts_read(other) and month != quarter
    again, kept = seen(web, QUARTER)
    assert again == quarter and not counts_read(kept)

    assert web.post("/locale", data={"locale": "de", "next": "/"}).status_code == 302
    german, sent = seen(web, QUARTER)
    assert counts_read(sent) and german != quarter and 'lang="de"' in german
    assert "Besuche" in german.split('id="computed"', 1)[1]   # the tables' own words, not only the header's
    assert web.post("/locale", data={"locale": "en", "next": "/"}).status_code == 302
    english, sent = seen(web, QUARTER)
    assert english == quarter and not counts_read(sent)


def test_a_recompute_with_the_same_clock_shows_the_new_figures(web, login_as, make):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 2)
    compute_all()
    login_as("manager")
    before, _sent = seen(web, QUARTER)
    with unit_of_work():
        live_club(make, club, plan, 6)
    assert seen(web, QUARTER)[0] == before   # not recomputed yet: the stored figures, as they were
    with unit_of_work():
        refresh.request((club.id,), worker.utcnow())
    compute_all(force=False)   # the same pinned instant as the first computation
    after, sent = seen(web, QUARTER)
    assert counts_read(sent) and after != before
