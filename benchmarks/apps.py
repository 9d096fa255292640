"""The app under measurement and a bare engine beside it for the baselines, opened and closed together."""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from clubcrm.extensions import db
from clubcrm.sqlite import enable_sqlite_pragmas
from tests.conftest import make_app


@contextmanager
def app_and_core(url: str) -> Iterator[tuple[Flask, Engine]]:
    """Yield the app on URL and a plain engine that connects as the app does (SQLite's pragmas and busy timeout,
    PostgreSQL without JIT); dispose of both afterwards."""
    app = make_app(url)
    core = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    enable_sqlite_pragmas(core)
    try:
        yield app, core
    finally:
        core.dispose()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
