"""The first run: `clubcrm setup` and `clubcrm setup-code` from the shell, /setup in the browser with the setup
code, and everything they refuse (a second setup, a wrong code, a bad value) changing nothing."""
import logging
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from clubcrm import setup_code
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Club, LoginFailure, Rule, Staff, Tool
from clubcrm.services import first_run
from tests.conftest import make_app
from tests.web import field_errors

PASSWORD = "long-enough-pass"
FLAGS = ["--club-name", "Kuntosali Kallio", "--country", "fi", "--timezone", "Europe/Helsinki", "--currency", "eur",
         "--locale", "fi", "--phone", "040 123 4567", "--owner-email", "Owner@Example.com",
         "--owner-password", PASSWORD, "--owner-name", "Olga Owner"]
FORM = {"club_name": "Kuntosali Kallio", "country": "FI", "timezone": "Europe/Helsinki", "currency": "EUR",
        "locale": "fi", "phone": "", "owner_name": "Olga Owner", "owner_email": "owner@example.com",
        "owner_password": PASSWORD, "owner_password_repeat": PASSWORD}


@pytest.fixture
def code_file(tmp_path):
    return tmp_path / "private" / "setup-code"


@pytest.fixture
def app(database_url, code_file):
    app = make_app(database_url, SETUP_CODE_FILE=str(code_file))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def counts() -> dict[str, int]:
    """Rows of every table setup writes (the session's snapshot ended first)."""
    db.session.commit()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Club, Staff, Tool, Rule, AuditEvent)}


NOTHING = {"Club": 0, "Staff": 0, "Tool": 0, "Rule": 0, "AuditEvent": 0}


# --- clubcrm setup ---------------------------------------------------------------------------------------


def test_setup_with_flags_makes_the_club_its_rules_and_the_owner_in_one_go(runner, ctx, code_file):
    setup_code.current(code_file)   # a server started before: its code is closed by the shell's setup
    result = runner.invoke(args=["setup", *FLAGS])
    assert result.exit_code == 0, result.output
    club = db.session.scalar(select(Club))
    owner = db.session.scalar(select(Staff))
    assert (club.name, club.country, club.timezone, club.currency, club.default_locale, club.phone) == (
        "Kuntosali Kallio", "FI", "Europe/Helsinki", "EUR", "fi", "+358401234567")
    assert (owner.email, owner.role, owner.club_id, owner.name, owner.locale) == (
        "owner@example.com", "owner", None, "Olga Owner", "fi")
    assert counts()["Rule"] > 0 and counts()["Tool"] > 0   # the default lifecycle tools and rules
    assert "owner@example.com" in result.output and "Next steps" in result.output and "checklist" in result.output
    assert not code_file.exists()


def test_a_second_setup_is_refused_and_changes_nothing(runner, ctx):
    assert runner.invoke(args=["setup", *FLAGS]).exit_code == 0
    before = counts()
    again = runner.invoke(args=["setup", *FLAGS[:-6], "--owner-email", "second@example.com",
                                "--owner-password", PASSWORD])
    assert again.exit_code != 0
    assert "already set up" in again.output
    assert counts() == before


BAD_FLAGS = [
    ("--club-name", ""), ("--club-name", "x" * 81), ("--country", "XX"), ("--timezone", "Europe/Atlantis"),
    ("--currency", "XYZ"), ("--locale", "sv"), ("--phone", "12"), ("--owner-email", "not-an-email"),
    ("--owner-email", "a@" + "x" * 260), ("--owner-password", "short"), ("--owner-password", "password123"),
    ("--owner-name", "x" * 121),
]


@pytest.mark.parametrize("flag,value", BAD_FLAGS)
def test_a_bad_value_is_refused_naming_its_flag_and_nothing_is_written(runner, ctx, flag, value):
    args = list(FLAGS)
    args[args.index(flag) + 1] = value
    result = runner.invoke(args=["setup", *args])
    assert result.exit_code != 0
    assert f"'{flag}'" in result.output, result.output
    assert "Nothing was written" in result.output
    assert counts() == NOTHING


