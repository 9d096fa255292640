"""A club's opening hours (issue 17): one interval a weekday or closed, set by a manager on the settings page, and
the opening-time arithmetic that a lead's first call and the time to the first contact will count in: across
closed evenings and days, summer time, a start before opening, and a club closed every day (counted as always
open). The arithmetic needs no database; the rest runs on SQLite and PostgreSQL."""
import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from clubcrm import demo
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput, InvalidInputs
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Club, OpeningHour
from clubcrm.services import clubs, first_run
from clubcrm.services.opening_hours import (DEFAULT_WEEK, Hours, add_open_time, form_values, open_time_between,
                                            update, week_of)
from tests.conftest import ENGINES, NOW, make_app
from tests.factories import Factory
from tests.statements import statements
from tests.test_migrations import alembic_config
from tests.web import field_errors, flashes

HELSINKI = "Europe/Helsinki"
DEFAULT = Hours(DEFAULT_WEEK, HELSINKI)
ROUND_THE_CLOCK = Hours({day: (0, 1440) for day in range(7)}, HELSINKI)
URL = "/settings/opening-hours"


def local(*args, zone: str = HELSINKI) -> datetime:
    """A wall-clock time in ZONE as a UTC instant."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


# --- the arithmetic -------------------------------------------------------------------------------------------

def test_inside_the_hours_the_minutes_pass_as_on_the_clock():
    # Tuesday 10 March 2026, 10:00 in Helsinki.
    assert add_open_time(DEFAULT, local(2026, 3, 10, 10, 0), 60) == local(2026, 3, 10, 11, 0)
    assert add_open_time(DEFAULT, local(2026, 3, 10, 21, 0), 60) == local(2026, 3, 10, 22, 0)   # the last hour


def test_across_a_closed_evening_the_next_mornings_first_hour_counts():
    # Friday 21:30, closing at 22:00, Saturday opening at 08:00: 30 minutes on Friday and 30 on Saturday.
    assert add_open_time(DEFAULT, local(2026, 3, 13, 21, 30), 60) == local(2026, 3, 14, 8, 30)
    # A weekday evening: Tuesday 21:30 -> Wednesday 06:30.
    assert add_open_time(DEFAULT, local(2026, 3, 10, 21, 30), 60) == local(2026, 3, 11, 6, 30)
    # Arriving after closing: the next morning's first hour, whole.
    assert add_open_time(DEFAULT, local(2026, 3, 10, 23, 15), 60) == local(2026, 3, 11, 7, 0)


def test_a_closed_weekday_is_skipped():
    no_sunday = Hours({day: span for day, span in DEFAULT_WEEK.items() if day != 6}, HELSINKI)
    # Saturday 14 March 19:30: 30 minutes to 20:00, Sunday closed, Monday 06:00 + 30.
    assert add_open_time(no_sunday, local(2026, 3, 14, 19, 30), 60) == local(2026, 3, 16, 6, 30)
    # Only Wednesdays open: from a Thursday, a week on.
    wednesdays = Hours({2: (600, 720)}, HELSINKI)
    assert add_open_time(wednesdays, local(2026, 3, 12, 9, 0), 150) == local(2026, 3, 25, 10, 30)


def test_a_start_before_opening_counts_from_the_opening():
    assert add_open_time(DEFAULT, local(2026, 3, 10, 5, 0), 30) == local(2026, 3, 10, 6, 30)
    assert add_open_time(DEFAULT, local(2026, 3, 10, 0, 0), 0) == local(2026, 3, 10, 6, 0)
    assert add_open_time(DEFAULT, local(2026, 3, 10, 12, 0), 0) == local(2026, 3, 10, 12, 0)


def test_summer_time_is_counted_on_the_clubs_clock():
    # Helsinki moves its clocks from 03:00 to 04:00 on Sunday 29 March 2026 (UTC+2 -> UTC+3): Saturday 19:30 plus
    # an hour is Sunday 08:30 on the wall, 05:30 UTC (a fixed offset would say 06:30 UTC).
    due = add_open_time(DEFAULT, local(2026, 3, 28, 19, 30), 60)
    assert due == local(2026, 3, 29, 8, 30) == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)
    # And back on Sunday 25 October (04:00 -> 03:00, UTC+3 -> UTC+2): Sunday 08:30 is 06:30 UTC.
    assert add_open_time(DEFAULT, local(2026, 10, 24, 19, 30), 60) == datetime(2026, 10, 25, 6, 30, tzinfo=UTC)
    # A club open round the clock: the short night has 23 hours, the long one 25.
    assert open_time_between(ROUND_THE_CLOCK, local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == timedelta(hours=23)
    assert open_time_between(ROUND_THE_CLOCK, local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0)) == \
        timedelta(hours=25)
    # Over the jump, four hours of opening are four real hours: Saturday 23:00 (21:00 UTC) -> 01:00 UTC = 04:00.
    assert add_open_time(ROUND_THE_CLOCK, local(2026, 3, 28, 23, 0), 240) == local(2026, 3, 29, 4, 0)


def test_a_club_closed_every_day_counts_as_always_open():
    for week in ({}, {0: (600, 600)}, {9: (60, 120)}):   # nothing open, an empty interval, no such weekday
        closed = Hours(week, HELSINKI)
        assert add_open_time(closed, local(2026, 3, 10, 23, 0), 90) == local(2026, 3, 11, 0, 30)
        assert open_time_between(closed, local(2026, 3, 10, 23, 0), local(2026, 3, 11, 1, 0)) == timedelta(hours=2)


def test_open_time_between_two_instants():
    # The Friday-evening lead reached on Saturday 08:30: an hour of opening time.
    assert open_time_between(DEFAULT, local(2026, 3, 13, 21, 30), local(2026, 3, 14, 8, 30)) == timedelta(hours=1)
    # A whole week: five days of 16 hours and two of 12.
    assert open_time_between(DEFAULT, local(2026, 3, 9, 0, 0), local(2026, 3, 16, 0, 0)) == timedelta(hours=104)
    # Both in a closed night, or the end not after the start: nothing.
    assert open_time_between(DEFAULT, local(2026, 3, 10, 22, 30), local(2026, 3, 11, 5, 0)) == timedelta(0)
    assert open_time_between(DEFAULT, local(2026, 3, 11, 12, 0), local(2026, 3, 10, 12, 0)) == timedelta(0)


def test_naive_instants_and_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        add_open_time(DEFAULT, datetime(2026, 3, 10, 10, 0), 60)
    with pytest.raises(ValueError):
        add_open_time(DEFAULT, NOW, -1)
    with pytest.raises(ValueError):
        open_time_between(DEFAULT, NOW, datetime(2026, 3, 11))


SPANS = st.tuples(st.integers(0, 1439), st.integers(1, 1440)).map(lambda s: (min(s), max(s[0] + 1, s[1])))


@settings(max_examples=300, deadline=None)
@given(week=st.dictionaries(st.integers(0, 6), SPANS.filter(lambda s: s[1] <= 1440)),
       zone=st.sampled_from([HELSINKI, "America/New_York", "Australia/Lord_Howe", "UTC"]),
       start=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
       count=st.integers(0, 5000))
def test_adding_then_measuring_gives_the_minutes_back(week, zone, start, count):
    """Whatever the week and zone (Lord Howe moves its clocks by half an hour), the opening time between a start
    and the moment COUNT minutes of it have passed is COUNT minutes, and that moment is never before the start."""
    hours = Hours(week, zone)
    due = add_open_time(hours, start, count)
    assert due >= start
    assert minutes(open_time_between(hours, start, due)) == count


# --- a club's stored hours ------------------------------------------------------------------------------------

GOOD = {**{f"opens_{day}": "07:00" for day in range(7)}, **{f"closes_{day}": "21:30" for day in range(7)}}


def audits(entity: str = "opening_hours") -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)))


def stored(club: Club) -> dict:
    db.session.expire_all()
    return week_of(club)


def test_a_new_club_opens_with_the_default_hours(ctx):
    with unit_of_work():
        club = clubs.create(None, {"name": "Harbour Gym", "timezone": HELSINKI, "currency": "EUR", "country": "FI",
                                   "default_locale": "fi"})
    assert stored(club) == DEFAULT_WEEK == {0: (360, 1320), 1: (360, 1320), 2: (360, 1320), 3: (360, 1320),
                                            4: (360, 1320), 5: (480, 1200), 6: (480, 1200)}


def test_the_first_run_and_the_cli_give_their_clubs_the_default_hours(ctx, runner):
    with unit_of_work():
        club, _owner = first_run.set_up({"club_name": "First", "timezone": HELSINKI, "currency": "EUR",
                                         "country": "FI", "locale": "en", "owner_email": "owner@example.com",
                                         "owner_password": "long-enough-pass"})
    assert stored(club) == DEFAULT_WEEK
    added = runner.invoke(args=["club", "add", "--club-name", "Second", "--country", "FI", "--timezone", HELSINKI,
                                "--currency", "EUR", "--locale", "fi"])
    assert added.exit_code == 0, added.output
    second = db.session.scalar(select(Club).where(Club.name == "Second"))
    assert stored(second) == DEFAULT_WEEK


def test_the_demo_club_opens_with_the_default_hours(ctx):
    club = demo.load(members_count=4, days=2)
    assert stored(club) == DEFAULT_WEEK


def test_week_of_reads_one_statement(make):
    club = make.club()
    with unit_of_work():
        update(make.staff("manager", club=club), club, {**GOOD, "closed_6": "y"})
    db.session.expire_all()
    club = db.session.get(Club, club.id)
    with statements() as seen:
        week = week_of(club)
    assert len(seen) == 1 and week == {day: (420, 1290) for day in range(6)}


def test_a_manager_sets_the_hours_and_the_change_is_audited(make):
    club = make.club()   # the factory's club has no hours: closed every day
    manager = make.staff("manager", club=club)
    with unit_of_work():
        update(manager, club, form_values(DEFAULT_WEEK))
    assert stored(club) == DEFAULT_WEEK
    assert audits()[-1].before == dict.fromkeys(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    with unit_of_work():   # saved unchanged: nothing to audit
        update(manager, club, form_values(DEFAULT_WEEK))
    assert len(audits()) == 1
    data = {**form_values(DEFAULT_WEEK), "opens_0": "7:00", "closes_4": "24:00", "closed_6": True,
            "opens_6": "not read when closed", "closes_5": "18.30"}
    with unit_of_work():
        update(manager, club, data)
    assert stored(club) == {0: (420, 1320), 1: (360, 1320), 2: (360, 1320), 3: (360, 1320), 4: (360, 1440),
                            5: (480, 1110)}
    event = audits()[-1]
    assert (event.staff_id, event.action, event.entity_id, event.club_id) == (manager.id, "update", club.id, club.id)
    assert event.before == {"monday": "06:00-22:00", "friday": "06:00-22:00", "saturday": "08:00-20:00",
                            "sunday": "08:00-20:00"}
    assert event.after == {"monday": "07:00-22:00", "friday": "06:00-24:00", "saturday": "08:00-18:30",
                           "sunday": None}
    # Opening on Sunday again adds its row back.
    with unit_of_work():
        update(manager, club, {**data, "closed_6": False, "opens_6": "10:00", "closes_6": "16:00"})
    assert stored(club)[6] == (600, 960)


@pytest.mark.parametrize("changes, field", [
    ({"opens_0": "25:00"}, "opens_0"),
    ({"opens_1": "abc"}, "opens_1"),
    ({"opens_2": ""}, "opens_2"),
    ({"opens_3": None}, "opens_3"),
    ({"opens_4": "24:00"}, "opens_4"),          # 24:00 closes a day; it opens none
    ({"opens_5": "06:60"}, "opens_5"),
    ({"closes_6": "24:01"}, "closes_6"),
    ({"closes_0": "6"}, "closes_0"),
    ({"closes_1": "06:00"}, "closes_1"),        # before opening
    ({"closes_2": "07:00"}, "closes_2"),        # at opening
    ({"closes_3": "\x00"}, "closes_3"),
    ({"opens_4": 7}, "opens_4"),
])
def test_a_bad_time_is_refused_on_its_field_and_nothing_is_written(make, changes, field):
    club = make.club()
    manager = make.staff("manager", club=club)
    with unit_of_work():
        update(manager, club, GOOD)
    before, trail = stored(club), len(audits())
    # The other days change too: a refused form writes none of them.
    data = {**GOOD, **{f"opens_{day}": "08:00" for day in range(7) if f"opens_{day}" not in changes}, **changes}
    with pytest.raises(InvalidInput) as refused, unit_of_work():
        update(manager, club, data)
    assert refused.value.field == field
    assert stored(club) == before and len(audits()) == trail


def test_every_bad_field_is_named_at_once(make):
    club = make.club()
    with pytest.raises(InvalidInputs) as refused, unit_of_work():
        update(make.staff("manager", club=club), club,
               {**GOOD, "opens_0": "x", "closes_0": "y", "closes_3": "05:00", "closed_5": True, "opens_5": "x"})
    assert [error.field for error in refused.value.errors] == ["opens_0", "closes_0", "closes_3"]
    assert stored(club) == {}


def test_the_database_refuses_what_the_service_would(make):
    club = make.club()
    for bad in ({"weekday": 7, "opens_minute": 60, "closes_minute": 120},
                {"weekday": 0, "opens_minute": 600, "closes_minute": 600},
                {"weekday": 0, "opens_minute": 60, "closes_minute": 1441}):
        with pytest.raises(Exception, match="(?i)check"), unit_of_work():
            db.session.add(OpeningHour(club_id=club.id, **bad))
    with unit_of_work():
        db.session.add(OpeningHour(club_id=club.id, weekday=0, opens_minute=60, closes_minute=120))
    with pytest.raises(Exception, match="(?i)unique"), unit_of_work():
        db.session.add(OpeningHour(club_id=club.id, weekday=0, opens_minute=600, closes_minute=1200))


def test_the_club_is_read_for_the_arithmetic(make):
    club = make.club(timezone="America/New_York")
    with unit_of_work():
        update(make.staff("manager", club=club), club, {**GOOD, "closed_5": True, "closed_6": True})
    # Friday 13 March 2026 21:00 in New York: 30 minutes, the weekend closed, Monday 07:30 (after the US switch
    # to summer time on 8 March, so UTC-4).
    assert add_open_time(club, local(2026, 3, 13, 21, 0, zone="America/New_York"), 60) == \
        datetime(2026, 3, 16, 11, 30, tzinfo=UTC)
    assert open_time_between(club, local(2026, 3, 13, 21, 0, zone="America/New_York"),
                             datetime(2026, 3, 16, 11, 30, tzinfo=UTC)) == timedelta(hours=1)


# --- the migration --------------------------------------------------------------------------------------------

BEFORE_OPENING_HOURS = "d7f3a1c5e9b2"


@pytest.mark.parametrize("engine", ENGINES)
def test_clubs_that_exist_before_the_migration_get_the_default_hours(request, tmp_path, engine):
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database(f"hours_{secrets.token_hex(4)}")
    app = make_app(url)
    with app.app_context():
        config = alembic_config(app)
        command.upgrade(config, BEFORE_OPENING_HOURS)
        with db.engine.begin() as connection:
            for club_id in (1, 2):
                connection.execute(text("INSERT INTO club (id, name, timezone, currency, country, default_locale, "
                                        "created_at) VALUES (:id, 'North', 'UTC', 'EUR', 'FI', 'en', :now)"),
                                   {"id": club_id, "now": NOW})
        command.upgrade(config, "head")
        for club_id in (1, 2):
            assert week_of(db.session.get(Club, club_id)) == DEFAULT_WEEK
        assert db.session.scalar(select(func.count()).select_from(OpeningHour)) == 14
        db.session.remove()
        command.downgrade(config, BEFORE_OPENING_HOURS)
        command.upgrade(config, "head")
        db.engine.dispose()


# --- the settings page ----------------------------------------------------------------------------------------

def test_a_manager_sees_seven_rows_in_their_language(web, login_as, make):
    club = make.default_club
    with unit_of_work():
        update(make.staff("manager", club=club), club, {**form_values(DEFAULT_WEEK), "closed_6": True})
    login_as("manager")
    page = web.get("/settings/")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-weekday="(\d)"><th scope="row">([^<]+)</th>', page.text)
    assert rows == [(str(day), name) for day, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))]
    assert 'name="opens_0" placeholder="HH:MM" size="5" type="text" value="06:00"' in page.text
    assert 'name="closes_5"' in page.text and 'value="20:00"' in page.text
    assert re.search(r'<input[^>]*checked[^>]*name="closed_6"', page.text)
    web.post("/locale", {"locale": "de", "next": "/settings/"})
    german = web.get("/settings/").text
    assert "<th scope=\"row\">Montag</th>" in german and "<th scope=\"row\">Sonntag</th>" in german
    assert "<h2>Öffnungszeiten</h2>" in german
    web.post("/locale", {"locale": "fi", "next": "/settings/"})
    assert "<th scope=\"row\">Maanantai</th>" in web.get("/settings/").text


def test_the_settings_form_saves_over_http(web, login_as, make):
    club = make.default_club
    manager = login_as("manager")
    form = {**GOOD, "closes_4": "24:00", "closed_6": "y", "opens_6": "", "closes_6": ""}
    saved = web.post(URL, form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/settings/#hours")
    assert stored(club) == {**{day: (420, 1290) for day in range(6)}, 4: (420, 1440)}
    page = web.get("/settings/")
    assert "Opening hours saved." in flashes(page)
    assert 'name="closes_4" placeholder="HH:MM" size="5" type="text" value="24:00"' in page.text
    assert audits()[-1].staff_id == manager.id


def test_the_settings_form_shows_each_refusal_on_its_field(web, login_as, make):
    club = make.default_club
    login_as("manager")
    web.post(URL, GOOD)
    before, trail = stored(club), len(audits())
    refused = web.post(URL, {**GOOD, "opens_1": "7 am", "closes_2": "06:00", "opens_3": "08:00"})
    assert refused.status_code == 422
    assert field_errors(refused) == {"opens_1": ["Enter a time such as 09:00."],
                                     "closes_2": ["Closing must be after opening."]}
    assert 'value="7 am"' in refused.text   # what was typed stays to be corrected
    assert stored(club) == before and len(audits()) == trail


def test_desk_staff_cannot_change_the_hours(web, login_as, make):
    club = make.default_club
    login_as("desk")
    assert web.post(URL, GOOD).status_code == 403
    assert stored(club) == {}


def test_the_form_needs_its_csrf_token(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    with app.app_context():
        factory = Factory(app)
        manager, club = factory.staff("manager"), factory.default_club
        client = app.test_client()
        login = client.get("/login").text
        assert client.post("/login", data={"email": manager.email, "password": "secret-pass",
                                           "csrf_token": token.search(login)[1]}).status_code == 302
        page = client.get("/settings/").text
        form = page[page.index('id="opening-hours"'):]
        assert client.post(URL, data=GOOD).status_code == 400
        assert stored(club) == {}
        saved = client.post(URL, data={**GOOD, "csrf_token": token.search(form)[1]})
        assert saved.status_code == 302
        assert stored(club) == {day: (420, 1290) for day in range(7)}
        db.session.remove()
        db.engine.dispose()
