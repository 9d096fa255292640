"""Settings → Clubs: an owner lists, adds, edits, closes and reopens the clubs of the chain; managers keep their
own club's settings; `clubcrm club add|list`; plan names unique per club; a club's own SMS sender."""
import importlib.util
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Club, Message, Plan, Rule, Tool
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.client import close_client, make_client, settings_from
from tests.conftest import ENGINES, NOW, ROOT, TODAY, make_app
from tests.concurrency import at_once
from tests.fake_twilio import DEFAULT_FROM
from tests.web import field_errors

NEW = {"name": "Southside Gym", "timezone": "Europe/Berlin", "currency": "eur", "country": "de",
       "default_locale": "de", "phone": "030 1234567"}
SERVICE_SID = "MG" + "ab" * 16


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def edit_data(club, **changes) -> dict:
    return {"name": club.name, "phone": "", "timezone": club.timezone, "currency": club.currency,
            "country": club.country, "default_locale": club.default_locale, "sms_window_start": "09:00",
            "sms_window_end": "20:00", "sms_day_cap": "1", "sms_week_cap": "3", "sms_from": "",
            "sms_messaging_service_sid": "", **changes}


def test_an_owner_adds_edits_closes_and_reopens_a_club_on_the_web(make, web, login_as):
    first = make.default_club
    make.member()
    login_as("owner")
    listing = web.get("/settings/clubs/")
    assert listing.status_code == 200 and first.name in listing.text

    refused = web.post("/settings/clubs/", {**NEW, "timezone": "Mars/Olympus"})
    assert refused.status_code == 422 and "timezone" in field_errors(refused) and count(Club) == 1
    added = web.post("/settings/clubs/", NEW)
    assert added.status_code == 302
    club = db.session.scalar(select(Club).where(Club.name == "Southside Gym"))
    assert (club.currency, club.country, club.phone) == ("EUR", "DE", "+49301234567")
    assert count(Rule, Rule.club_id == club.id) and count(Tool, Tool.club_id == club.id)   # default lifecycle rules
    assert "Southside Gym" in web.get("/settings/clubs/").text

    bad = web.post(f"/settings/clubs/{club.id}", edit_data(club, sms_window_end="22:30"))
    assert bad.status_code == 422 and "sms_window_end" in field_errors(bad)
    bad = web.post(f"/settings/clubs/{club.id}", edit_data(club, sms_messaging_service_sid="MG123"))
    assert bad.status_code == 422 and "sms_messaging_service_sid" in field_errors(bad)
    saved = web.post(f"/settings/clubs/{club.id}", edit_data(
        club, name="Southside", sms_window_start="10:00", sms_window_end="19:30", sms_day_cap="2",
        sms_week_cap="5", sms_from="+49 30 7654321", phone="+49301234567"))
    assert saved.status_code == 302, field_errors(saved)
    db.session.expire_all()
    club = db.session.get(Club, club.id)
    assert (club.name, club.quiet_end_minute, club.quiet_start_minute, club.sms_day_cap, club.sms_week_cap,
            club.sms_from) == ("Southside", 600, 1170, 2, 5, "+49307654321")

    bad_day = web.post(f"/settings/clubs/{club.id}/close", {"closed_on": "2026-02-30"})
    assert bad_day.status_code == 422 and "closed_on" in field_errors(bad_day)
    closed = web.post(f"/settings/clubs/{club.id}/close", {"closed_on": (TODAY + timedelta(days=7)).isoformat()})
    assert closed.status_code == 302
    assert count(Club, Club.id == club.id, Club.closed_on == TODAY + timedelta(days=7)) == 1
    assert web.post(f"/settings/clubs/{club.id}/reopen").status_code == 302
    assert count(Club, Club.id == club.id, Club.closed_on.is_(None)) == 1
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "club",
                                                                AuditEvent.entity_id == club.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["create", "update", "close", "reopen"]


def test_a_manager_is_refused_clubs_but_edits_their_own_clubs_settings(make, web, login_as):
    club = make.default_club
    login_as("manager")
    assert web.get("/settings/clubs/").status_code == 403
    assert web.post("/settings/clubs/", NEW).status_code == 403
    assert web.post(f"/settings/clubs/{club.id}/close", {"closed_on": TODAY.isoformat()}).status_code == 403
    assert count(Club) == 1 and count(Club, Club.closed_on.is_not(None)) == 0
    saved = web.post("/settings/club", {"name": "Renamed", "timezone": "Europe/Helsinki", "currency": "EUR",
                                        "country": "FI", "default_locale": "en"})
    assert saved.status_code == 302 and count(Club, Club.name == "Renamed") == 1


