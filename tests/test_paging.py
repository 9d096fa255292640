"""Long lists are paged: Today's tasks, the outbox, the import jobs and an import's refused rows, and the members at
risk on the KPI page each show one page (LIST_PAGE_SIZE rows) with a pager; a bad page number shows the nearest
page, never an error; the filters survive paging; the SQL fetches one page, never the whole list."""
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from clubcrm import paging
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import defaults
from clubcrm.models import ImportJob, Message, Rule, Touchpoint
from clubcrm.services.tasks import NAV_COUNT_CAP
from tests.conftest import NOW, TODAY
from tests.report_snapshots import compute_all
from tests.statements import statements

SIZE = 5   # the tests' page size: a list of 12 rows has pages of 5, 5 and 2
BAD_PAGES = ("abc", "0", "-3", "99999", "", "1.5", "9" * 40)
PAGER = re.compile(r'<nav class="pager"[^>]*data-param="([^"]+)" data-page="(\d+)" data-total="(\d+)">(.*?)</nav>',
                   re.S)


@pytest.fixture(autouse=True)
def small_pages(request):
    """Pages of SIZE rows in every test that runs the app (the pager's own tests need no database)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["LIST_PAGE_SIZE"] = SIZE


def pager(page_html: str, param: str = "page") -> dict:
    """The pager of PARAM on the page: its page number, the list's total, its rows text and its links."""
    for name, number, total, body in PAGER.findall(page_html):
        if name == param:
            links = {rel: html.unescape(href) for rel, href in re.findall(r'rel="(prev|next)"[^>]*href="([^"]+)"',
                                                                           body)}
            rows = re.search(r'class="pager-rows">(.*?)</span>', body, re.S).group(1)
            return {"number": int(number), "total": int(total), "rows": html.unescape(rows.strip()), **links}
    raise AssertionError(f"no pager {param!r} on the page")


def ids(page_html: str, prefix: str) -> list[int]:
    return [int(n) for n in re.findall(rf'<tr id="{prefix}-(\d+)"', page_html)]


def selects_of(seen: list[str], table: str) -> list[str]:
    """The SELECTs that read rows FROM TABLE (not counts)."""
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and re.search(rf"\bFROM {table}\b", s)
            and "count(" not in s.lower()]


