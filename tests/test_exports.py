"""CSV exports: members, memberships and visits of the manager's club, streamed, audited, erased members
without their personal data; and every download (exports, each report table, the import report) written by the
one CSV writer: formulas defused, numbers bare, BOM, the time zone named in instants' headers."""
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from blueprints import report_tables as rt

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Visit
from clubcrm.services import checkin, exports, gdpr
from tests.conftest import NOW
from tests.report_snapshots import compute_all, until_computed
from tests.test_csv_writer import PAYLOADS, safe_rows
from tests.test_import_http import job_id_of, upload, wait_for
from tests.test_report_renewals import contract
from tests.web import field_errors


def download(web, url: str):
    """GET URL, reading the streamed body inside the request's own context (as a WSGI server does)."""
    return web.get(url, buffered=True)


def rows_of(response) -> list[dict]:
    """The download's rows by header, checked as a spreadsheet would read them (tests.test_csv_writer)."""
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    header, *rows = safe_rows(response.get_data(as_text=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_members_export_lists_the_club_with_erased_members_anonymous(make, web, login_as):
    manager = login_as("manager")
    kept = make.member(first_name="Aino", last_name="Mäkinen", email="aino@example.org",
                       birth_date=date(1990, 5, 17), sms_consent=True)
    gone = make.member(first_name="Ville", last_name="Virtanen", email="ville@example.org")
    sneaky = make.member(first_name="=HYPERLINK(\"http://x\")", last_name="-2+3")
    make.member(club=make.club(name="Elsewhere"), first_name="Other")
    with unit_of_work():
        gdpr.erase(manager, gone, "ERASE")
    response = download(web, "/data/members.csv")
    assert isinstance(exports.export(manager, make.default_club, "members"), Iterator)   # lines made as read
    assert response.headers["Content-Disposition"].startswith('attachment; filename="members-club')
    rows = {int(r["id"]): r for r in rows_of(response)}
    assert set(rows) == {kept.id, gone.id, sneaky.id}
    aino = rows[kept.id]
    assert (aino["first_name"], aino["last_name"], aino["phone"]) == ("Aino", "Mäkinen", "'" + kept.phone)
    assert (aino["birth_date"], aino["sms_consent"], aino["created_at (UTC)"]) == ("1990-05-17", "1", NOW.isoformat())
    ville = rows[gone.id]
    assert (ville["first_name"], ville["last_name"]) == ("Erased", f"#{gone.id}")
    assert (ville["phone"], ville["email"], ville["card_code"], ville["erased_at (UTC)"]) == (
        "", "", "", NOW.isoformat())
    # A cell a spreadsheet would run as a formula starts with a quote, a phone's plus sign too (so that it
    # stays text rather than a number without its plus).
    assert rows[sneaky.id]["first_name"] == "'=HYPERLINK(\"http://x\")" and rows[sneaky.id]["last_name"] == "'-2+3"
    assert aino["phone"].startswith("'+358")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (event.staff_id, event.entity, event.after) == (manager.id, "members", None)


def test_memberships_export_has_iso_dates_and_decimal_money(make, web, login_as):
    login_as("manager")
    member = make.member(first_name="Aino", last_name="Mäkinen")
    plan = make.plan(name="Month", price_minor=5950)
    sold = make.membership(member, plan)
    rows = rows_of(download(web, "/data/memberships.csv"))
    assert rows == [{
        "id": str(sold.id), "member_id": str(member.id), "first_name": "Aino", "last_name": "Mäkinen",
        "plan": "Month", "starts_on": "2026-03-10", "ends_on": "2026-04-08", "visit_limit": "", "price": "59.50",
        "currency": "EUR", "renews_id": "", "sold_at (UTC)": NOW.isoformat(), "cancelled_on": "", "cancel_reason": "",
    }]


def test_visits_export_takes_an_optional_period_in_club_days(make, web, login_as):
    manager = login_as("manager")
    member = make.member()
    make.membership(member, make.plan(duration_days=60), today=date(2026, 3, 1), starts_on=date(2026, 3, 1))
    visits = []
    # 23:30 UTC on 4 March is already 5 March in Helsinki.
    for instant in (datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 4, 23, 30, tzinfo=UTC),
                    datetime(2026, 3, 8, 9, tzinfo=UTC)):
        clock.set_now(instant)
        with unit_of_work():
            visits.append(checkin.check_in(manager, member).visit.id)
    clock.set_now(NOW)
    assert [int(r["id"]) for r in rows_of(download(web, "/data/visits.csv"))] == visits
    chosen = rows_of(download(web, "/data/visits.csv?start=2026-03-05&end=2026-03-08"))
    assert [int(r["id"]) for r in chosen] == visits[1:]
    assert chosen[0]["checked_in_at (UTC)"] == "2026-03-04T23:30:00+00:00"   # UTC whatever the club's zone
    assert [int(r["id"]) for r in rows_of(download(web, "/data/visits.csv?end=2026-03-04"))] == visits[:1]
    refused = download(web, "/data/visits.csv?start=2026-03-08&end=2026-03-01")
    assert refused.status_code == 422 and "end" in field_errors(refused)
    assert download(web, "/data/visits.csv?start=not-a-date").status_code == 400
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                               .order_by(AuditEvent.id)).all()[1]
    assert (event.entity, event.after) == ("visits", {"from": "2026-03-05", "to": "2026-03-08"})
    assert db.session.scalar(select(db.func.count()).select_from(Visit)) == 3


