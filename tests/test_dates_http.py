"""Dates typed and shown in the reader's language, through the pages (issue 16, item 10): a German reader types and
reads 17.03.2026 in the member, session, trainers and reports forms; ISO still works; a bad day names the format.
The formats themselves are tested in tests/test_dates.py, the calendar in tests/browser/test_datepicker_browser.py."""
import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import ClubSession, Member
from tests.web import field_errors

HELSINKI = ZoneInfo("Europe/Helsinki")   # the test club's zone
PATTERNS = {"en": "M/d/yyyy", "de": "dd.MM.yyyy", "ru": "dd.MM.yyyy", "fi": "d.M.yyyy", "sl": "d. M. yyyy",
            "sk": "d. M. yyyy"}


def speak(client, locale: str) -> None:
    assert client.post("/locale", data={"locale": locale}).status_code == 302


def lead(**values) -> dict:
    return {"first_name": "Irina", "last_name": "Test", "phone": "", "email": "", "card_code": "", "birth_date": "",
            "locale": "en", "interest": "", "notes": "", **values}


def input_tag(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, name
    return html.unescape(found.group(0))


def test_a_german_user_types_a_birth_date_the_german_way(web, login_as, client):
    login_as("desk")
    speak(client, "de")
    form = web.get("/members/new").text
    tag = input_tag(form, "birth_date")
    assert 'type="text"' in tag and 'placeholder="dd.MM.yyyy"' in tag and 'data-date-format="dd.MM.yyyy"' in tag
    assert 'inputmode="numeric"' in tag and 'autocomplete="off"' in tag
    response = web.post("/members/new", lead(birth_date="7.3.1985"))
    assert response.status_code == 302, field_errors(response)
    member = db.session.scalar(select(Member))
    assert member.birth_date == date(1985, 3, 7)
    edit = web.get(f"/members/{member.id}/edit").text
    assert 'value="07.03.1985"' in input_tag(edit, "birth_date")


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_the_stored_birth_date_is_shown_in_the_readers_format(web, login_as, client, make, locale):
    login_as("desk")
    member = make.member(birth_date=date(2001, 3, 7))
    speak(client, locale)
    tag = input_tag(web.get(f"/members/{member.id}/edit").text, "birth_date")
    shown = {"en": "3/7/2001", "de": "07.03.2001", "ru": "07.03.2001", "fi": "7.3.2001", "sl": "7. 3. 2001",
             "sk": "7. 3. 2001"}[locale]
    assert f'value="{shown}"' in tag and f'placeholder="{PATTERNS[locale]}"' in tag


def test_a_bad_date_says_which_format_it_wants(web, login_as, client):
    login_as("desk")
    response = web.post("/members/new", lead(birth_date="17.13.1985"))
    assert response.status_code == 422
    assert field_errors(response) == {"birth_date": ["Enter a date as M/d/yyyy."]}
    assert 'value="17.13.1985"' in input_tag(response.text, "birth_date")   # kept as typed, to correct
    speak(client, "de")
    errors = field_errors(web.post("/members/new", lead(birth_date="31.02.1985")))
    assert list(errors) == ["birth_date"] and "dd.MM.yyyy" in errors["birth_date"][0]
    assert db.session.scalar(select(Member)) is None


def test_a_german_manager_schedules_a_session_the_german_way(web, login_as, client):
    manager = login_as("manager")
    speak(client, "de")
    tag = input_tag(web.get("/sessions/new").text, "starts_at")
    assert 'placeholder="dd.MM.yyyy HH:mm"' in tag and 'data-date-format="dd.MM.yyyy"' in tag
    assert 'data-time-format="HH:mm"' in tag
    response = web.post("/sessions/new", {
        "kind": "event", "title": "Open evening", "activity": "", "starts_at": "17.03.2026 18:00",
        "ends_at": "17.3.2026 18:45", "capacity": "12", "trainer_id": "0", "room": "", "weekly_until": "31.03.2026"})
    assert response.status_code == 302, field_errors(response)
    starts = sorted(db.session.scalars(select(ClubSession.starts_at).where(ClubSession.club_id == manager.club_id)))
    # 18:00 on the club's wall clock (Helsinki), weekly until the 31st: the 17th, the 24th and the 31st.
    assert [s.astimezone(HELSINKI).replace(tzinfo=None) for s in starts] == [
        datetime(2026, 3, 17, 18, 0), datetime(2026, 3, 24, 18, 0), datetime(2026, 3, 31, 18, 0)]
    first = db.session.scalar(select(ClubSession.id).where(ClubSession.club_id == manager.club_id)
                              .order_by(ClubSession.starts_at))
    edit = web.get(f"/sessions/{first}/edit").text                # shown back on the wall clock, the German way
    assert 'value="17.03.2026 18:00"' in input_tag(edit, "starts_at")
    assert 'value="17.03.2026 18:45"' in input_tag(edit, "ends_at")
    bad = web.post("/sessions/new", {"kind": "event", "title": "Open evening", "starts_at": "17.03.2026",
                                     "ends_at": "17.03.2026 18:45", "capacity": "12", "trainer_id": "0"})
    assert bad.status_code == 422
    assert "dd.MM.yyyy HH:mm" in field_errors(bad)["starts_at"][0]


def test_the_trainers_period_is_read_and_shown_in_the_readers_format(web, login_as, client):
    login_as("manager")
    speak(client, "de")
    page = web.get("/sessions/trainers?from=1.3.2026&to=15.03.2026").text
    assert 'value="01.03.2026"' in input_tag(page, "from") and 'value="15.03.2026"' in input_tag(page, "to")
    assert 'data-date-format="dd.MM.yyyy"' in input_tag(page, "from")
    page = web.get("/sessions/trainers?from=2026-03-02&to=2026-03-09").text   # links and old bookmarks: ISO
    assert 'value="02.03.2026"' in input_tag(page, "from") and 'value="09.03.2026"' in input_tag(page, "to")


def test_a_report_period_typed_in_german_is_read(web, login_as, client):
    login_as("manager")
    speak(client, "de")
    response = web.get("/reports/renewals?start=01.01.2026&end=28.2.2026")
    assert response.status_code == 200, field_errors(response)
    assert 'value="01.01.2026"' in input_tag(response.text, "start")
    refused = web.get("/reports/renewals?start=2026&end=")
    assert refused.status_code == 400
    errors = field_errors(refused)
    assert list(errors) == ["start"] and "dd.MM.yyyy" in errors["start"][0]
