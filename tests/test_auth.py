"""Logins, roles, club scope, CSRF, the create-staff command and login throttling."""
import difflib
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import LoginFailure, Staff
from clubcrm.services import auth, login_throttle
from tests.concurrency import at_once
from tests.conftest import NOW, ROOT, make_app
from tests.factories import Factory
from tests.gunicorn import Gunicorn
from tests.web import Web, field_errors

ROOT_INSTANCE = ROOT / "instance"


def log_in(email: str, password: str, client: str = "127.0.0.1", device=None) -> Staff:
    """Log in through the services as the login page does: record the attempt, commit, decide, commit."""
    with unit_of_work():
        attempt = auth.begin_login(email, client, device)
    try:
        return auth.finish_login(attempt, password)
    finally:
        db.session.commit()


def test_password_is_hashed(make):
    staff = make.staff("desk", password="correct horse")
    assert "correct horse" not in staff.password_hash
    assert log_in(staff.email.upper(), "correct horse").id == staff.id


def test_anonymous_is_sent_to_login(client, make):
    assert make.default_club.id   # a set-up installation (before setup every page leads to /setup)
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
    with app.app_context():
        Factory(app).club()   # a set-up installation: before setup, /login leads to /setup
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
    (["--role", "desk", "--password", "short"], "at least 10"),
    (["--role", "desk", "--password", "1234567890", "--club", "1"], "most common passwords"),
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


def test_parallel_guesses_get_no_more_verdicts_than_the_limit(app, make):
    """Guesses sent at once each commit their attempt before counting, so at most five get a verdict."""
    staff = make.staff("desk", password="right-password")
    email = staff.email   # read here: the threads must not load it through this thread's session at once

    def guess():
        log_in(email, "wrong-guess")

    outcomes = at_once(app, 12, guess)
    assert outcomes == ["wrong"] * 12   # a throttled guess gets the same answer as a wrong one
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) <= 5
    for _ in range(10):   # (all twelve may have seen each other and been throttled: fewer verdicts, never more)
        with pytest.raises(InvalidInput):
            guess()
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 5
    with pytest.raises(InvalidInput):
        log_in(staff.email, "right-password")   # this address is throttled for the account
    assert log_in(staff.email, "right-password", client="192.0.2.7").id == staff.id


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


# --- logins that resist automation (OWASP ASVS 2.2) --------------------------------------------------------

