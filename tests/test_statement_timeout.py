"""Web requests carry a statement time limit on PostgreSQL (STATEMENT_TIMEOUT_MS, SET LOCAL per transaction), the
worker and the CLI none; a report stopped by it answers a clear "took too long" page with its filters, not a 500,
and leaves no limit on the pooled connection. SQLite has no such limit: the same pages are simply served."""
from datetime import timedelta

import pytest
from sqlalchemy import text

from blueprints import reports as report_pages
from clubcrm.extensions import db
from tests.conftest import TODAY
from tests.report_snapshots import compute_all

QUERY = f"start={TODAY - timedelta(days=30)}&end={TODAY}"


def postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def limit() -> str | None:
    """The session's statement_timeout now (None on SQLite)."""
    return db.session.execute(text("SHOW statement_timeout")).scalar() if postgresql() else None


@pytest.fixture
def slow_visits(monkeypatch, make):
    """Reading the stored tools table sleeps 2 s in the database first (a report request stuck in the database)."""
    assert make.default_club
    compute_all()
    monkeypatch.setattr(report_pages, "stored_tools", sleeps_first(report_pages.stored_tools))


@pytest.mark.parametrize("url", [f"/reports/renewals?{QUERY}", f"/reports/renewals/renewals.csv?{QUERY}"])
def test_a_report_stopped_by_the_time_limit_says_so(app, web, login_as, slow_visits, url):
    app.config["STATEMENT_TIMEOUT_MS"] = 200
    login_as("manager")
    response = web.get(url)
    if not postgresql():
        assert response.status_code == 200   # no statement limit on SQLite: the page is served
        return
    assert response.status_code == 503
    assert "This report took too long" in response.text and "Try a shorter period" in response.text
    assert 'name="start"' in response.text   # the filters, to choose a shorter period
    # The connection went back to the pool without a limit; the next page works.
    assert limit() == "0"
    assert web.get("/").status_code == 200


def test_web_requests_carry_the_limit_and_the_worker_does_not(app, web, login_as, monkeypatch):
    seen = []
    real = report_pages.stored_tools

    def observe(figures):
        seen.append(limit())
        db.session.commit()       # a view that commits midway: the next transaction is limited too
        seen.append(limit())
        return real(figures)

    monkeypatch.setattr(report_pages, "stored_tools", observe)
    login_as("manager")
    compute_all()
    assert web.get(f"/reports/renewals?{QUERY}").status_code == 200
    outside = limit()    # the test's own session, as the worker's or a CLI command's: no request
    if postgresql():
        assert seen == ["5s", "5s"] and outside == "0"
    else:
        assert seen == [None, None]


def sleeps_first(real):
    """REAL, after 2 s asleep in the database (a statement past a 200 ms limit)."""
    def slow(*args, **kwargs):
        if postgresql():
            db.session.execute(text("SELECT pg_sleep(2)"))
        return real(*args, **kwargs)
    return slow


def test_any_other_page_stopped_by_the_time_limit_answers_503_in_words(app, web, login_as, make, monkeypatch):
    from blueprints import members as member_pages

    member = make.member()
    monkeypatch.setattr(member_pages.cards, "load", sleeps_first(member_pages.cards.load))
    app.config["STATEMENT_TIMEOUT_MS"] = 200
    login_as("desk")
    response = web.get(f"/members/{member.id}")
    if not postgresql():
        assert response.status_code == 200
        return
    assert response.status_code == 503
    assert "took too long and was stopped; nothing was changed" in response.text
    assert web.get("/").status_code == 200


def test_an_api_request_stopped_by_the_time_limit_answers_a_json_503(app, web, make, monkeypatch):
    from blueprints.api import reports as api_reports
    from tests.test_api import bearer, issue

    monkeypatch.setattr(api_reports.tool_tables, "stored", sleeps_first(api_reports.tool_tables.stored))
    app.config["STATEMENT_TIMEOUT_MS"] = 200
    token = issue(make.staff("manager"))
    compute_all()   # the stored figures (the page reads them, and the stored tools table, in the request)
    response = web.get("/api/v1/reports/renewals", headers=bearer(token))
    if not postgresql():
        assert response.status_code == 200
        return
    assert response.status_code == 503
    assert response.json["error"]["code"] == "too_long"
    assert "took too long" in response.json["error"]["message"]