def test_a_missing_flag_is_named_when_no_terminal_can_be_asked(runner, ctx):
    args = list(FLAGS)
    del args[args.index("--owner-email"):args.index("--owner-email") + 2]
    result = runner.invoke(args=["setup", *args])
    assert result.exit_code != 0 and "--owner-email" in result.output
    assert counts() == NOTHING


def test_without_flags_setup_asks_and_asks_again_for_a_refused_value(runner, ctx):
    answers = ["My Club", "SE", "Europe/Nowhere", "SEK", "en", "", "me@example.com", PASSWORD, PASSWORD, "",
               "Europe/Stockholm"]   # the time zone refused, then asked again
    result = runner.invoke(args=["setup"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Choose a time zone" in result.output
    assert PASSWORD not in result.output   # the password prompt hides what is typed
    club = db.session.scalar(select(Club))
    assert (club.name, club.country, club.timezone, club.currency) == ("My Club", "SE", "Europe/Stockholm", "SEK")
    assert db.session.scalar(select(Staff.email)) == "me@example.com"


def test_two_setups_at_once_make_one_club(app, ctx):
    def set_up(n: int):
        with app.app_context():
            try:
                with unit_of_work():
                    first_run.set_up({**FORM, "club_name": f"Club {n}", "owner_email": f"owner{n}@example.com"})
                return "made"
            except DomainError as error:
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(set_up, range(4)))
    assert sorted(results) == ["already_set_up"] * 3 + ["made"]
    assert counts()["Club"] == 1 and counts()["Staff"] == 1


# --- clubcrm setup-code ------------------------------------------------------------------------------------


def test_the_setup_code_is_one_private_file_shared_by_every_process(app, runner, database_url, code_file):
    printed = runner.invoke(args=["setup-code"])
    assert printed.exit_code == 0, printed.output
    code = printed.stdout.strip()
    assert code == code_file.read_text().strip() and len(code.replace("-", "")) == 20
    assert stat.S_IMODE(code_file.stat().st_mode) == 0o600
    other = make_app(database_url, SETUP_CODE_FILE=str(code_file))   # a second server process
    try:
        assert setup_code.announce(other) == code
        assert other.test_cli_runner().invoke(args=["setup-code"]).stdout.strip() == code
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_server_not_started_by_gunicorn_logs_the_code_at_its_first_page(app, client, code_file, caplog):
    """flask run or another WSGI host has no post_worker_init: the first page led to /setup logs the code, once."""
    with caplog.at_level(logging.WARNING):
        assert client.get("/").status_code == 302
        assert client.get("/members/").status_code == 302
    code = code_file.read_text().strip()
    logged = [record.getMessage() for record in caplog.records if code in record.getMessage()]
    assert len(logged) == 1 and "Open /setup" in logged[0]


def test_setup_code_says_when_setup_is_done(runner, code_file):
    assert runner.invoke(args=["setup", *FLAGS]).exit_code == 0
    result = runner.invoke(args=["setup-code"])
    assert result.exit_code != 0 and "already set up" in result.output
    assert not code_file.exists()


# --- /setup in the browser ---------------------------------------------------------------------------------


def test_without_a_club_every_page_leads_to_setup(client):
    for path in ("/", "/login", "/members/new", "/settings/", "/reports/", "/no-such-page"):
        response = client.get(path)
        assert (response.status_code, response.location) == (302, "/setup"), path
    assert client.post("/members/new", data={"first_name": "A"}).location == "/setup"
    assert client.get("/static/css/app.css").status_code == 200
    api = client.get("/api/v1/members/1")
    assert api.status_code == 401 and api.is_json   # no login exists yet: the API's own JSON answer
    assert client.post("/webhooks/twilio/inbound", data={"Body": "x"}).status_code == 403
    page = client.get("/setup")
    assert page.status_code == 200 and 'name="setup_code"' in page.text


def test_the_right_code_sets_up_logs_the_owner_in_and_closes_setup_for_good(client, ctx, code_file):
    code = setup_code.current(code_file)
    response = client.post("/setup", data={**FORM, "setup_code": code.lower().replace("-", " ")})
    assert (response.status_code, response.location) == (302, "/")
    assert counts()["Club"] == 1 and db.session.scalar(select(Staff.role)) == "owner"
    assert not code_file.exists()
    home = client.get("/")
    assert home.status_code == 200 and "Olga Owner" in home.text
    before = counts()
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data={**FORM, "setup_code": code, "club_name": "Take over",
                                       "owner_email": "thief@example.com"}).status_code == 404
    assert counts() == before and not code_file.exists()


