"""Transaction boundaries: services flush, the caller commits through unit_of_work."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clubcrm.extensions import db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit the session if the block succeeds; roll everything back if it raises."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def insert_ignoring(model, rows: list[dict], unique: list[str]) -> None:
    """Insert ROWS into MODEL's table in one executemany, leaving out rows whose UNIQUE columns are taken
    (an idempotent job's rerun, or a concurrent one). SQLite and PostgreSQL both say ON CONFLICT DO NOTHING."""
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    # render_nulls: rows with and without some optional value stay one executemany.
    statement = builder(model).on_conflict_do_nothing(index_elements=unique).execution_options(render_nulls=True)
    db.session.execute(statement, rows)
