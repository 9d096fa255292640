"""Acceptance: a fresh installation adopted as a new club would do it, over real processes. An empty database,
the real `clubcrm db upgrade` and `clubcrm setup` commands, then a real gunicorn (CSRF on) where the owner logs in,
adds a plan and a desk login, and the desk login registers a lead, sells the plan and checks the member in."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import Club, Member, Membership, Plan, Staff, Visit
from tests.conftest import ENGINES, ROOT, make_app
from tests.gunicorn import Gunicorn

CLUBCRM = Path(sys.executable).parent / "clubcrm"
OWNER, DESK = "owner@kallio.example", "desk@kallio.example"
PASSWORD = "long-enough-pass"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(params=ENGINES)
def empty_database(request, tmp_path) -> str:
    """A database with no tables at all, on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("pg_cluster").create_database("clubcrm_first_run")


def clubcrm(url: str, code_file: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the installed `clubcrm` command on URL, as an administrator would in a shell."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLUBCRM_")}
    env.update({"CLUBCRM_ENV": "test", "CLUBCRM_DATABASE_URL": url, "CLUBCRM_SETUP_CODE_FILE": str(code_file)})
    return subprocess.run([str(CLUBCRM), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def post(browser: requests.Session, url: str, page: str, data: dict) -> requests.Response:
    """Open PAGE, then submit DATA to URL with that page's CSRF token, as the browser's form would."""
    token = TOKEN.search(browser.get(page, timeout=20).text).group(1)
    return browser.post(url, data={**data, "csrf_token": token}, allow_redirects=False, timeout=20)


def log_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    answer = post(browser, base + "/login", base + "/login", {"email": email, "password": PASSWORD})
    assert (answer.status_code, answer.headers.get("Location")) == (302, "/"), answer.text[-500:]
    return browser


def test_an_empty_database_becomes_a_working_club_from_the_shell_and_the_web(empty_database, tmp_path):
    code_file = tmp_path / "setup-code"
    upgraded = clubcrm(empty_database, code_file, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    made = clubcrm(empty_database, code_file, "setup", "--club-name", "Kuntosali Kallio", "--country", "FI",
                   "--timezone", "Europe/Helsinki", "--currency", "EUR", "--locale", "fi", "--owner-email", OWNER,
                   "--owner-password", PASSWORD, "--owner-name", "Olga Owner")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Next steps" in made.stdout
    settings = {"WTF_CSRF_ENABLED": "true", "SETUP_CODE_FILE": str(code_file)}
    with Gunicorn(empty_database, workers=2, settings=settings) as server:
        base = server.url
        assert "setup code" not in server.log()   # set up: no code is offered
        owner = log_in(base, OWNER)
        plan = post(owner, base + "/settings/plans", base + "/settings/",
                    {"name": "Monthly", "duration_days": "30", "visit_limit": "", "price": "49,90"})
        desk_login = post(owner, base + "/settings/staff", base + "/settings/",
                          {"name": "Dana Desk", "email": DESK, "role": "desk", "password": PASSWORD})
        assert plan.status_code == desk_login.status_code == 302

        desk = log_in(base, DESK)
        lead = post(desk, base + "/members/new", base + "/members/new",
                    {"first_name": "Liisa", "last_name": "Lead", "phone": "040 765 4321", "email": "",
                     "card_code": "K-0001", "birth_date": "", "locale": "fi", "interest": "gym", "notes": ""})
        assert lead.status_code == 302, lead.text[-500:]
        card = base + lead.headers["Location"]
        app = make_app(empty_database)
        with app.app_context():
            plan_id = db.session.scalar(select(Plan.id).where(Plan.name == "Monthly"))
            db.session.remove()
        sold = post(desk, card + "/sell", card, {"plan_id": str(plan_id), "starts_on": ""})
        checked_in = post(desk, card + "/checkin", card, {})
        assert sold.status_code == checked_in.status_code == 302
    with app.app_context():
        club = db.session.scalar(select(Club))
        member = db.session.scalar(select(Member))
        membership = db.session.scalar(select(Membership))
        visit = db.session.scalar(select(Visit))
        staff = {s.email: (s.role, s.club_id) for s in db.session.scalars(select(Staff))}
        assert staff == {OWNER: ("owner", None), DESK: ("desk", club.id)}
        assert (member.club_id, member.card_code, member.phone) == (club.id, "K-0001", "+358407654321")
        assert (membership.member_id, membership.plan_id, membership.price_minor) == (member.id, plan_id, 4990)
        assert (visit.member_id, visit.club_id) == (member.id, club.id)
        db.session.remove()
        db.engine.dispose()
    assert not code_file.exists()
