"""Dates typed and shown in the reader's language (issue 16, item 10): the date fields are text inputs in the format
of the locale Flask-Babel chose (Chromium draws <input type=date> in the browser's own), read leniently and in ISO
too; the calendar that goes with them is tested in tests/browser/test_datepicker_browser.py."""
import html
import importlib
import pkgutil
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, DateTimeField, DateTimeLocalField

import blueprints.forms
from blueprints.forms.dates import (
    LocaleDateField,
    LocaleDateTimeField,
    date_pattern,
    datetime_pattern,
    format_date,
    format_datetime,
    parse_date,
    parse_datetime,
)
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.models import ClubSession, Member
from tests.web import field_errors

ROOT = Path(__file__).resolve().parent.parent
# Babel's short date patterns with a four-digit year (CLDR's data: a change there shows here first).
PATTERNS = {"en": "M/d/yyyy", "de": "dd.MM.yyyy", "ru": "dd.MM.yyyy", "fi": "d.M.yyyy", "sl": "d. M. yyyy",
            "sk": "d. M. yyyy"}
SHOWN = {"en": "3/7/2026", "de": "07.03.2026", "ru": "07.03.2026", "fi": "7.3.2026", "sl": "7. 3. 2026",
         "sk": "7. 3. 2026"}
# What people type: the pattern's own, one digit or two, spaces after the dots or not.
TYPED = {
    "en": ["3/17/2026", "03/17/2026", " 3 / 17 / 2026 "],
    "de": ["17.03.2026", "17.3.2026", "17. 3. 2026", " 17.03.2026 "],
    "ru": ["17.03.2026", "17.3.2026"],
    "fi": ["17.3.2026", "17.03.2026", "17. 3. 2026"],
    "sl": ["17. 3. 2026", "17.3.2026", "17. 03. 2026"],
    "sk": ["17. 3. 2026", "17.3.2026", "17.03.2026"],
}
NOT_DATES = ["", "   ", "yesterday", "17.03.26", "31.02.2026", "17.13.2026", "00.03.2026", "17-03-2026",
             "2026/03/17", "20260317", "17.03.2026 18:00", "1.2", "\x00", "٣/١٧/٢٠٢٦"]


# --- the format, one locale at a time ---------------------------------------------------------------


def test_supported_locales_are_the_six_tested_here():
    assert set(SUPPORTED_LOCALES) == set(PATTERNS)


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_each_locale_has_its_own_pattern_with_a_four_digit_year(locale):
    assert date_pattern(locale) == PATTERNS[locale]
    assert datetime_pattern(locale) == PATTERNS[locale] + " HH:mm"


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_a_day_is_shown_in_the_locales_format(locale):
    assert format_date(date(2026, 3, 7), locale) == SHOWN[locale]
    assert format_datetime(datetime(2026, 3, 7, 8, 5), locale) == SHOWN[locale] + " 08:05"
    assert format_date(date(1985, 12, 31), locale).count("1985") == 1


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_what_is_shown_reads_back_as_the_same_day(locale):
    for day in (date(2000, 1, 1), date(2026, 3, 7), date(2026, 12, 31), date(1985, 10, 9), date(2028, 2, 29)):
        assert parse_date(format_date(day, locale), locale) == day
        moment = datetime(day.year, day.month, day.day, 23, 59)
        assert parse_datetime(format_datetime(moment, locale), locale) == moment


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_typing_is_lenient_about_digits_and_spaces(locale):
    for text in TYPED[locale]:
        assert parse_date(text, locale) == date(2026, 3, 17), text
        assert parse_datetime(text + " 18:05", locale) == datetime(2026, 3, 17, 18, 5), text
        assert parse_datetime(text + " 8.05", locale) == datetime(2026, 3, 17, 8, 5), text   # Finnish style


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_iso_is_read_in_every_locale(locale):
    assert parse_date("2026-03-17", locale) == date(2026, 3, 17)
    assert parse_date("2026-3-7", locale) == date(2026, 3, 7)
    for text in ("2026-03-17T18:00", "2026-03-17 18:00", "2026-03-17T18:00:00"):
        assert parse_datetime(text, locale) == datetime(2026, 3, 17, 18, 0), text


@pytest.mark.parametrize("locale", sorted(PATTERNS))
def test_what_names_no_day_is_refused(locale):
    for text in NOT_DATES:
        assert parse_date(text, locale) is None, text
    for text in ("17.03.2026", "2026-03-17", "17.03.2026 24:00", "17.03.2026 18:60", "17.03.2026 18", "2026-03-17T"):
        assert parse_datetime(text, locale) is None, text


def test_no_text_names_two_different_days_in_two_locales():
    """Every locale reads the others' formats (a report's address keeps the period across a language switch): that
    is safe only if no text means one day in one locale and another day in the next."""
    days = [date(2026, m, d) for m in range(1, 13) for d in (1, 2, 5, 12, 13, 28)]
    for day in days:
        for written_in in SUPPORTED_LOCALES:
            text = format_date(day, written_in)
            assert {parse_date(text, reader) for reader in SUPPORTED_LOCALES} == {day}, (text, written_in)


def test_no_form_uses_a_browser_drawn_date_input():
    """The browser draws type=date and datetime-local in its own language: every form uses the locale's fields."""
    offenders = []
    for module in pkgutil.iter_modules(blueprints.forms.__path__):
        loaded = importlib.import_module(f"blueprints.forms.{module.name}")
        for name, form in vars(loaded).items():
            if isinstance(form, type) and issubclass(form, FlaskForm):
                for field_name in dir(form):
                    unbound = getattr(form, field_name)
                    field_class = getattr(unbound, "field_class", None)
                    if field_class and issubclass(field_class, (DateField, DateTimeField, DateTimeLocalField)):
                        offenders.append(f"{module.name}.{name}.{field_name}")
    assert not offenders
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""type=["']?(date|datetime-local)\b""", text), template


# --- the fields in forms ---------------------------------------------------------------------------------


def test_fields_give_the_services_the_same_types(app):
    from wtforms import Form
    from werkzeug.datastructures import MultiDict

    class Sample(Form):
        day = LocaleDateField()
        moment = LocaleDateTimeField()

    with app.test_request_context():
        form = Sample(MultiDict({"day": "2026-03-17", "moment": "2026-03-17T18:00"}))
        assert form.validate()
        assert form.day.data == date(2026, 3, 17) and type(form.day.data) is date
        assert form.moment.data == datetime(2026, 3, 17, 18, 0) and form.moment.data.tzinfo is None
        empty = Sample(MultiDict({"day": " ", "moment": ""}))
        assert empty.validate() and empty.day.data is None and empty.moment.data is None


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
    # 18:00 in Helsinki (UTC+2 in March), weekly until the 31st: the 17th, the 24th and the 31st.
    assert [s.astimezone(UTC).replace(tzinfo=None) for s in starts] == [
        datetime(2026, 3, 17, 16, 0), datetime(2026, 3, 24, 16, 0), datetime(2026, 3, 31, 16, 0)]
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
