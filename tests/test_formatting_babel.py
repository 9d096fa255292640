"""clubcrm.formatting writes numbers and dates exactly as Babel (and Flask-Babel) do, with less work per value."""
import random
from decimal import Decimal

import pytest
from babel.numbers import format_decimal as babel_decimal
from flask_babel import force_locale

from clubcrm import formatting
from clubcrm.i18n import SUPPORTED_LOCALES

# Every pattern the pages use (blueprints/report_tables.py, clubcrm/paging.py), and Babel's percent default.
PATTERNS = ("#,##0", "#,##0.0", "#,##0.0%", "+#,##0.0;−#,##0.0", "+#,##0.#;−#,##0.#", "#,##0%", "#,##0.##",
            "0.00", "#,##0.###")


def values() -> list:
    pick = random.Random(20261205)
    found = [0, 1, -1, 0.0, -0.0, 0.05, -0.04, 0.25, 0.35, 2.5, 3.5, -2.5, 999, 1000, 1234, -1234, 12345.678,
             1234567.25, 10**12 + 0.5, Decimal("0.125"), Decimal("-1234.5678"), Decimal("1E+3"), 0.1 + 0.2]
    for _ in range(300):
        scale = pick.choice((1, 10, 1000, 10**6))
        found.append(round(pick.uniform(-scale, scale), pick.choice((0, 1, 2, 3, 6))))
        found.append(pick.randint(-10**7, 10**7))
        found.append(pick.random())
    return found


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_decimal_writes_what_babel_writes(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for pattern in PATTERNS:
            for value in values():
                assert formatting.decimal(value, pattern) == babel_decimal(value, pattern, locale=locale), \
                    (pattern, value)


def test_patterns_it_does_not_handle_go_to_babel(app):
    with app.test_request_context("/"), force_locale("de"):
        assert formatting.decimal(1234.5, "0.###E0") == babel_decimal(1234.5, "0.###E0", locale="de")
        assert formatting.decimal(float("inf"), "#,##0") == babel_decimal(float("inf"), "#,##0", locale="de")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_day_writes_what_flask_babel_writes(app, locale):
    """formatting.day keeps each date's text per language; it must be Flask-Babel's format_date's (less Russian's
    trailing year word, issue 16)."""
    from datetime import date, timedelta

    from flask_babel import format_date

    with app.test_request_context("/"), force_locale(locale):
        for n in range(0, 800, 7):
            value = date(2025, 1, 1) + timedelta(days=n)
            for form in ("medium", "short", "long", "full", "LLLL yyyy", "d MMM"):
                expected = formatting.without_year_word(format_date(value, form), locale)
                assert formatting.day(value, form) == expected, (value, form)
