"""Forms (issue 16, item 8): every error of a form at once, each at its field; emails checked with email-validator
(form and import); birth dates from 1900 and not in the future, saying which; plan prices editable for new sales
(sold memberships keep theirs); a plan name a club already has is refused."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.reading import read_table
from clubcrm.imports.headers import guess_mapping
from clubcrm.imports.run import run
from clubcrm.models import Member, Membership, Plan
from tests.conftest import TODAY
from tests.web import field_errors, flashes


def lead(**values) -> dict:
    return {"first_name": "Irina", "last_name": "Test", "phone": "", "email": "", "card_code": "", "birth_date": "",
            "locale": "en", "interest": "", "notes": "", **values}


def test_a_new_lead_form_shows_every_error_at_once(web, login_as):
    login_as("desk")
    response = web.post("/members/new", lead(first_name="", phone="12", email="irina@",
                                             birth_date="1800-01-01", card_code="has space"))
    assert response.status_code == 422
    errors = field_errors(response)
    assert set(errors) == {"first_name", "phone", "email", "birth_date", "card_code"}, errors
    assert errors["email"] == ["This is not an email address."]
    assert errors["birth_date"] == ["A birth date must be in 1900 or later."]
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_a_field_the_form_itself_refuses_does_not_hide_the_others(web, login_as):
    login_as("desk")
    response = web.post("/members/new", lead(birth_date="not a date", email="a b@c.d"))
    errors = field_errors(response)
    assert "birth_date" in errors and errors["email"] == ["This is not an email address."]


@pytest.mark.parametrize("email,ok", [("irina@", False), ("irina@example", False), ("a b@example.com", False),
                                      ("Irina.Test@Example.COM", True), ("irina+gym@example.fi", True)])
def test_emails_are_checked_with_email_validator(web, login_as, email, ok):
    login_as("desk")
    response = web.post("/members/new", lead(email=email))
    if ok:
        assert response.status_code == 302, field_errors(response)
        assert db.session.scalar(select(Member.email)) == email.lower()
    else:
        assert field_errors(response) == {"email": ["This is not an email address."]}


def test_birth_dates_say_which_rule_they_break(web, login_as):
    login_as("desk")
    future = (TODAY + timedelta(days=2)).isoformat()
    assert field_errors(web.post("/members/new", lead(birth_date=future))) == {
        "birth_date": ["A birth date cannot be in the future."]}
    assert field_errors(web.post("/members/new", lead(birth_date="1899-12-31"))) == {
        "birth_date": ["A birth date must be in 1900 or later."]}
    assert web.post("/members/new", lead(birth_date="1900-01-01")).status_code == 302


def test_an_import_names_every_bad_field_of_a_row_and_checks_emails(make, ctx):
    club = make.default_club
    table = read_table(b"Name;Phone;Email;Birth date\nIrina Test;12;irina@;1800-01-01\n")
    with unit_of_work():
        result = run(None, club, table, guess_mapping(table.headers), mode="valid")
    found = {r.field: str(r.message) for r in result.checked.refusals}
    assert found.get("email") == "This is not an email address."
    assert found.get("phone") and found.get("birth_date") == "A birth date must be in 1900 or later."


def test_a_plans_price_changes_for_new_sales_only(make, web, login_as):
    login_as("manager")
    plan = make.plan(name="Month", price_minor=5900)
    member = make.member()
    sold = make.membership(member, plan)
    response = web.post(f"/settings/plans/{plan.id}/price", {"price": "64.50"})
    assert response.status_code == 302
    assert any("now costs" in text for text in flashes(web.get("/settings/")))
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).price_minor == 6450
    assert db.session.get(Membership, sold.id).price_minor == 5900      # sold before: keeps its price
    refused = web.post(f"/settings/plans/{plan.id}/price", {"price": "-1"})
    assert refused.status_code == 422 and 'data-field="price"' in refused.text
    other = make.plan(club=make.club(name="Other"))
    assert web.post(f"/settings/plans/{other.id}/price", {"price": "1"}).status_code == 404


def test_a_second_plan_with_a_name_the_club_has_is_refused(make, web, login_as):
    login_as("manager")
    data = {"name": "Month", "duration_days": "30", "visit_limit": "", "price": "59"}
    assert web.post("/settings/plans", data).status_code == 302
    again = web.post("/settings/plans", {**data, "name": " month "})
    assert again.status_code == 422 and "name" in field_errors(again)
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
