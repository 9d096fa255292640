"""Fixtures: an app on SQLite and on PostgreSQL, a client, logins, factories and a frozen clock."""
import contextvars
import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade

from clubcrm import clock, create_app
from clubcrm.extensions import db
from tests.factories import Factory
from tests.postgres import Cluster
from tests.web import Web

# The fake Twilio server's fixture (`fake_twilio`) for every test module.
pytest_plugins = ["tests.fake_twilio"]

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("sqlite", "postgresql")
# Tuesday 10 March 2026, 10:00 in Helsinki: every test starts at this instant unless it moves the clock.
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


class IsolatedClient(FlaskClient):
    """A test client whose requests run in a context of their own, as a browser's would.

    Flask reuses an app context that is already pushed, so without this a request would share the
    test's session, identity map and `g` (Flask-Babel caches the locale there)."""

    def open(self, *args, **kwargs):
        # Buffered: a streamed body (the CSV exports) is read inside the request's own context, as a server
        # would; read later, its generator would pop Flask's contexts in the test's context instead.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(database_url: str, **overrides):
    """Create an app for tests on DATABASE_URL."""
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": database_url,
                      "WTF_CSRF_ENABLED": False, **overrides})
    app.test_client_class = IsolatedClient
    return app


def migrate_to_head(url: str) -> None:
    """Run every migration on an empty database at URL."""
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def pg_cluster():
    """Start a throwaway PostgreSQL cluster on loopback once per test session."""
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate_to_head(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(scope="session")
def pg_database(pg_cluster) -> str:
    """A PostgreSQL database migrated to head once; each test starts from its tables emptied."""
    url = pg_cluster.create_database("clubcrm_test")
    migrate_to_head(url)
    return url


def empty_tables(url: str) -> None:
    """Empty every table and restart the id sequences (much faster than a database per test)."""
    import psycopg

    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> str:
    """A fresh database at the schema's head, on each engine in turn."""
    if request.param == "sqlite":
        target = tmp_path / "clubcrm.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("pg_database")
    empty_tables(url)
    return url


@pytest.fixture(autouse=True)
def frozen_clock():
    """Pin the clock to NOW; tests move it with clock.set_now."""
    clock.set_now(NOW)
    yield clock
    clock.set_now(None)


@pytest.fixture
def app(database_url, tmp_path):
    # Uploads of its own: job ids start at 1 in every test database, and the test processes run side by side.
    app = make_app(database_url, IMPORT_FOLDER=str(tmp_path / "imports"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """Run the test inside an app context, as a service call would."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app, ctx) -> Factory:
    """Factories that create clubs, staff, members, plans and sales, committed."""
    return Factory(app)


@pytest.fixture
def web(client, make) -> Web:
    """The `client` (that `login_as` logs in), ending the test's transaction before each request."""
    return Web(client)


@pytest.fixture
def login_as(client, make):
    """Log the test client in as a new staff member with ROLE; returns the staff."""

    def login(role: str = "desk", club=None, password: str = "secret-pass"):
        staff = make.staff(role, club=club, password=password)
        response = client.post("/login", data={"email": staff.email, "password": password})
        assert response.status_code == 302, response.data
        return staff

    return login
