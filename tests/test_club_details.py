"""A club's details are checked in one place (clubcrm/services/clubs.py) for setup, Settings → Clubs and the
CLI: each bad value is refused naming its field, and a new club gets its default lifecycle tools and rules."""
import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.lifecycle.defaults import RULES, TOOLS
from clubcrm.models import Club, Rule, Tool
from clubcrm.services import clubs

GOOD = {"name": "  Harbour Gym ", "timezone": "Europe/Helsinki", "currency": "eur", "country": "fi",
        "default_locale": "fi", "phone": "09 1234 5678"}


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 81), ("timezone", "Europe/Atlantis"),
    ("currency", "EURO"), ("currency", "XYZ"), ("country", "ZZ"), ("default_locale", "fr"),
    ("phone", "12"), ("name", None), ("timezone", 5),
])
def test_a_bad_value_is_refused_naming_its_field(field, value):
    with pytest.raises(InvalidInput) as refused:
        clubs.checked_details({**GOOD, field: value})
    assert refused.value.field == field


def test_details_are_normalised():
    details = clubs.checked_details(GOOD)
    assert details == {"name": "Harbour Gym", "timezone": "Europe/Helsinki", "currency": "EUR",
                       "country": "FI", "default_locale": "fi", "phone": "+358912345678"}
    assert clubs.checked_details({**GOOD, "phone": " "})["phone"] is None


def test_a_new_club_gets_every_default_tool_and_rule(ctx):
    assert not clubs.any_club()
    with unit_of_work():
        club = clubs.create(None, GOOD)
    assert clubs.any_club()
    assert db.session.scalar(select(func.count()).select_from(Club)) == 1
    assert set(db.session.scalars(select(Tool.key).where(Tool.club_id == club.id))) == set(TOOLS)
    assert set(db.session.scalars(select(Rule.key).where(Rule.club_id == club.id))) == {r.key for r in RULES}


def test_a_refused_club_writes_nothing(ctx):
    with pytest.raises(InvalidInput), unit_of_work():
        clubs.create(None, {**GOOD, "currency": "XXX1"})
    assert not clubs.any_club()
