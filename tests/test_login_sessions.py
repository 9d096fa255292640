"""Login sessions: checked on every request, so logout, "log out everywhere", a password change or a switched-off
login end them at once; idle and absolute lifetimes; the "Signed-in devices" page."""
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LoginSession, Staff
from clubcrm.services import api_tokens, auth, login_sessions
from tests.conftest import NOW
from tests.statements import statements
from tests.web import Web, field_errors, flashes

PASSWORD = "secret-pass"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/18.1 Mobile/15E148 Safari/604.1")


@pytest.fixture(autouse=True)
def real_lifetimes(request):
    """Put back the lifetimes of every configuration but the tests' (which keep logins through clock jumps)."""
    from config import Config

    assert (Config.LOGIN_IDLE_HOURS, Config.LOGIN_MAX_DAYS) == (12, 7)
    if "app" not in request.fixturenames:
        return
    request.getfixturevalue("app").config.update(LOGIN_IDLE_HOURS=Config.LOGIN_IDLE_HOURS,
                                                 LOGIN_MAX_DAYS=Config.LOGIN_MAX_DAYS)


def browser(app, agent: str = FIREFOX, address: str = "127.0.0.1") -> Web:
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    return Web(client)


def log_in(web: Web, staff, password: str = PASSWORD) -> None:
    response = web.post("/login", {"email": staff.email, "password": password})
    assert response.status_code == 302, field_errors(response)


def copy_of(web: Web, app) -> Web:
    """Another browser holding a copy of WEB's session cookie, and sending the same User-Agent and address (all
    of which a thief can copy: Flask-Login's "strong" protection was keyed on them)."""
    thief = Web(app.test_client())
    thief.client.environ_base.update(web.client.environ_base)
    thief.client.set_cookie("session", web.client.get_cookie("session").value)
    return thief


