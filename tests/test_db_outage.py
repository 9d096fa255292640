"""A database that goes away: pages answer 503 with Retry-After (the API its JSON error), never 500, and the
first request after a PostgreSQL restart is served (pool_pre_ping), under a real gunicorn."""
import socket

import pytest
import requests

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.services import api_tokens
from tests.conftest import ENGINES, make_app, migrate_to_head
from tests.factories import Factory
from tests.gunicorn import Gunicorn
from tests.postgres import Cluster


class StoppableCluster(Cluster):
    """A throwaway cluster of this test's own (the session's is shared): stopped and started in place."""

    def halt(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        # restart reuses the options of the first start (postmaster.opts), so the port stays the same.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "restart")


def seed(url: str) -> dict:
    """A desk login, its API token and a member, in the database at URL."""
    app = make_app(url)
    with app.app_context():
        make = Factory(app)
        staff, member = make.staff("desk"), make.member()
        with unit_of_work():
            token = api_tokens.issue(db.session.merge(staff))
        found = {"email": staff.email, "token": token, "member_id": member.id}
        db.session.remove()
        db.engine.dispose()
    return found


def test_a_postgresql_restart_and_outage_answer_503_then_recover(tmp_path):
    cluster = StoppableCluster().start()
    try:
        url = cluster.create_database("clubcrm_outage")
        migrate_to_head(url)
        data = seed(url)
        with Gunicorn(url, workers=1) as server:
            browser = requests.Session()
            logged_in = browser.post(server.url + "/login", data={"email": data["email"], "password": "secret-pass"},
                                     allow_redirects=False, timeout=10)
            assert logged_in.status_code == 302
            member = f"{server.url}/api/v1/members/{data['member_id']}"
            api = {"Authorization": f"Bearer {data['token']}"}

            def desk():
                return browser.get(server.url + "/", timeout=20)

            def card():
                return requests.get(member, headers=api, timeout=20)

            assert desk().status_code == 200 and card().status_code == 200   # the worker now holds a connection

            cluster.halt()
            cluster.resume()   # a restart: the pooled connection is dead, the server is back
            after_restart = [desk().status_code, card().status_code]

            cluster.halt()
            during = [desk(), card(), desk(), card()]
            # The 503 page's stylesheet (any static file) needs no database, even for a logged-in browser.
            stylesheet = browser.get(server.url + "/static/css/app.css", timeout=20).status_code
            cluster.resume()
            after_outage = [desk().status_code, card().status_code]
            log = server.log()
    finally:
        cluster.stop()
    assert after_restart == [200, 200], after_restart
    for response in during:
        assert response.status_code == 503, (response.status_code, response.text[:300])
        assert response.headers["Retry-After"] == "30"
    page, api_answer = during[0], during[1]
    assert page.headers["Content-Type"].startswith("text/html") and "503" in page.text
    assert api_answer.json()["error"]["code"] == "unavailable"
    assert stylesheet == 200
    assert after_outage == [200, 200], after_outage
    assert "Traceback" not in log, log


def unreachable_url(engine: str, tmp_path) -> str:
    """A database URL that cannot be opened: an SQLite path that is a folder, a PostgreSQL port nobody serves."""
    if engine == "sqlite":
        folder = tmp_path / "clubcrm.db"
        folder.mkdir()
        return f"sqlite:///{folder}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://clubcrm@127.0.0.1:{port}/clubcrm"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_that_cannot_be_opened_answers_503_not_500(engine, tmp_path):
    app = make_app(unreachable_url(engine, tmp_path))
    client = app.test_client()
    page = client.post("/login", data={"email": "desk@example.com", "password": "secret-pass"})
    api = client.get("/api/v1/members/1", headers={"Authorization": "Bearer ccrm_" + "x" * 43})
    with app.app_context():
        db.engine.dispose()
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert page.mimetype == "text/html" and "cannot be reached" in page.text
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.json["error"]["code"] == "unavailable"

