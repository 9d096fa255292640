"""CSV exports: members, memberships and visits of the manager's club, streamed, audited, erased members
without their personal data."""
import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy import select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Visit
from clubcrm.services import checkin, exports, gdpr
from tests.conftest import NOW
from tests.web import field_errors


def download(web, url: str):
    """GET URL, reading the streamed body inside the request's own context (as a WSGI server does)."""
    return web.get(url, buffered=True)


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


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
    assert (aino["first_name"], aino["last_name"], aino["phone"]) == ("Aino", "Mäkinen", kept.phone)
    assert (aino["birth_date"], aino["sms_consent"], aino["created_at"]) == ("1990-05-17", "1", NOW.isoformat())
    ville = rows[gone.id]
    assert (ville["first_name"], ville["last_name"]) == ("Erased", f"#{gone.id}")
    assert (ville["phone"], ville["email"], ville["card_code"], ville["erased_at"]) == ("", "", "", NOW.isoformat())
    # A cell a spreadsheet would run as a formula starts with a quote; a phone's plus sign is left alone.
    assert rows[sneaky.id]["first_name"].startswith("'=") and rows[sneaky.id]["last_name"] == "'-2+3"
    assert aino["phone"].startswith("+358")
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
        "currency": "EUR", "renews_id": "", "sold_at": NOW.isoformat(), "cancelled_on": "", "cancel_reason": "",
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
    assert chosen[0]["checked_in_at"] == "2026-03-04T23:30:00+00:00"
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