def test_the_downloads_are_for_managers(make, web, login_as):
    login_as("desk")
    for kind in ("members", "memberships", "visits"):
        assert download(web, f"/data/{kind}.csv").status_code == 403
    assert download(web, "/data/").status_code == 403
    web.client.post("/logout")
    login_as("manager")
    page = download(web, "/data/")
    assert page.status_code == 200 and 'id="download-visits"' in page.text
    assert 'id="nav-data"' in page.text
    assert download(web, "/data/payments.csv").status_code == 404


# --- every download through the one writer ----------------------------------------------------------------

REPORT_TABLES = {"renewals": ("renewals", "plans", "tools", "activity"),
                 "club": ("leads", "sales", "coverage", "growth", "visits", "cohorts", "at_risk")}
PERIOD = "start=2026-01-01&end=2026-03-10"


@pytest.fixture
def sneaky(make):
    """Members named like formulas, one per payload, on a plan named like one: a January cycle that ended, and
    a live contract ending within 14 days (so each is at risk), in a club and a chain's second club."""
    plan = make.plan(name="@SUM(1)", duration_days=30)
    people = []
    for payload in PAYLOADS:
        member = make.member(first_name=payload, last_name="X", notes=payload, interest="-1")
        contract(member, plan, date(2026, 1, 1), date(2026, 1, 30))
        contract(member, plan, date(2026, 2, 20), date(2026, 3, 21))
        people.append(member)
    elsewhere = make.club(name='=HYPERLINK("http://club")')
    contract(make.member(club=elsewhere), make.plan(club=elsewhere), date(2026, 1, 1), date(2026, 1, 30))
    compute_all()   # the report pages read the figures the worker stored
    return plan, people


def test_every_report_tables_csv_defuses_formulas(web, login_as, sneaky):
    plan, people = sneaky
    login_as("manager")
    cells = {}
    for name, keys in REPORT_TABLES.items():
        for key in keys:
            response = until_computed(web.get, f"/reports/{name}/{key}.csv?{PERIOD}")
            assert response.status_code == 200 and response.mimetype == "text/csv", (name, key)
            cells[key] = safe_rows(response.get_data(as_text=True))   # BOM, no runnable cell, numbers bare
    assert ["'@SUM(1)"] == [row[0] for row in cells["plans"][1:]]
    assert {row[0] for row in cells["at_risk"][1:]} == {f"'{p} X" for p in PAYLOADS}
    assert {row[1] for row in cells["at_risk"][1:]} == {"'" + p.phone for p in people}
    web.client.post("/logout")
    login_as("owner")   # the chain: a table per club, one of them named like a formula
    response = until_computed(web.get, f"/reports/renewals/clubs.csv?club=all&{PERIOD}")
    assert "'=HYPERLINK(\"http://club\")" in [row[0] for row in safe_rows(response.get_data(as_text=True))]


def test_report_csv_money_is_a_decimal_negatives_stay_numbers_and_instants_name_the_clubs_zone():
    table = rt.Table("t", "T", [rt.Column("difference", "What it adds", "points"), rt.Column("cost", "Cost", "money"),
                                rt.Column("at", "Sent", "instant"), rt.Column("tool", "=Tool")],
                     [{"difference": -0.0512, "cost": -1250, "currency": "EUR",
                       "at": datetime(2026, 3, 4, 23, 30, tzinfo=UTC), "tool": "-renewal"}])
    text = "".join(table.csv("Europe/Helsinki"))
    assert text.split("\r\n")[1] == '-0.0512,-12.50,"2026-03-05T01:30:00+02:00","\'-renewal"'
    assert safe_rows(text)[0] == ["What it adds", "Cost", "Sent (Europe/Helsinki)", "'=Tool"]


def test_the_import_report_defuses_a_crafted_header_and_the_members_export_their_names(web, login_as, runner,
                                                                                       tmp_path):
    manager = login_as("manager")
    # The crafted header names a phone column, so that even the CLI's guess maps it (a refusal then shows it).
    data = ('Vorname;Nachname;"=HYPERLINK(""http://x"",""Handy"")"\r\n'
            '=HYPERLINK("http://y");A;040 111 2222\r\n+1;B;040 111 3333\r\n-2+3;C;12\r\n@SUM(1);D;040 111 4444\r\n')
    refused = [["Line", "Column", "Field", "Problem"],
               ["4", "'=HYPERLINK(\"http://x\",\"Handy\")", "Phone", "This is not a valid phone number."]]
    path, written = tmp_path / "m.csv", tmp_path / "refused.csv"
    path.write_bytes(data.encode())
    result = runner.invoke(args=["import", "members", str(path), "--club", str(manager.club_id), "--dry-run",
                                 "--report", str(written)])
    assert result.exit_code == 0, result.output
    assert safe_rows(written.read_bytes().decode("utf-8")) == refused   # the CLI's --report

    job_id = job_id_of(upload(web, data.encode(), "m.csv"))
    fields = {"fields-0": "first_name", "fields-1": "last_name", "fields-2": "phone"}
    web.post(f"/imports/{job_id}", data={**fields, "mode": "valid", "action": "import"})
    wait_for(web, job_id)
    report = web.get(f"/imports/{job_id}/report.csv")
    assert report.mimetype == "text/csv"
    assert safe_rows(report.get_data(as_text=True)) == refused
    names = {r["first_name"] for r in rows_of(web.get("/data/members.csv"))}
    assert {"'=HYPERLINK(\"http://y\")", "'+1", "'@SUM(1)"} <= names
