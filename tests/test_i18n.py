"""Languages, money and time zones on the pages staff see."""
from datetime import UTC, datetime, timedelta

import pytest

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.services import checkin
from tests.conftest import TODAY


@pytest.mark.parametrize("locale,text", [("de", "Einchecken"), ("ru", "Отметить"), ("fi", "Kirjaa"),
                                         ("en", "Check in")])
def test_switcher_changes_the_language(client, login_as, make, locale, text):
    login_as("desk")
    member = make.member()
    make.membership(member)     # an active member: the card offers its check-in button
    response = client.post("/locale", data={"locale": locale, "next": f"/members/{member.id}"})
    assert response.status_code == 302
    page = client.get(f"/members/{member.id}").data.decode()
    assert f'lang="{locale}"' in page
    assert text in page


def test_money_in_the_clubs_currency_and_the_users_locale(client, login_as, make):
    club = make.club(currency="CHF")
    login_as("manager", club=club)
    make.plan(club=club, name="Jahresabo", price_minor=123450)
    client.post("/locale", data={"locale": "de"})
    page = client.get("/settings/").data.decode()
    assert "1.234,50\xa0CHF" in page


def test_visit_times_show_in_the_clubs_time_zone(client, login_as, make):
    club = make.club(timezone="America/New_York")
    staff = login_as("desk", club=club)
    member = make.member(club=club)
    make.membership(member)
    clock.set_now(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))  # 19:30 in New York
    with unit_of_work():
        checkin.check_in(staff, member)
    page = client.get(f"/members/{member.id}").data.decode()
    assert "7:30\u202fPM" in page or "7:30 PM" in page


def test_days_left_count_the_clubs_local_date(client, login_as, make):
    club = make.club(timezone="Pacific/Auckland")
    login_as("desk", club=club)
    member = make.member(club=club)
    make.membership(member, make.plan(club=club, duration_days=30), today=TODAY + timedelta(days=1),
                    starts_on=TODAY + timedelta(days=1))
    # 08:00 UTC on 10 March is 21:00 on 10 March in Auckland (UTC+13): the plan starting on the 11th
    # has not started there yet; at 12:00 UTC it is the 11th in Auckland and it has.
    assert "starts later" in client.get(f"/members/{member.id}").data.decode()
    clock.set_now(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    page = client.get(f"/members/{member.id}").data.decode()
    assert 'id="days-left">29<' in page


def test_an_owner_sees_each_members_times_in_the_members_club_zone(client, login_as, make):
    club = make.club(timezone="America/New_York")
    member = make.member(club=club)
    make.membership(member)
    clock.set_now(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    with unit_of_work():
        checkin.check_in(make.staff("desk", club=club), member)
    login_as("owner")
    page = client.get(f"/members/{member.id}").data.decode()
    assert "7:30\u202fPM" in page or "7:30 PM" in page


def test_form_messages_in_slovenian(client, login_as, make):
    login_as("manager")
    client.post("/locale", data={"locale": "sl"})
    page = client.post("/settings/plans", data={"name": "", "duration_days": "x", "price": "1"}).data.decode()
    assert "This field is required." not in page and "Not a valid integer value." not in page
    assert 'lang="sl"' in page


def test_templates_translate_in_the_language_in_force_when_they_render(app):
    """The templates' strings are looked up once per render (clubcrm.i18n.install_template_gettext): a template
    rendered under force_locale inside a request speaks that language, as do macros imported without context."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = ('{% from "_macros.html" import form_errors %}{{ _("Check in") }}|'
            '{{ ngettext("%(num)s day", "%(num)s days", 2) }}|{{ form_errors(["x"]) if false else "" }}')
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(page).startswith("Check in|2 days|")
        with force_locale("de"):
            assert render_template_string(page).startswith("Einchecken|")
        with force_locale("ru"):
            assert render_template_string('{% import "_macros.html" as m %}{{ _("Check in") }}') == "Отметить вход"
        assert render_template_string(page).startswith("Check in|")


def test_python_strings_follow_force_locale_inside_a_request(app):
    """The request's translations are kept on `g` with their locale (i18n.keep_translations_per_request): a string
    translated under force_locale, and after it, speaks the language then in force."""
    from flask_babel import force_locale, gettext, lazy_gettext

    label = lazy_gettext("Check in")
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert gettext("Check in") == "Einchecken"
        with force_locale("ru"):
            assert str(label) == "Отметить вход"
            with force_locale("fi"):
                assert gettext("Check in") == "Kirjaa sisään"
            assert gettext("Check in") == "Отметить вход"
        assert str(label) == "Einchecken"


def test_russian_dates_end_a_sentence_without_a_doubled_period(client, login_as, make):
    """Issue 16: "Абонемент истёк 24 нояб. 2026 г.." — the year word is left out of dates, in the UI and in SMS."""
    from datetime import date, timedelta

    from clubcrm.formatting import day, without_year_word
    from clubcrm.lifecycle.render import _day as sms_day

    login_as("desk")
    member = make.member()
    make.membership(member, today=TODAY - timedelta(days=60))
    client.post("/locale", data={"locale": "ru"})
    page = client.post(f"/members/{member.id}/checkin", follow_redirects=True).data.decode()
    assert "г.." not in page and "г.<" not in page
    assert "Абонемент истёк" in page
    assert sms_day("2026-11-24", "ru") == "24 нояб. 2026"
    assert without_year_word("24 нояб. 2026\u202fг.", "ru") == "24 нояб. 2026"
    assert without_year_word("24. 11. 2026", "sk") == "24. 11. 2026"
    with client.application.test_request_context():
        assert day(date(2026, 11, 24)) == "Nov 24, 2026"


def test_a_card_writes_instants_as_its_dates_with_a_time(client, login_as, make):
    """Issue 16: one card mixed "Nov 24, 2026" and "12/4/26, 8:08 AM"; instants now read "Mar 10, 2026, 10:00 AM"."""
    import re

    login_as("desk")
    member = make.member()
    make.membership(member)
    with unit_of_work():
        checkin.check_in(make.desk(), member)
    page = client.get(f"/members/{member.id}").data.decode()
    visits = re.search(r'<ul class="plain" id="visits"><li>([^<]+)', page).group(1)
    assert visits.strip() == "Mar 10, 2026, 10:00\u202fAM"      # 08:00 UTC in Helsinki
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", page)


def test_counts_are_plural_aware_in_every_language(app):
    """Issue 16: "1 days left", "noin 1 jaksoa": counts go through ngettext, each language's plural rule."""
    from flask_babel import force_locale, ngettext

    expected = {"en": ("1 day left", "2 days left", "5 days left"),
                "ru": ("остался 1 день", "осталось 2 дня", "осталось 5 дней"),
                "sl": ("še 1 dan", "še 2 dneva", "še 5 dni"),
                "sk": ("zostáva 1 deň", "zostávajú 2 dni", "zostáva 5 dní"),
                "fi": ("1 päivä jäljellä", "2 päivää jäljellä", "5 päivää jäljellä")}
    with app.test_request_context("/"):
        for locale, words in expected.items():
            with force_locale(locale):
                assert tuple(ngettext("%(num)d day left", "%(num)d days left", n) for n in (1, 2, 5)) == words
