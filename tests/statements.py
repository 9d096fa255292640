"""Count the SQL a block of code sends: the tests that keep a query count constant share this."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from clubcrm.extensions import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (an executemany counts once)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
