"""Logins, roles, club scope, CSRF and the create-staff command."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.models import Staff
from clubcrm.services import auth
from tests.concurrency import at_once
from tests.conftest import NOW, ROOT, make_app

ROOT_INSTANCE = ROOT / "instance"


def test_password_is_hashed(make):
    staff = make.staff("desk", password="correct horse")
    assert "correct horse" not in staff.password_hash
    assert auth.authenticate(staff.email.upper(), "correct horse").id == staff.id


def test_five_failures_lock_the_account_for_a_minute(make):
    staff = make.staff("desk", password="right-password")
    for _ in range(5):
        with pytest.raises(InvalidInput):
            auth.authenticate(staff.email, "wrong")
        db.session.commit()
    with pytest.raises(NotAllowed) as caught:
        auth.authenticate(staff.email, "right-password")
    assert caught.value.code == "locked"
    clock.set_now(NOW + timedelta(seconds=61))
    assert auth.authenticate(staff.email, "right-password").id == staff.id


def test_login_page_counts_failures_across_requests(client, make):
    staff = make.staff("desk", password="right-password")
    for _ in range(5):
        response = client.post("/login", data={"email": staff.email, "password": "nope"})
        assert response.status_code == 422
        assert b"Wrong email or password." in response.data
    response = client.post("/login", data={"email": staff.email, "password": "right-password"})
    assert b"Too many failed logins" in response.data
    clock.set_now(NOW + timedelta(seconds=61))
    assert client.post("/login", data={"email": staff.email, "password": "right-password"}).status_code == 302


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [("desk", 403), ("manager", 200), ("owner", 200)])
def test_settings_are_for_managers(client, login_as, make, role, status):
    assert make.default_club.id  # the club whose settings they open
    login_as(role)
    assert client.get("/settings/").status_code == status


def test_desk_cannot_cancel_or_grant(client, login_as, make):
    login_as("desk")
    member = make.member()
    assert client.post(f"/members/{member.id}/cancel", data={"reason": "x"}).status_code == 403
    assert client.post(f"/members/{member.id}/packages/grant", data={}).status_code == 403


def test_staff_see_only_their_clubs_members(client, login_as, make):
    login_as("desk")
    stranger = make.member(club=make.club(), first_name="Stranger")
    assert client.get(f"/members/{stranger.id}").status_code == 404
    assert client.post(f"/members/{stranger.id}/checkin").status_code == 404
    assert b"Stranger" not in client.get("/?q=stranger").data


def test_csrf_is_enforced_on_forms(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"email": "a@b.c", "password": "whatever1"}).status_code == 400
    page = client.get("/login").data.decode()
    assert 'name="csrf_token"' in page
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_create_staff_command(runner, make):
    club = make.default_club
    result = runner.invoke(args=["create-staff", "new@example.com", "--role", "manager",
                                 "--password", "long-enough", "--club", str(club.id)])
    assert result.exit_code == 0, result.output
    assert "Created manager login new@example.com" in result.output
    staff = db.session.scalar(select(Staff).where(Staff.email == "new@example.com"))
    assert staff.role == "manager" and staff.club_id == club.id


@pytest.mark.parametrize("args,message", [
    (["--role", "desk", "--password", "short"], "at least 8"),
    (["--role", "desk", "--password", "long-enough"], "belong to one club"),
    (["--role", "desk", "--password", "long-enough", "--club", "999"], "No such club"),
])
def test_create_staff_command_refuses_bad_input(runner, make, args, message):
    result = runner.invoke(args=["create-staff", "x@example.com", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(Staff).where(Staff.email == "x@example.com")) is None


def test_duplicate_email_is_refused(make):
    staff = make.staff("desk")
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        auth.create_staff(staff.email.upper(), "desk", "long-enough", staff.club_id)
    assert caught.value.field == "email"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("CLUBCRM_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="CLUBCRM_SECRET_KEY"):
        make_app("sqlite://", ENV="production", SECRET_KEY=None)


def test_owner_switches_between_clubs(client, login_as, make):
    make.club(name="Alpha Gym")
    second = make.club(name="Beta Gym")
    make.member(club=second, first_name="Bettina")
    login_as("owner")
    page = client.get("/").data.decode()
    assert "Alpha Gym" in page and "Beta Gym" in page  # the switcher
    assert b"Bettina" not in client.get("/?q=bett").data
    assert client.post("/club", data={"club_id": str(second.id)}).status_code == 302
    assert b"Bettina" in client.get("/?q=bett").data
    client.post("/club", data={"club_id": "999"})  # an unknown club changes nothing
    assert b"Bettina" in client.get("/?q=bett").data


def test_parallel_wrong_passwords_still_lock(app, make):
    """Guesses sent at once wait for each other on the staff row, so the lock still falls after five."""
    staff = make.staff("desk", password="right-password")
    email = staff.email   # read here: the threads must not load it through this thread's session at once
    outcomes = at_once(app, 12, lambda: auth.authenticate(email, "wrong"))
    assert outcomes.count("locked") >= 12 - 5
    with pytest.raises(NotAllowed):
        auth.authenticate(staff.email, "right-password")


def test_logins_created_in_settings_name_their_creator(client, login_as, make):
    manager = login_as("manager")
    response = client.post("/settings/staff", data={"name": "New Desk", "email": "nd@example.com",
                                                    "role": "desk", "password": "long-enough"})
    assert response.status_code == 302
    from clubcrm.models import AuditEvent

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "staff")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.staff_id == manager.id


def test_manager_stops_and_resumes_selling_a_plan(client, login_as, make):
    from clubcrm.models import Plan

    login_as("manager")
    plan = make.plan()
    assert client.post(f"/settings/plans/{plan.id}/active/0").status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).active is False
    assert client.post(f"/settings/plans/{plan.id}/active/1").status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).active is True
    assert client.post(f"/settings/plans/{plan.id}/active/2").status_code == 404


def test_development_makes_its_own_secret_key(tmp_path):
    from clubcrm import create_app

    app = create_app({"ENV": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    key = app.config["SECRET_KEY"]
    assert len(key) == 64 and key == (ROOT_INSTANCE / "secret_key").read_text().strip()
    assert create_app({"ENV": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == key
