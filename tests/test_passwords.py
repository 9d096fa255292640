"""Passwords: at least 10 characters and none of the 10,000 most common, wherever a password is set."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from clubcrm import clock
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import Staff
from clubcrm.services import passwords
from tests.conftest import NOW
from tests.web import Web, field_errors

SHORT = "A password needs at least 10 characters."
COMMON = ("This password is on the list of the 10,000 most common passwords, which attackers try first: "
          "choose another.")


def test_the_shipped_list_holds_the_ten_thousand_most_common_passwords():
    listed = passwords.common_passwords()
    assert len(listed) == 10_000
    assert {"password", "12345678", "1234567890", "qwertyuiop", "password123"} <= listed
    # The passwords of the tests, the demo and the benchmarks are not common ones.
    assert not {"secret-pass", "demo-password", "bench-password", "long-enough", "right-password"} & listed


@pytest.mark.parametrize("password,code", [
    ("password", "too_short"), ("12345678", "too_short"), ("short", "too_short"), ("", "too_short"),
    ("1234567890", "common"), ("Password123", "common"), ("QWERTYUIOP", "common"), ("x" * 201, "too_long"),
    ("frontdesk@example.com", "is_email"),
])
def test_weak_passwords_are_refused_with_the_reason(password, code):
    with pytest.raises(InvalidInput) as caught:
        passwords.check_new(password, "new_password", "frontdesk@example.com")
    assert caught.value.field == "new_password" and caught.value.code == code


@pytest.mark.parametrize("password", ["secret-pass", "demo-password", "correct horse battery", "x" * 200])
def test_good_passwords_pass(password):
    assert passwords.check_new(password) == password


@pytest.mark.parametrize("password,message", [("password", SHORT), ("12345678", SHORT), ("1234567890", COMMON)])
def test_create_staff_refuses_weak_passwords(runner, make, password, message):
    result = runner.invoke(args=["create-staff", "weak@example.com", "--role", "desk", "--password", password,
                                 "--club", str(make.default_club.id)])
    assert result.exit_code != 0
    assert message in " ".join(result.output.split()) and "--password" in result.output
    assert db.session.scalar(select(Staff).where(Staff.email == "weak@example.com")) is None


@pytest.mark.parametrize("password,message", [("password", SHORT), ("123456789", SHORT), ("1234567890", COMMON)])
def test_the_staff_form_refuses_weak_passwords_under_the_field(client, login_as, make, password, message):
    login_as("manager")
    response = Web(client).post("/settings/staff", {"name": "Weak", "email": "weak@example.com", "role": "desk",
                                                    "password": password})
    assert response.status_code == 422
    assert field_errors(response).get("password") == [message]
    assert db.session.scalar(select(Staff).where(Staff.email == "weak@example.com")) is None


@pytest.mark.parametrize("form,field,message", [
    ({"new_password": "qwertyuiop"}, "new_password", COMMON),
    ({"new_password": "password"}, "new_password", SHORT),
    ({"current_password": "not-my-password"}, "current_password", "This is not your current password."),
    ({"repeat_password": "something-else"}, "repeat_password", "The two new passwords differ."),
    ({"new_password": "secret-pass", "repeat_password": "secret-pass"}, "new_password",
     "The new password must differ from the current one."),
])
def test_the_password_page_refuses_with_the_reason_under_the_field(client, login_as, form, field, message):
    staff = login_as("desk")
    before = staff.password_hash
    data = {"current_password": "secret-pass", "new_password": "a-fine-new-one", "repeat_password": "a-fine-new-one"}
    data.update(form)
    if "new_password" in form and "repeat_password" not in form:
        data["repeat_password"] = form["new_password"]
    response = Web(client).post("/account/password", data)
    assert response.status_code == 422
    assert field_errors(response) == {field: [message]}
    db.session.expire_all()
    assert db.session.get(Staff, staff.id).password_hash == before


def test_guesses_of_the_current_password_are_throttled_like_logins(client, login_as):
    login_as("desk")
    web = Web(client)
    new = {"new_password": "a-fine-new-one", "repeat_password": "a-fine-new-one"}
    for _ in range(5):
        response = web.post("/account/password", {"current_password": "a-guess-at-it", **new})
        assert field_errors(response) == {"current_password": ["This is not your current password."]}
    response = web.post("/account/password", {"current_password": "secret-pass", **new})
    assert field_errors(response) == {"current_password": ["This is not your current password."]}
    clock.set_now(NOW + timedelta(minutes=15, seconds=1))
    assert web.post("/account/password", {"current_password": "secret-pass", **new}).status_code == 302


def test_a_throttled_password_change_uses_up_no_guess(client, login_as):
    """As at login: an attempt refused because the account is throttled counts as no failure, so trying while
    throttled never lengthens the wait."""
    login_as("desk")
    web = Web(client)
    new = {"new_password": "a-fine-new-one", "repeat_password": "a-fine-new-one"}
    for _ in range(5):
        web.post("/account/password", {"current_password": "a-guess-at-it", **new})
    clock.set_now(NOW + timedelta(minutes=10))
    for _ in range(5):   # throttled: refused, whatever is typed
        assert web.post("/account/password", {"current_password": "secret-pass", **new}).status_code == 422
    clock.set_now(NOW + timedelta(minutes=15, seconds=1))   # the five guesses are out of the window
    assert web.post("/account/password", {"current_password": "secret-pass", **new}).status_code == 302