PASSWORD = "secret-pass"


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Count the password hash computations (checks and new hashes): the work a login attempt costs."""
    from clubcrm.services import passwords

    done: list[str] = []
    real_check, real_make = passwords.check_password_hash, passwords.generate_password_hash

    def check(*args, **kw):
        done.append("check")
        return real_check(*args, **kw)

    def make(*args, **kw):
        done.append("make")
        return real_make(*args, **kw)

    monkeypatch.setattr(passwords, "check_password_hash", check)
    monkeypatch.setattr(passwords, "generate_password_hash", make)
    return done


def post_login(web: Web, email: str, password: str, address: str = "127.0.0.1"):
    return web.post("/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def throttled_in(caplog) -> int:
    return sum("login attempt throttled" in r.getMessage() for r in caplog.records)


# The page's forms carry a CSRF token signed with the second it was made in: answers a second apart differ there.
CSRF_TOKEN = re.compile(r'(?<=name="csrf_token" value=")[^"]*')


def differences(answers: dict[str, tuple]) -> dict[str, list[str]]:
    """Each case's status, field errors and page lines that differ from the unknown email's answer."""
    first = answers["unknown"][2].splitlines()
    return {case: [str(answer[:2]), *difflib.unified_diff(first, answer[2].splitlines(), lineterm="", n=0)]
            for case, answer in answers.items()}


def test_unknown_disabled_throttled_and_wrong_logins_get_the_same_answer_after_the_same_work(app, make, hashes):
    here = "198.51.100.4"
    wrong = make.staff("desk", password=PASSWORD)
    disabled = make.staff("desk", password=PASSWORD)
    with unit_of_work():
        auth.set_active(None, db.session.get(Staff, disabled.id), False)
    throttled = make.staff("desk", password=PASSWORD)
    web = Web(app.test_client())
    for _ in range(6):
        assert post_login(web, throttled.email, "wrong-password", here).status_code == 422
    cases = {"unknown": ("nobody@example.com", PASSWORD), "disabled": (disabled.email, PASSWORD),
             "throttled": (throttled.email, PASSWORD), "wrong password": (wrong.email, "wrong-password")}
    answers = {}
    for case, (email, password) in cases.items():
        hashes.clear()
        response = post_login(web, email, password, here)
        page = CSRF_TOKEN.sub("TOKEN", response.text.replace(email, "EMAIL"))
        answers[case] = (response.status_code, str(field_errors(response)), page)
        assert hashes == ["check"], (case, hashes)   # one hash check each: the timing tells nothing
    assert len(set(answers.values())) == 1, differences(answers)
    status, errors, _page = answers["unknown"]
    assert status == 422 and errors == str({"password": ["Wrong email or password."]})
    hashes.clear()
    assert post_login(web, wrong.email, PASSWORD, here).status_code == 302
    assert hashes == ["check"]


def test_one_address_gets_twenty_failures_across_emails(app, make, caplog):
    owner = make.staff("manager", password=PASSWORD)
    stranger = Web(app.test_client())
    with caplog.at_level(logging.WARNING, logger="clubcrm.services.login_throttle"):
        for n in range(40):
            response = post_login(stranger, f"guess{n}@example.com", "wrong-password", "203.0.113.5")
            assert response.status_code == 422
            assert field_errors(response) == {"password": ["Wrong email or password."]}
        assert throttled_in(caplog) == 20
        # The owner's right password from that address, on a browser that never logged in: refused alike.
        assert post_login(stranger, owner.email, PASSWORD, "203.0.113.5").status_code == 422
        assert throttled_in(caplog) == 21
    assert post_login(Web(app.test_client()), owner.email, PASSWORD, "203.0.113.6").status_code == 302
    clock.set_now(NOW + timedelta(minutes=15, seconds=1))   # the window has passed
    assert post_login(stranger, owner.email, PASSWORD, "203.0.113.5").status_code == 302


def test_the_owner_with_a_device_cookie_gets_in_while_a_stranger_throttles_the_account(app, make, caplog):
    owner = make.staff("manager", password=PASSWORD)
    club_wifi = "198.51.100.20"   # owner and stranger share the club's one public address
    owner_browser, stranger = Web(app.test_client()), Web(app.test_client())
    assert post_login(owner_browser, owner.email, PASSWORD, club_wifi).status_code == 302
    owner_browser.post("/logout", environ_base={"REMOTE_ADDR": club_wifi})
    with caplog.at_level(logging.WARNING, logger="clubcrm.services.login_throttle"):
        for _ in range(30):
            assert post_login(stranger, owner.email, "wrong-password", club_wifi).status_code == 422
        # Throttled for the stranger: even the right password is refused on a browser that never logged in.
        assert post_login(stranger, owner.email, PASSWORD, club_wifi).status_code == 422
    # The owner's own browser still gets in, from the same address, at the same moment.
    assert post_login(owner_browser, owner.email, PASSWORD, club_wifi).status_code == 302
    assert owner_browser.get("/").status_code == 200
    assert throttled_in(caplog) == 26
    assert owner_browser.client.get_cookie("clubcrm_device") is not None   # what let the owner in


def test_a_trusted_device_has_its_own_limit(app, make):
    owner = make.staff("manager", password=PASSWORD)
    browser = Web(app.test_client())
    assert post_login(browser, owner.email, PASSWORD).status_code == 302
    browser.post("/logout")
    for _ in range(5):
        assert post_login(browser, owner.email, "wrong-password").status_code == 422
    assert post_login(browser, owner.email, PASSWORD).status_code == 422   # a stolen laptop guesses no faster
    clock.set_now(NOW + timedelta(minutes=16))
    assert post_login(browser, owner.email, PASSWORD).status_code == 302


def test_many_addresses_together_throttle_an_account_for_new_devices_only(app, make):
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 3
    owner = make.staff("manager", password=PASSWORD)
    with unit_of_work():
        attempt = auth.begin_login(owner.email, "192.0.2.1", None)
    device = login_throttle.Device("known-browser", (owner.id,))
    for n in range(2, 6):
        with pytest.raises(InvalidInput):
            log_in(owner.email, "wrong-password", client=f"192.0.2.{n}")
    with pytest.raises(InvalidInput):
        log_in(owner.email, PASSWORD, client="192.0.2.99")
    assert log_in(owner.email, PASSWORD, client="192.0.2.99", device=device).id == owner.id
    assert attempt.trusted_device is None


def test_a_device_cookie_is_signed_and_names_its_logins(app, make):
    owner, other = make.staff("manager", password=PASSWORD), make.staff("desk", password=PASSWORD)
    with app.test_request_context():
        cookie = login_throttle.device_cookie(None, owner.id)
        device = login_throttle.read_device(cookie)
        assert device.staff_ids == (owner.id,)
        assert login_throttle.read_device(cookie[:-2] + "xx") is None
        assert login_throttle.read_device("garbage") is None
        assert auth.begin_login(other.email, "192.0.2.1", device).trusted_device is None
        assert auth.begin_login(owner.email, "192.0.2.1", device).trusted_device == device.nonce
        clock.set_now(NOW + timedelta(days=366))
        assert login_throttle.read_device(cookie) is None
        db.session.rollback()


@pytest.mark.parametrize("address,key", [("192.0.2.1", "192.0.2.1"), ("::ffff:192.0.2.1", "192.0.2.1"),
                                         ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
                                         ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"), (None, "unknown")])
def test_an_ipv6_client_is_counted_by_its_network(address, key):
    assert login_throttle.client_key(address) == key


def test_the_limits_hold_across_gunicorn_workers(database_url, make):
    """Two gunicorn workers, requests four at a time: the per-address limit is counted in the database, so 40
    guesses from one address get 20 verdicts in all, not 20 per worker."""
    owner = make.staff("manager", password=PASSWORD)
    with Gunicorn(database_url, workers=2) as server:
        def post(email: str, password: str) -> int:
            body = urlencode({"email": email, "password": password}).encode()
            request = Request(f"{server.url}/login", data=body, headers={"Connection": "close"})
            try:
                with build_opener(NoRedirect).open(request, timeout=30) as response:
                    return response.status
            except HTTPError as error:
                return error.code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda n: post(f"guess{n}@example.com", "wrong-password"), range(40)))
        assert statuses == [422] * 40
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 20
        assert post(owner.email, PASSWORD) == 422   # throttled: this address has used up its guesses


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