@pytest.mark.parametrize("typed", ["", "AAAAA-BBBBB-CCCCC-DDDDD", "x" * 64])
def test_a_wrong_or_missing_code_changes_nothing(client, ctx, code_file, typed):
    code = setup_code.current(code_file)
    response = client.post("/setup", data={**FORM, "setup_code": typed})
    assert response.status_code == 422
    assert list(field_errors(response)) == ["setup_code"]
    assert counts() == NOTHING
    assert code_file.read_text().strip() == code


def test_wrong_codes_are_throttled_per_address(client, ctx, code_file, app):
    code = setup_code.current(code_file)
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT"]):
        client.post("/setup", data={**FORM, "setup_code": "AAAAA-BBBBB-CCCCC-DDDDD"})
    response = client.post("/setup", data={**FORM, "setup_code": code})
    assert response.status_code == 422
    assert "Too many wrong setup codes" in field_errors(response)["setup_code"][0]
    assert counts() == NOTHING


FIELD_CASES = [("club_name", ""), ("club_name", "x" * 81), ("country", "XX"), ("country", "FIN"),
               ("timezone", "Europe/Atlantis"), ("currency", "XYZ"), ("locale", "sv"), ("phone", "12"),
               ("owner_email", "not-an-email"), ("owner_email", ""), ("owner_password", "short"),
               ("owner_password", "password123"), ("owner_password_repeat", "another-long-one"),
               ("owner_name", "x" * 121)]


@pytest.mark.parametrize("field,value", FIELD_CASES)
def test_a_bad_value_is_shown_under_its_field_and_nothing_is_written(client, ctx, code_file, field, value):
    code = setup_code.current(code_file)
    data = {**FORM, field: value, "setup_code": code}
    if field == "owner_password":
        data["owner_password_repeat"] = value
    response = client.post("/setup", data=data)
    assert response.status_code == 422, response.status_code
    assert field in field_errors(response), field_errors(response)
    assert counts() == NOTHING
    assert code_file.exists()
    # A right code with a bad field uses up no guess.
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_no_bad_value_makes_a_server_error(client, ctx, code_file):
    code = setup_code.current(code_file)
    bad = ["", "   ", "x" * 10_000, "\x00", "Ωmega 😀", "'; DROP TABLE club; --", "2026-02-30", str(2**63)]
    # A password refused last (after the club is made), so that each value goes all the way through the services
    # even where it is a fine one (an emoji name), and the transaction must roll back the club made before it.
    refused = {**FORM, "owner_password": "short", "owner_password_repeat": "short", "setup_code": code}
    for field in [*FORM, "setup_code"]:
        for value in bad:
            response = client.post("/setup", data={**refused, field: value})
            assert response.status_code in (400, 413, 422), (field, value[:20], response.status_code)
    assert counts() == NOTHING


def test_setup_works_with_csrf_on(database_url, code_file):
    import re

    app = make_app(database_url, SETUP_CODE_FILE=str(code_file), WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        assert client.post("/setup", data={**FORM, "setup_code": "x"}).status_code == 400   # no token
        page = client.get("/setup").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        code = code_file.read_text().strip()
        response = client.post("/setup", data={**FORM, "setup_code": code, "csrf_token": token})
        assert (response.status_code, response.location) == (302, "/")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_code_left_over_after_setup_is_deleted_and_never_logged(app, client, runner, code_file):
    assert runner.invoke(args=["setup", *FLAGS]).exit_code == 0
    setup_code.current(code_file)   # a worker that wrote it while another finished setup
    assert setup_code.announce(app) is None and not code_file.exists()
    setup_code.current(code_file)
    assert client.get("/setup").status_code == 404 and not code_file.exists()