def is_in(web: Web) -> bool:
    response = web.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_cookie_copied_before_logout_is_refused_after(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    thief = copy_of(web, app)
    assert is_in(thief)
    assert web.post("/logout").status_code == 302
    assert not is_in(thief)
    assert not is_in(web)
    assert thief.get("/account/devices").status_code == 302


def test_a_password_change_ends_every_other_session(app, make):
    staff = make.staff("manager")
    here, there = browser(app), browser(app, SAFARI_IPHONE, "198.51.100.2")
    log_in(here, staff)
    log_in(there, staff)
    old_copy = copy_of(here, app)
    response = here.post("/account/password", {"current_password": PASSWORD, "new_password": "a-new-long-passphrase",
                                               "repeat_password": "a-new-long-passphrase"})
    assert response.status_code == 302, field_errors(response)
    assert is_in(here)               # this device signed in anew
    assert not is_in(there)          # the other device is out
    assert not is_in(old_copy)       # and so is a copy of this device's cookie from before the change
    assert [s.end_reason for s in db.session.scalars(select(LoginSession).order_by(LoginSession.id))] == \
        ["password", "password", None]
    log_in(browser(app), staff, "a-new-long-passphrase")


def test_a_switched_off_login_is_out_at_once_and_stays_out(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    copy = copy_of(web, app)
    with unit_of_work():
        ended = auth.set_active(None, db.session.get(Staff, staff.id), False)
    assert ended == 1
    assert not is_in(web) and not is_in(copy)
    with unit_of_work():   # switched on again: the old cookies stay dead
        auth.set_active(None, db.session.get(Staff, staff.id), True)
    assert not is_in(copy)


def test_a_manager_switches_a_desk_login_off_on_the_settings_page(app, make):
    desk, manager, owner = make.staff("desk"), make.staff("manager"), make.staff("owner")
    web, boss = browser(app), browser(app, agent="Mozilla/5.0 (Windows NT 10.0) Chrome/131.0")
    log_in(web, desk)
    log_in(boss, manager)
    page = boss.get("/settings/").get_data(as_text=True)
    assert f"/settings/staff/{desk.id}/active/0" in page
    assert f"/settings/staff/{manager.id}/active/0" not in page and f"/settings/staff/{owner.id}/" not in page
    answer = boss.post(f"/settings/staff/{desk.id}/active/0", follow_redirects=True)
    assert "Login switched off; 1 session ended." in answer.get_data(as_text=True)
    assert not is_in(web)
    # Not one's own login (refused with the reason), nor the owner's (no club's login: not found); nothing changed.
    assert "You cannot switch off your own login." in boss.post(
        f"/settings/staff/{manager.id}/active/0", follow_redirects=True).get_data(as_text=True)
    assert boss.post(f"/settings/staff/{owner.id}/active/0").status_code == 404
    db.session.expire_all()
    assert db.session.get(Staff, manager.id).active and db.session.get(Staff, owner.id).active
    assert is_in(boss)
    boss.post(f"/settings/staff/{desk.id}/active/1")
    db.session.expire_all()
    assert db.session.get(Staff, desk.id).active
    log_in(web, desk)


def test_a_login_switched_off_behind_the_services_back_is_refused_too(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    with unit_of_work():
        db.session.get(Staff, staff.id).active = False
    assert not is_in(web)
    assert db.session.scalar(select(LoginSession.end_reason)) == "deactivated"


def test_a_session_idle_for_twelve_hours_ends(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    clock.set_now(NOW + timedelta(hours=11, minutes=59))
    assert is_in(web)                # a request: the idle time starts again from here
    clock.set_now(NOW + timedelta(hours=23, minutes=58))
    assert is_in(web)
    clock.set_now(NOW + timedelta(hours=35, minutes=58, seconds=1))
    assert not is_in(web)
    assert db.session.scalar(select(LoginSession.end_reason)) == "idle"


def test_a_session_ends_seven_days_after_login_however_busy(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    for hours in range(6, 7 * 24, 6):
        clock.set_now(NOW + timedelta(hours=hours))
        assert is_in(web), hours
    clock.set_now(NOW + timedelta(days=7))
    assert not is_in(web)
    assert db.session.scalar(select(LoginSession.end_reason)) == "expired"
    log_in(web, staff)
    assert is_in(web)


def test_each_request_checks_the_session_in_one_query_and_writes_at_most_once_a_minute(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    row = db.session.scalar(select(LoginSession))
    clock.set_now(NOW + timedelta(seconds=59))
    assert is_in(web)
    db.session.expire_all()
    assert db.session.get(LoginSession, row.id).last_seen_at == NOW
    clock.set_now(NOW + timedelta(seconds=61))
    assert is_in(web)
    db.session.expire_all()
    assert db.session.get(LoginSession, row.id).last_seen_at == NOW + timedelta(seconds=61)
    staff_id, token = staff.id, _token_of(web, app)
    with app.app_context(), statements() as seen:
        found, wrote = login_sessions.check(token)
        assert found is not None and found.staff.id == staff_id and not wrote
    assert len(seen) == 1 and "FROM login_session LEFT OUTER JOIN staff" in seen[0], seen


def _token_of(web: Web, app) -> str:
    """Read the login session id from WEB's signed session cookie, as the server does."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(web.client.get_cookie("session").value)["login_session"]


def test_the_devices_page_lists_ones_own_sessions_and_ends_them(app, make, caplog):
    staff, colleague = make.staff("desk"), make.staff("desk")
    laptop, phone = browser(app), browser(app, SAFARI_IPHONE, "198.51.100.2")
    log_in(laptop, staff)
    log_in(phone, staff)
    log_in(browser(app), colleague)
    page = laptop.get("/account/devices")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-login-session="(\d+)"( class="current")?>\s*<td>([^<]*)', page.text)
    assert sorted((summary.strip(), bool(current)) for _id, current, summary in rows) == \
        [("Firefox · Linux", True), ("Safari · iOS", False)]
    assert "this device" in page.text and "198.51.100.2" in page.text
    colleague_session = db.session.scalar(select(LoginSession.id).where(LoginSession.staff_id == colleague.id))
    assert str(colleague_session) not in {row_id for row_id, _c, _s in rows}
    phone_id = next(int(row_id) for row_id, current, _s in rows if not current)
    with caplog.at_level(logging.INFO, logger="clubcrm.services.login_sessions"):
        # Someone else's session is simply not found.
        response = laptop.post(f"/account/devices/{colleague_session}/end", follow_redirects=True)
        assert "This device is not signed in." in flashes(response)
        response = laptop.post(f"/account/devices/{phone_id}/end", follow_redirects=True)
        assert "That device is logged out." in flashes(response)
        assert not is_in(phone) and is_in(laptop)
        log_in(phone, staff)
        response = laptop.post("/account/devices/end-all", follow_redirects=True)
        assert "Logged out on 2 devices." in flashes(response)
    assert not is_in(laptop) and not is_in(phone)
    ended = sum(int(m.group(1)) for r in caplog.records
                if (m := re.match(r"login sessions ended: (\d+)", r.getMessage())))
    assert ended == 3


def test_ending_this_device_from_the_page_logs_it_out(app, make):
    staff = make.staff("desk")
    web = browser(app)
    log_in(web, staff)
    this = db.session.scalar(select(LoginSession.id))
    assert web.post(f"/account/devices/{this}/end").headers["Location"].endswith("/login")
    assert not is_in(web)


def test_api_tokens_do_not_depend_on_login_sessions(app, make):
    staff = make.staff("desk")
    with unit_of_work():
        token = api_tokens.issue(db.session.get(Staff, staff.id), "turnstile")
    web = browser(app)
    log_in(web, staff)
    web.post("/account/devices/end-all")
    response = Web(app.test_client()).get(f"/api/v1/members/{make.member().id}",
                                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("agent,summary", [
    (FIREFOX, "Firefox · Linux"), (SAFARI_IPHONE, "Safari · iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
     "Edg/131.0.0.0", "Edge · Windows"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
     "Safari/537.36", "Chrome · Android"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Safari/605.1.15", "Safari · macOS"),
    ("curl/8.5.0", "curl"), ("", ""),
])
def test_the_client_summary_is_read_roughly_from_the_user_agent(agent, summary):
    assert login_sessions.summarize(agent) == summary