def test_club_add_and_list_from_the_shell(app, runner, make):
    assert make.default_club.id   # the installation's first club
    args = ["club", "add", "--club-name", "Harbour Gym", "--country", "FI", "--timezone", "Europe/Helsinki",
            "--currency", "EUR", "--locale", "fi"]
    bad = runner.invoke(args=[*args[:-1], "xx"])
    assert bad.exit_code != 0 and "--locale" in bad.output and count(Club) == 1
    bad = runner.invoke(args=[*args, "--phone", "12"])
    assert bad.exit_code != 0 and "--phone" in bad.output and count(Club) == 1
    added = runner.invoke(args=args)
    assert added.exit_code == 0, added.output
    club = db.session.scalar(select(Club).where(Club.name == "Harbour Gym"))
    assert club.default_locale == "fi" and count(Rule, Rule.club_id == club.id)
    with unit_of_work():
        db.session.get(Club, club.id).closed_on = TODAY
    listed = runner.invoke(args=["club", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["id", "name", "timezone", "currency", "status"]
    harbour = next(line for line in lines if "Harbour Gym" in line)
    assert harbour.split()[0] == str(club.id) and "Europe/Helsinki" in harbour and "closed from 2026-03-10" in harbour


def test_a_duplicate_plan_name_is_refused_in_the_same_club_only(make, web, login_as):
    other = make.club(name="Other")
    make.plan(name="Month")
    make.plan(club=other, name="Month")           # another club may use the name
    login_as("manager")
    refused = web.post("/settings/plans", {"name": " month ", "duration_days": "30", "price": "40"})
    assert refused.status_code == 422 and field_errors(refused)["name"]
    assert count(Plan) == 2
    assert web.post("/settings/plans", {"name": "Year", "duration_days": "365", "price": "400"}).status_code == 302


def test_the_migration_renames_duplicate_plan_names_deterministically():
    path = ROOT / "migrations" / "versions" / "c7a1e4d93b52_clubs_of_a_chain.py"
    spec = importlib.util.spec_from_file_location("clubs_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = [(5, 1, "Month"), (2, 1, "Month"), (7, 1, "month"), (9, 1, "Month (2)"), (3, 2, "Month"),
            (11, 1, "x" * 80), (12, 1, "x" * 80)]
    assert module.renames(rows) == [(5, "Month", "Month (3)"), (7, "month", "month (4)"),
                                    (12, "x" * 80, "x" * 76 + " (2)")]


def test_each_clubs_own_sender_reaches_twilio_and_others_use_the_installations(make, fake_twilio):
    by_number = make.club(name="Own number", sms_from="+358401112223")
    by_service = make.club(name="Own service", sms_messaging_service_sid=SERVICE_SID)
    plain = make.default_club
    with unit_of_work():
        for club in (by_number, by_service, plain):
            member = make.member(club=club, sms_consent=True)
            db.session.add(Message(club_id=club.id, member_id=member.id, idempotency_key=f"s:{club.id}",
                                   to_phone=member.phone, body=f"From {club.name}", locale="en", encoding="GSM-7",
                                   segments=1, status="queued", due_at=NOW, created_at=NOW))
    settings = settings_from(fake_twilio.config())
    client = make_client(settings)
    try:
        assert dispatching.dispatch(NOW, settings, client).sent == 3
    finally:
        close_client(client)
    got = {message.body: (message.from_, message.messaging_service_sid) for message in fake_twilio.received}
    assert got == {"From Own number": ("+358401112223", None), "From Own service": (None, SERVICE_SID),
                   f"From {plain.name}": (DEFAULT_FROM, None)}


@pytest.fixture(params=ENGINES)
def empty_url(request, tmp_path) -> str:
    """An empty database of its own on each engine, for migrating step by step."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steps.db'}"
    return request.getfixturevalue("pg_cluster").create_database("clubs_plan_names")


def test_upgrading_renames_a_clubs_duplicate_plan_names(empty_url, capsys):
    app = make_app(empty_url)
    directory = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=directory, revision="f384f63a994b")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO club (id, name, timezone, currency, country, default_locale, "
                                    "touch_budget_min, touch_budget_max, sms_gap_days, quiet_end_minute, "
                                    "quiet_start_minute, sms_day_cap, sms_week_cap, created_at) VALUES "
                                    "(1, 'A', 'UTC', 'EUR', 'FI', 'en', 10, 15, 3, 540, 1200, 1, 3, :now), "
                                    "(2, 'B', 'UTC', 'EUR', 'FI', 'en', 10, 15, 3, 540, 1200, 1, 3, :now)"),
                               {"now": NOW})
            for plan_id, club_id, name in ((1, 1, "Month"), (2, 1, "Month"), (3, 2, "Month"), (4, 1, "MONTH")):
                connection.execute(text("INSERT INTO plan (id, club_id, name, duration_days, price_minor, currency, "
                                        "service_units, active) VALUES (:id, :club, :name, 30, 100, 'EUR', 0, "
                                        ":active)"), {"id": plan_id, "club": club_id, "name": name, "active": True})
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            names = dict(connection.execute(text("SELECT id, name FROM plan ORDER BY id")).all())
        db.engine.dispose()
    assert names == {1: "Month", 2: "Month (2)", 3: "Month", 4: "MONTH (3)"}
    assert "renamed 'Month' to 'Month (2)'" in capsys.readouterr().out


def test_the_same_plan_added_from_four_places_at_once_is_one_plan_and_three_refusals(app, make):
    club_id, manager_id = make.default_club.id, make.staff("manager").id

    def add():
        from clubcrm.models import Staff
        from clubcrm.services import settings

        with unit_of_work():
            settings.add_plan(db.session.get(Staff, manager_id), db.session.get(Club, club_id),
                              {"name": "Month", "duration_days": 30, "price": Decimal("40")})
        return "added"

    assert sorted(at_once(app, 4, add)) == ["added", "duplicate", "duplicate", "duplicate"]
    assert count(Plan, Plan.name == "Month") == 1
