"""Migrations: an empty database upgrades to head on both engines and matches the models exactly."""
import secrets

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from clubcrm.extensions import db
from tests.conftest import ENGINES, NOW, ROOT, TODAY, make_app


def test_head_matches_the_models(app, ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_table_is_created(app, ctx):
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == tables


# --- upgrading a database in use ------------------------------------------------------------------------------

# The head before issue 13's migrations, whose batch mode copies and drops the plan and member tables on SQLite.
BEFORE_CLUBS_OF_A_CHAIN = "f384f63a994b"


@pytest.fixture(params=ENGINES)
def in_use(request, tmp_path) -> str:
    """A database of its own on each engine, at BEFORE_CLUBS_OF_A_CHAIN, holding a club's plan, member, membership
    and visit: the rows that point at the tables a batch migration rebuilds."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'in-use.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database(f"inuse_{secrets.token_hex(4)}")
    app = make_app(url)
    with app.app_context():
        command.upgrade(alembic_config(app), BEFORE_CLUBS_OF_A_CHAIN)
        with db.engine.begin() as connection:
            for statement in (
                    "INSERT INTO club (id, name, timezone, currency, country, default_locale, created_at) "
                    "VALUES (1, 'North', 'UTC', 'EUR', 'FI', 'en', :now)",
                    "INSERT INTO plan (id, club_id, name, duration_days, price_minor, currency, service_units, "
                    "active) VALUES (1, 1, 'Year', 365, 50000, 'EUR', 0, :yes)",
                    "INSERT INTO member (id, club_id, first_name, last_name, name_key, name_key_rev, card_code, "
                    "locale, source, sms_consent, created_at) "
                    "VALUES (1, 1, 'A', 'B', 'a b', 'b a', 'C-1', 'en', 'desk', :yes, :now)",
                    "INSERT INTO membership (id, club_id, member_id, plan_id, starts_on, ends_on, price_minor, "
                    "currency, sold_at) VALUES (1, 1, 1, 1, :today, :today, 50000, 'EUR', :now)",
                    "INSERT INTO visit (club_id, member_id, membership_id, checked_in_at, source) "
                    "VALUES (1, 1, 1, :now, 'desk')"):
                connection.execute(text(statement), {"now": NOW, "today": TODAY, "yes": True})
        db.engine.dispose()
    return url


def alembic_config(app):
    return app.extensions["migrate"].migrate.get_config(str(ROOT / "migrations"))


def test_a_database_in_use_upgrades_to_head_and_back_keeping_its_rows(in_use):
    """Rows pointing at a rebuilt table (a membership at its plan and member, a visit at its membership) neither
    stop the upgrade nor are lost; down and up again both run."""
    app = make_app(in_use)
    with app.app_context():
        config = alembic_config(app)
        command.upgrade(config, "head")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT member_id, plan_id FROM membership")).all() == [(1, 1)]
            assert connection.execute(text("SELECT membership_id FROM visit")).all() == [(1,)]
        command.downgrade(config, BEFORE_CLUBS_OF_A_CHAIN)
        command.upgrade(config, "head")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM visit")).scalar() == 1
            assert connection.execute(text("SELECT card_code FROM member")).scalar() == "C-1"
        db.engine.dispose()


def test_a_failed_sqlite_migration_rolls_back_whole(tmp_path):
    """A step that fails (here: a row already pointing at nothing, which the check after each step refuses) leaves
    no half-rebuilt table or added column behind: Python's sqlite3 would otherwise commit before each DDL."""
    app = make_app(f"sqlite:///{tmp_path / 'broken.db'}")
    with app.app_context():
        config = alembic_config(app)
        command.upgrade(config, BEFORE_CLUBS_OF_A_CHAIN)
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("INSERT INTO visit (club_id, member_id, checked_in_at, source) "
                        "VALUES (7, 7, '2026-01-01 10:00:00', 'desk')")
            raw.commit()
            raw.execute("PRAGMA foreign_keys=ON")
        db.engine.dispose()
        with pytest.raises(RuntimeError, match="rolled back"):
            command.upgrade(config, "head")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                == BEFORE_CLUBS_OF_A_CHAIN
            assert connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '_alembic%'")).all() == []
        assert "sms_from" not in {c["name"] for c in inspect(db.engine).get_columns("club")}
        db.engine.dispose()


def test_untouched_default_texts_gain_their_link_sentence_and_edited_ones_stay(database_url):
    """Issue 18's text migration: a club's rule text still exactly the old default gets the new default with its
    link sentence, a text a manager edited is kept; downgrading takes the sentence back out."""
    import json

    from clubcrm.db import unit_of_work
    from clubcrm.lifecycle import defaults
    from clubcrm.lifecycle.texts import DEFAULT_TEXTS
    from clubcrm.services.member_links import without_link_sentence
    from tests.factories import Factory

    app = make_app(database_url)
    with app.app_context():
        club = Factory(app).club(name="Old Texts")
        with unit_of_work():
            defaults.ensure(club)
        config = alembic_config(app)
        command.downgrade(config, "a720fdb6b7ac")

        def texts_of(key):
            with db.engine.connect() as connection:
                value = connection.execute(text("SELECT texts FROM rule WHERE key = :key"), {"key": key}).scalar()
            return value if isinstance(value, dict) else json.loads(value)

        old = texts_of("renewal_45")
        assert old["en"] == without_link_sentence(DEFAULT_TEXTS["renewal_45"]["en"]) and "{link}" not in old["en"]
        edited = {**old, "de": "Hallo {first_name}, bis bald!"}
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE rule SET texts = :texts WHERE key = 'renewal_45'"),
                               {"texts": json.dumps(edited)})
        command.upgrade(config, "head")
        new = texts_of("renewal_45")
        assert new["en"] == DEFAULT_TEXTS["renewal_45"]["en"] and new["en"].endswith("{link}")
        assert new["de"] == "Hallo {first_name}, bis bald!"
        assert texts_of("trial_invite")["ru"] == DEFAULT_TEXTS["trial_invite"]["ru"]
        db.session.remove()
        db.engine.dispose()
