"""Count the SQL a block of code sends: the tests that keep a query count constant share this."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from clubcrm.extensions import db

SETTING = "SET LOCAL statement_timeout"


@contextmanager
def statements() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (an executemany counts once). The time limit a web
    request's transactions begin with on PostgreSQL (clubcrm/statement_timeout.py) is a setting, not a query, and
    is left out, so that a count is the same on both engines."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.startswith(SETTING):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
