"""Dates typed and shown in the reader's language (issue 16, item 10): the date fields are text inputs in the format
of the locale Flask-Babel chose (Chromium draws <input type=date> in the browser's own), read leniently and in ISO
too; the calendar that goes with them is tested in tests/browser/test_datepicker_browser.py."""
import importlib
import pkgutil
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeField, DateTimeLocalField, TimeField

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
from clubcrm.i18n import SUPPORTED_LOCALES

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


def test_another_languages_format_is_not_read():
    """What the page asks for is what it reads: en's month-first days are no German's, nor German days an English
    reader's (the reports' tests refuse end=31.01.2026 in English)."""
    assert parse_date("3/17/2026", "de") is None and parse_date("17.03.2026", "en") is None
    assert parse_date("17. 3. 2026", "en") is None and parse_date("1/2/2026", "sl") is None


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
                    if (field_class and issubclass(field_class, (DateField, DateTimeField, DateTimeLocalField))
                            and not issubclass(field_class, TimeField)):   # times are not dates (yet)
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
