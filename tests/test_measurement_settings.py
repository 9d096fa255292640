"""The club's measurement settings on the lifecycle page: a manager sets the programme holdout share, the length of
a staff call and the hourly staff cost (typed as money, kept in minor units), audited like the contact budget;
bad values are refused on their field and nothing is saved; desk staff are kept out."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Club
from clubcrm.services import measurement_settings
from tests.web import field_errors, flashes

URL = "/settings/lifecycle/measurement"


def settings_of(club: Club) -> tuple[int, int, int]:
    db.session.expire_all()
    fresh = db.session.get(Club, club.id)
    return fresh.programme_holdout_pct, fresh.call_minutes, fresh.staff_hour_cost_minor


def audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_manager_sets_the_measurement_and_it_is_audited(web, login_as, make):
    club = make.default_club
    manager = login_as("manager")
    page = web.get("/settings/lifecycle/")
    assert page.status_code == 200 and 'id="measurement"' in page.text
    assert 'name="staff_hour_cost"' in page.text and 'value="20.00"' in page.text   # 2000 cents shown as EUR
    before = settings_of(club)
    saved = web.post(URL, {"programme_holdout_pct": "10", "call_minutes": "15", "staff_hour_cost": "25,50"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/settings/lifecycle/")
    assert settings_of(club) == (10, 15, 2550)
    assert "Measurement settings saved." in flashes(web.get("/settings/lifecycle/"))
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.staff_id, event.action, event.entity, event.entity_id) == (manager.id, "update", "club", club.id)
    assert event.before == dict(zip(measurement_settings.NAMES, before, strict=True))
    assert event.after == {"programme_holdout_pct": 10, "call_minutes": 15, "staff_hour_cost_minor": 2550}
    # 0% switches the programme holdout off; a free hour of staff time is allowed too.
    assert web.post(URL, {"programme_holdout_pct": "0", "call_minutes": "1", "staff_hour_cost": "0"}).status_code == 302
    assert settings_of(club) == (0, 1, 0)


@pytest.mark.parametrize("form, field", [
    ({"programme_holdout_pct": "51"}, "programme_holdout_pct"),
    ({"programme_holdout_pct": "-1"}, "programme_holdout_pct"),
    ({"programme_holdout_pct": "half"}, "programme_holdout_pct"),
    ({"programme_holdout_pct": ""}, "programme_holdout_pct"),
    ({"call_minutes": "0"}, "call_minutes"),
    ({"call_minutes": "121"}, "call_minutes"),
    ({"call_minutes": "7.5"}, "call_minutes"),
    ({"staff_hour_cost": "-1"}, "staff_hour_cost"),
    ({"staff_hour_cost": "12.345"}, "staff_hour_cost"),
    ({"staff_hour_cost": "lots"}, "staff_hour_cost"),
    ({"staff_hour_cost": ""}, "staff_hour_cost"),
    ({"staff_hour_cost": "1e9"}, "staff_hour_cost"),
    ({"staff_hour_cost": "NaN"}, "staff_hour_cost"),
])
def test_bad_values_are_refused_on_their_field_and_nothing_is_saved(web, login_as, make, form, field):
    club = make.default_club
    login_as("manager")
    before, trail = settings_of(club), audits()
    refused = web.post(URL, {"programme_holdout_pct": "10", "call_minutes": "12", "staff_hour_cost": "30", **form})
    assert refused.status_code == 422
    assert list(field_errors(refused)) == [field], field_errors(refused)
    if form.get("staff_hour_cost") in ("-1", "1e9", ""):
        assert field_errors(refused)[field] == ["Enter an hourly cost from 0 to €100,000.00."]
    assert settings_of(club) == before and audits() == trail


def test_the_service_refuses_what_a_form_cannot_send(make):
    club, staff = make.default_club, make.staff("manager")
    for args, field in (((True, 10, Decimal(20)), "programme_holdout_pct"), ((5, 10.0, Decimal(20)), "call_minutes"),
                        ((5, 10, 20.5), "staff_hour_cost"), ((5, 10, None), "staff_hour_cost")):
        with pytest.raises(InvalidInput) as refused, unit_of_work():
            measurement_settings.update(staff, club, *args)
        assert refused.value.field == field
    with unit_of_work():   # a currency without minor units keeps the amount as typed
        club.currency = "JPY"
    with pytest.raises(InvalidInput) as refused, unit_of_work():
        measurement_settings.update(staff, club, 5, 10, Decimal("2000.5"))
    assert refused.value.field == "staff_hour_cost"
    with unit_of_work():
        measurement_settings.update(staff, club, 5, 10, Decimal(2000))
    assert settings_of(club) == (5, 10, 2000)


def test_desk_staff_cannot_change_the_measurement(web, login_as, make):
    club = make.default_club
    login_as("desk")
    before = settings_of(club)
    tried = web.post(URL, {"programme_holdout_pct": "50", "call_minutes": "5", "staff_hour_cost": "1"})
    assert tried.status_code == 403
    assert settings_of(club) == before
