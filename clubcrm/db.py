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


class PlainRows:
    """A SELECT's rows as Core gives them, read from the driver in batches of BATCH (fetchmany): psycopg's fetchone
    checks the cursor's state on every row, a third of the time of reading the lifecycle facts' 1.2 million rows at
    100,000 members (profiled); iterating stays row by row for the caller."""

    BATCH = 2000

    def __init__(self, result) -> None:
        self.result = result

    def __iter__(self):
        for batch in self.result.partitions(self.BATCH):
            yield from batch

    def all(self) -> list:
        return self.result.all()


def plain_rows(statement) -> PlainRows:
    """Run a SELECT of plain columns on the session's connection, in its transaction, after flushing what it holds:
    rows as Core gives them, without the ORM's per-row loading (which cost more than the queries in the lifecycle
    facts and the KPIs' memberships, profiled). Iterate it: a batch of rows at a time stays cheaper than one list
    of tens of thousands of rows (the cyclic collector's scans)."""
    db.session.flush()
    return PlainRows(db.session.connection().execute(statement))


class DriverRows:
    """A SELECT's rows as the driver returns them (tuples, read in batches), for a statement none of whose columns
    needs converting on this engine: SQLAlchemy's Row for each of the lifecycle facts' 900,000 touchpoint and
    assignment rows cost more than the SQL that reads them on PostgreSQL (profiled: 1.2 s of a 6.4 s pass)."""

    def __init__(self, result) -> None:
        self.result = result

    def __iter__(self):
        cursor = self.result.cursor
        try:
            while batch := cursor.fetchmany(PlainRows.BATCH):
                yield from batch
        finally:
            self.result.close()

    def all(self) -> list:
        return list(self)


def plain_tuples(statement) -> PlainRows | DriverRows:
    """As plain_rows, for callers that unpack each row as a tuple: the driver's own tuples where no selected
    column needs SQLAlchemy to convert it on this engine (on PostgreSQL: integers, text, dates, booleans; on
    SQLite dates are text, so Core converts them as before)."""
    db.session.flush()
    connection = db.session.connection()
    dialect = connection.dialect
    if any(column.type.dialect_impl(dialect).result_processor(dialect, None) is not None
           for column in statement.selected_columns):
        return PlainRows(connection.execute(statement))
    return DriverRows(connection.execute(statement))


def _insert(model):
    """MODEL's INSERT in the session's dialect (SQLite and PostgreSQL both say ON CONFLICT DO NOTHING)."""
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name](model)


def insert_ignoring(model, rows: list[dict], unique: list[str]) -> None:
    """Insert ROWS into MODEL's table in one executemany, leaving out rows whose UNIQUE columns are taken
    (an idempotent job's rerun, or a concurrent one)."""
    # render_nulls: rows with and without some optional value stay one executemany.
    statement = _insert(model).on_conflict_do_nothing(index_elements=unique).execution_options(render_nulls=True)
    db.session.execute(statement, rows)


def insert_once(model, **values) -> bool:
    """Insert a row of MODEL unless a unique key of it is taken (by an earlier or a concurrent request, which this
    waits for on PostgreSQL); tell whether this call inserted it."""
    inserted = db.session.execute(_insert(model).values(**values).on_conflict_do_nothing().returning(model.id))
    return inserted.first() is not None