@contextmanager
def limits() -> Iterator[list[tuple[str, object]]]:
    """Collect (statement, the LIMIT value it was sent with) for each statement with a LIMIT run inside the block."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        compiled = getattr(context, "compiled", None)
        clause = getattr(getattr(compiled, "statement", None), "_limit_clause", None)
        if clause is not None and re.search(r"\bLIMIT\b", statement):
            # The LIMIT is a bound parameter (a cached statement is compiled once for any LIMIT): read the value
            # sent for it, by its name (PostgreSQL) or its position (SQLite).
            name = compiled.bind_names[clause]
            values = parameters if isinstance(parameters, dict) else dict(
                zip(compiled.positiontup, parameters, strict=True))
            seen.append((statement, values[name]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def check_pages(web, url: str, row_ids, total: int = 12, param: str = "page", sep: str = "?") -> list[list[int]]:
    """Walk URL's pages by their pager's "next" links; check sizes, totals and bad page numbers; return the ids."""
    first = web.get(url)
    assert first.status_code == 200
    shown = pager(first.text, param)
    assert shown["number"] == 1 and shown["total"] == total and "prev" not in shown
    assert shown["rows"] == f"Rows 1–{SIZE} of {total}"
    pages = [row_ids(first.text)]
    assert len(pages[0]) == SIZE
    while "next" in shown:
        response = web.get(shown["next"])
        assert response.status_code == 200
        shown = pager(response.text, param)
        pages.append(row_ids(response.text))
    last = -(-total // SIZE)
    assert shown["number"] == len(pages) == last and shown["rows"] == f"Rows {SIZE * (last - 1) + 1}–{total} of {total}"
    assert len(pages[-1]) == total - SIZE * (last - 1)
    everything = [i for page in pages for i in page]
    assert len(everything) == len(set(everything)) == total   # no row twice, none left out
    for bad in BAD_PAGES:
        response = web.get(f"{url}{sep}{param}={bad}")
        assert response.status_code == 200, bad
        expected = last if bad.lstrip("-").isdigit() and int(bad) > 1 else 1
        assert pager(response.text, param)["number"] == expected, bad
        assert row_ids(response.text) == pages[expected - 1], bad
    return pages


# --- the pager itself -------------------------------------------------------------------------------------


def test_a_requested_page_number_is_read_leniently_and_clamped_to_the_list():
    assert [paging.number_from(raw) for raw in ("3", " 2 ", "abc", "0", "-4", None, "", "1.5")] == [3, 2, 1, 1, 1,
                                                                                                     1, 1, 1]
    assert [paging.nearest(n, 12, 5) for n in (1, 3, 4, 99999)] == [1, 3, 3, 3]
    assert paging.nearest(7, 0, 5) == 1
    assert [paging.size_from(raw) for raw in (50, "20", None, "x", 0, 10**6)] == [50, 20, 50, 50, 1, paging.MAX_SIZE]
    page = paging.page_of_list(list(range(12)), 3, 5)
    assert (page.items, page.first_row, page.last_row, page.pages, page.has_next, page.has_previous) == (
        [10, 11], 11, 12, 3, False, True)


def test_the_default_page_size_is_50():
    from config import Config

    assert Config.LIST_PAGE_SIZE == 50


# --- Today ------------------------------------------------------------------------------------------------


def open_tasks(make, count: int, club=None) -> list[int]:
    """COUNT open call tasks of one member, due on successive days up to today; return their ids, oldest first."""
    club = club or make.default_club
    member = make.member(club=club, first_name="Tia", last_name="Tasks")
    membership = make.membership(member, today=TODAY - timedelta(days=count))
    with unit_of_work():
        defaults.ensure(club)
        db.session.flush()
        rule = db.session.scalar(select(Rule).where(Rule.club_id == club.id, Rule.key == "no_first_visit"))
        rows = [Touchpoint(club_id=club.id, member_id=member.id, membership_id=membership.id, tool_id=rule.tool_id,
                           rule_id=rule.id, occurrence=n, stage="adaptation", channel="task", status="planned",
                           task_kind="call_back", facts={}, due_on=TODAY - timedelta(days=count - 1 - n))
                for n in range(count)]
        db.session.add_all(rows)
    return [row.id for row in rows]


def test_today_is_paged_oldest_first(make, web, login_as):
    made = open_tasks(make, 12)
    login_as("desk")
    pages = check_pages(web, "/today/", lambda text: ids(text, "task"))
    assert [i for page in pages for i in page] == made


def test_todays_total_counts_every_open_task_past_the_navs_cap(make, web, login_as):
    """The nav's badge stops counting at NAV_COUNT_CAP ("99+"); the list's pager says the whole number."""
    open_tasks(make, NAV_COUNT_CAP + 7)
    login_as("desk")
    shown = pager(web.get("/today/").text, "page")
    assert shown["total"] == NAV_COUNT_CAP + 7


def test_today_fetches_one_page_in_sql(make, web, login_as):
    open_tasks(make, 12)
    login_as("desk")
    with statements() as seen, limits() as limited:
        assert web.get("/today/?page=2").status_code == 200
    listing = [s for s in selects_of(seen, "touchpoint") if "JOIN rule" in s]
    assert len(listing) == 1
    assert [limit for statement, limit in limited if statement == listing[0]] == [SIZE]   # one page, not the list


def test_an_outcome_clicked_on_page_two_comes_back_to_page_two(make, web, login_as):
    made = open_tasks(make, 12)
    login_as("desk")
    page = web.get("/today/?page=2")
    target = ids(page.text, "task")[0]
    assert 'name="next" value="/today/?page=2"' in page.text
    assert f'action="/today/{target}/outcome?page=2"' in page.text
    refused = web.post(f"/today/{target}/outcome?page=2", data={"outcome": "bogus", "next": "/today/?page=2"})
    assert refused.status_code == 422 and pager(refused.text)["number"] == 2 and target in ids(refused.text, "task")
    assert 'name="next" value="/today/?page=2"' in refused.text   # the answer's forms still come back here
    done = web.post(f"/today/{target}/outcome", data={"outcome": "reached", "next": "/today/?page=2"})
    assert done.status_code == 302 and done.headers["Location"] == "/today/?page=2"
    after = web.get("/today/?page=2")
    assert pager(after.text)["total"] == 11 and target not in ids(after.text, "task")
    assert target in made


# --- the outbox -------------------------------------------------------------------------------------------

_seq = iter(range(1, 10**6))


def messages(member, count: int, status: str) -> list[int]:
    """COUNT messages to MEMBER, one a minute, the newest last; return their ids newest first."""
    with unit_of_work():
        rows = [Message(club_id=member.club_id, member_id=member.id, idempotency_key=f"paging:{next(_seq)}",
                        to_phone=member.phone, body=f"Message {n}", locale="en", encoding="GSM-7", segments=1,
                        status=status, due_at=NOW, created_at=NOW - timedelta(minutes=count - n))
                for n in range(count)]
        db.session.add_all(rows)
    return [row.id for row in reversed(rows)]


def test_the_outbox_is_paged_and_keeps_its_status_filter(make, web, login_as):
    member = make.member()
    delivered = messages(member, 12, "delivered")
    failed = messages(member, 3, "failed")
    login_as("manager")
    pages = check_pages(web, "/outbox/?status=delivered", lambda text: ids(text, "message"), sep="&")
    assert [i for page in pages for i in page] == delivered
    second = pager(web.get("/outbox/?status=delivered").text)["next"]
    assert "status=delivered" in second and "page=2" in second
    everything = web.get("/outbox/")
    assert pager(everything.text)["total"] == 15 and len(ids(everything.text, "message")) == SIZE
    assert set(failed) <= set(ids(web.get("/outbox/?status=failed&page=2").text, "message"))


def test_a_retry_answers_with_the_same_page_of_the_list(make, web, login_as):
    member = make.member()
    unknown = messages(member, 12, "unknown")   # newest first: the 7th is on page 2
    login_as("manager")
    page = web.get("/outbox/?status=unknown&page=2")
    target = unknown[SIZE + 1]
    assert f'action="/outbox/{target}/retry?status=unknown&amp;page=2"' in page.text
    refused = web.post(f"/outbox/{target}/retry?status=unknown&page=2", data={})
    assert refused.status_code == 422 and pager(refused.text)["number"] == 2
    assert target in ids(refused.text, "message") and "Twilio may already have sent" in refused.text
    done = web.post(f"/outbox/{target}/retry?status=unknown&page=2", data={"confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"] == "/outbox/?status=unknown&page=2"


def test_the_outbox_fetches_one_page_in_sql(make, web, login_as):
    messages(make.member(), 12, "sent")
    login_as("manager")
    with statements() as seen, limits() as limited:
        assert web.get("/outbox/?page=3").status_code == 200
    listing = [s for s in selects_of(seen, "message") if "ORDER BY message.created_at DESC" in s]
    assert len(listing) == 1
    assert [limit for statement, limit in limited if statement == listing[0]] == [SIZE]


def test_a_pager_link_keeps_every_other_parameter_and_stays_a_query_parameter(make, web, login_as):
    messages(make.member(), 12, "sent")
    login_as("manager")
    page = web.get("/outbox/?status=sent&_external=1&_scheme=javascript&endpoint=x&page=2")
    assert page.status_code == 200
    links = pager(page.text)
    assert links["next"].startswith("/outbox/?") and links["prev"].startswith("/outbox/?")
    assert "_scheme=javascript" in links["next"] and "endpoint=x" in links["next"] and "page=3" in links["next"]


# --- imports ----------------------------------------------------------------------------------------------

MAPPING = {"kind": "members", "headers": ["Vorname", "Nachname", "Handy"], "fields": ["first_name", "last_name",
           "phone"], "delimiter": ";", "encoding": "utf-8"}


def finished_job(club, refusals: int) -> int:
    """A finished import job of CLUB with REFUSALS refused rows (lines 2, 3, ...) in its report."""
    with unit_of_work():
        job = ImportJob(club_id=club.id, filename="members.csv", status="done", mode="valid", mapping=MAPPING,
                        total_rows=refusals + 3, processed_rows=refusals + 3, imported_rows=3,
                        refused_rows=refusals, finished_at=NOW,
                        report=[{"line": n + 2, "field": "phone", "message": f"Problem number {n}"}
                                for n in range(refusals)])
        db.session.add(job)
    return job.id


def refused_lines(page_html: str) -> list[int]:
    table = re.search(r'<table id="refused">(.*?)</table>', page_html, re.S)
    return [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', table.group(1))] if table else []


def test_a_finished_imports_refused_rows_are_paged_in_the_database(make, web, login_as):
    job_id = finished_job(make.default_club, 12)
    login_as("manager")
    pages = check_pages(web, f"/imports/{job_id}", refused_lines)
    assert [line for page in pages for line in page] == list(range(2, 14))
    with statements() as seen:
        assert web.get(f"/imports/{job_id}?page=2").status_code == 200
    # The page is cut out of the JSON array in SQL: the array itself is never selected whole.
    assert not [s for s in seen if re.search(r"import_job\.report AS", s)]
    cut = [s for s in seen if "json_each" in s or "json_array_elements" in s]
    assert len(cut) == 1 and re.search(r"(position|key) <", cut[0])   # by position in the array: one page
    short = finished_job(make.default_club, 0)   # nothing refused: no pager, whatever page is asked for
    for page in ("", "?page=abc", "?page=5"):
        response = web.get(f"/imports/{short}{page}")
        assert response.status_code == 200 and 'class="pager"' not in response.text


def test_a_started_imports_page_reads_its_emptied_report(make, web, login_as):
    # Confirming a preview stores JSON null in its report (jobs.confirm): no refusal, no error on either engine.
    job_id = finished_job(make.default_club, 3)
    with unit_of_work():
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(report=None))
    login_as("manager")
    assert web.get(f"/imports/{job_id}?page=2").status_code == 200


def test_the_preview_pages_its_refused_rows(web, login_as):
    from tests.test_import_http import job_id_of, upload

    rows = "".join(f"Bad{n};Phone;12\r\n" for n in range(12))
    login_as("manager")
    response = upload(web, ("Vorname;Nachname;Handy\r\n" + rows).encode())
    job_id = job_id_of(response)
    pages = check_pages(web, f"/imports/{job_id}", refused_lines)
    assert [line for page in pages for line in page] == list(range(2, 14))


def test_the_import_jobs_list_is_paged_newest_first(make, web, login_as):
    made = [finished_job(make.default_club, 1) for _ in range(12)]
    finished_job(make.club(name="Elsewhere"), 1)
    login_as("manager")

    def jobs(text):
        section = re.search(r'<section class="card narrow" id="recent">(.*?)</section>', text, re.S).group(1)
        return [int(n) for n in re.findall(r'href="/imports/(\d+)"', section)]

    pages = check_pages(web, "/imports/", jobs)
    assert [i for page in pages for i in page] == made[::-1]
    with statements() as seen:
        web.get("/imports/?page=2")
    listing = selects_of(seen, "import_job")
    assert len(listing) == 1 and "LIMIT" in listing[0] and "import_job.report" not in listing[0]
    assert "import_job.preview" not in listing[0]


# --- the members at risk on the KPI page ------------------------------------------------------------------


def at_risk_members(make, count: int, plan) -> list[int]:
    """COUNT members on PLAN whose membership began 20 days ago and who never came: each is at risk."""
    made = []
    for n in range(count):
        member = make.member(first_name="Risky", last_name=f"R{n:02d}")
        make.membership(member, plan, today=TODAY - timedelta(days=20))
        made.append(member.id)
    return made


def risk_rows(page_html: str) -> list[int]:
    table = re.search(r'<table class="compact data" data-table="at_risk">(.*?)</table>', page_html, re.S)
    return [int(n) for n in re.findall(r'href="/members/(\d+)"', table.group(1))] if table else []


def test_the_members_at_risk_are_paged_on_the_page_and_whole_in_the_csv(make, web, login_as, monkeypatch):
    plan, other = make.plan(name="Monthly"), make.plan(name="Other")
    made = at_risk_members(make, 12, plan)
    at_risk_members(make, 2, other)
    compute_all()   # the KPI page reads the members at risk the worker stored
    login_as("manager")
    url = f"/reports/club?plan={plan.id}"
    pages = check_pages(web, url, risk_rows, param="at_risk_page", sep="&")
    assert sorted(i for page in pages for i in page) == sorted(made)
    link = pager(web.get(url).text, "at_risk_page")["next"]
    assert f"plan={plan.id}" in link and link.startswith("/reports/club?") and link.endswith("#table-at_risk")
    everyone = web.get("/reports/club")
    assert pager(everyone.text, "at_risk_page")["total"] == 14
    # The CSV holds every member at risk, whatever page the HTML shows.
    csv = web.get("/reports/club/at_risk.csv?at_risk_page=2").get_data(as_text=True)
    assert csv.count("Risky") == 14
    # Past the most a report lists (PostgreSQL takes at most 65,535 ids in activity.at_risk's IN list) the page
    # says so.
    from blueprints import report_tables

    monkeypatch.setattr(report_tables, "AT_RISK_MOST", 13)
    capped = web.get("/reports/club")
    assert pager(capped.text, "at_risk_page")["total"] == 13
    assert "Only the 13 most urgent members at risk are listed." in capped.text
    assert web.get("/reports/club/at_risk.csv").get_data(as_text=True).count("Risky") == 13


def test_more_members_at_risk_than_the_old_cap_all_reach_the_csv(make, web, login_as, app):
    # The CSV used to stop at 200 members at risk; the page shows its page of them.
    app.config["LIST_PAGE_SIZE"] = 50
    plan = make.plan()
    members = [make.member(first_name="Risky", last_name=f"R{n:03d}") for n in range(205)]
    staff = make.desk()
    from clubcrm.services import sales

    with unit_of_work():
        for member in members:
            sales.sell_membership(staff, member, plan.id, TODAY - timedelta(days=20))
    compute_all()
    login_as("manager")
    page = web.get("/reports/club")
    assert len(risk_rows(page.text)) == 50 and pager(page.text, "at_risk_page")["total"] == 205
    assert web.get("/reports/club/at_risk.csv").get_data(as_text=True).count("Risky") == 205
