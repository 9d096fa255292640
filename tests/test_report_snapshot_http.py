"""The KPI page over HTTP reads the figures the worker stored: while a scope has none it says "being computed" at
once, without running the aggregate queries; with them it reads a fixed number of statements whatever the club's
size, says when they were computed, and offers a manager "recompute now", which the worker's job picks up."""
import re
from datetime import timedelta

from sqlalchemy import select

from clubcrm import worker
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import ReportRefresh
from clubcrm.reports import refresh
from tests.conftest import TODAY
from tests.report_snapshots import compute_all
from tests.statements import statements
from tests.test_kpi_reads import live_club

# The tables whose rows the aggregates are made of: a page that reads any of them computes instead of reading.
FACT_TABLES = ("FROM visit", "JOIN visit", "FROM membership", "JOIN membership", "staff_contact", "ledger_entry",
               "FROM package", "JOIN package")
CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
URL = f"/reports/club?start={TODAY - timedelta(days=90)}&end={TODAY}"


def test_a_scope_without_figures_is_being_computed_at_once(web, login_as, make):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 4)
    login_as("manager")
    with statements() as seen:
        page = web.get(URL)
    assert page.status_code == 200 and "data-report-computing" in page.text
    assert "These figures are being computed" in page.text and 'data-table="visits"' not in page.text
    assert not [sql for sql in seen if any(table in sql for table in FACT_TABLES)], seen
    with statements() as seen:
        csv = web.get("/reports/club/visits.csv")
    assert csv.status_code == 200 and "data-report-computing" in csv.text
    assert not [sql for sql in seen if any(table in sql for table in FACT_TABLES)]


def test_the_page_reads_the_stored_figures_in_statements_independent_of_the_members(web, login_as, make):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 3)
    login_as("manager")
    compute_all()
    with statements() as small:
        page = web.get(URL)
    assert page.status_code == 200 and 'data-table="visits"' in page.text and 'id="recompute"' in page.text
    assert "data-computed-at=" in page.text and "Figures computed" in page.text
    assert not [sql for sql in small if any(table in sql for table in FACT_TABLES)], small
    with unit_of_work():
        live_club(make, club, plan, 9)
    compute_all(force=False)   # nothing due: the figures stand on today
    with statements() as same:
        kept = web.get(URL)
    # The same figures: the charts and tables rendered for the first view are kept (blueprints/report_bodies.py),
    # so the page reads the refresh row and nothing of the stored counts.
    assert len(same) < len(small) and not [sql for sql in same if "report_count" in sql], same
    assert CSRF.sub("", kept.text) == CSRF.sub("", page.text)
    with unit_of_work():
        refresh.request((club.id,), worker.utcnow())
    compute_all(force=False)
    with statements() as larger:
        again = web.get(URL)
    visits = [text.split('data-table="visits"', 1)[1].split("</table>", 1)[0] for text in (page.text, again.text)]
    assert len(larger) == len(small) and visits[0] != visits[1]


def test_recompute_now_is_a_managers_post_that_the_worker_picks_up(web, login_as, make):
    club, plan = make.default_club, make.plan()
    with unit_of_work():
        live_club(make, club, plan, 2)
    compute_all()
    login_as("desk")
    assert web.post(f"/reports/club/recompute?club={club.id}").status_code == 403
    web.post("/logout")
    login_as("manager")
    answer = web.post(f"/reports/club/recompute?club={club.id}&plan={plan.id}")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/reports/club?")
    row = db.session.scalar(select(ReportRefresh).where(ReportRefresh.scope == refresh.scope_key((club.id,))))
    assert row.requested_at is not None
    assert "data-recompute-asked" in web.get(f"/reports/club?club={club.id}").text
    assert refresh.scope_key((club.id,)) in refresh.due()
    assert compute_all(force=False).startswith("1 of 1")
    db.session.expire_all()
    assert db.session.get(ReportRefresh, row.id).requested_at is None
    assert "data-recompute-asked" not in web.get(f"/reports/club?club={club.id}").text


def test_an_import_asks_for_a_recompute_of_every_scope_holding_the_club(make, ctx):
    club, other = make.default_club, make.club(name="Other")
    compute_all()
    assert refresh.due() == []
    with unit_of_work():
        refresh.request_for_club(club.id, worker.utcnow())
    due = refresh.due()
    assert refresh.scope_key((club.id,)) in due and refresh.scope_key((club.id, other.id)) in due
    assert refresh.scope_key((other.id,)) not in due


def test_a_finished_import_asks_the_worker_to_recompute(web, login_as, make):
    from tests.test_import_http import GOOD, job_id_of, upload, wait_for

    club = make.default_club
    login_as("manager")
    compute_all()
    assert refresh.due() == []
    job_id = job_id_of(upload(web, GOOD.encode("cp1252")))
    fields = {f"fields-{i}": f for i, f in enumerate(
        ["first_name", "last_name", "phone", "email", "birth_date", "sms_consent"])}
    web.post(f"/imports/{job_id}", data={**fields, "mode": "valid", "action": "import"})
    assert wait_for(web, job_id)["imported"] == 2
    db.session.commit()
    assert refresh.due() == [refresh.scope_key((club.id,))]
    assert compute_all(force=False).startswith("1 of 1") and refresh.due() == []


def test_figures_of_an_earlier_day_are_due_again_the_nightly_refresh(make, ctx):
    club = make.default_club
    compute_all()
    assert refresh.due() == []
    with unit_of_work():
        row = db.session.scalar(select(ReportRefresh).where(ReportRefresh.scope == refresh.scope_key((club.id,))))
        row.as_of = TODAY - timedelta(days=1)    # computed before the club's midnight
    assert refresh.due() == [refresh.scope_key((club.id,))]
    compute_all(force=False)
    assert refresh.stored((club.id,)).as_of == TODAY and refresh.due() == []
