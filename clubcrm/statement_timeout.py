"""A time limit on every SQL statement of a web request, on PostgreSQL: a report too heavy for a page stops
with a clear message (blueprints/reports.py) instead of holding a web worker until gunicorn kills it and the
desk waits behind it. The worker and the CLI never arm it: their jobs may take as long as they need.

Armed per request (`arm`): SET LOCAL in the request's open transaction and at the start of each later one (a view
that commits midway begins another), so the limit never leaks to the pooled connection's next user.
"""
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from clubcrm.extensions import db

# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout (or by a cancel request).
QUERY_CANCELED = "57014"
_KEY = "statement_timeout_ms"


def arm(milliseconds: int) -> None:
    """Limit each statement of this request's session to MILLISECONDS (0: no limit)."""
    if milliseconds <= 0:
        return
    session = db.session()
    session.info[_KEY] = int(milliseconds)
    if session.in_transaction():   # a login check before this began the request's transaction already
        _set_local(session.connection(), int(milliseconds))


def disarm() -> None:
    """Take the limit off the session (the request is over; a test's session may live on)."""
    db.session.info.pop(_KEY, None)


def is_timeout(error: BaseException) -> bool:
    """Tell whether ERROR is a statement stopped by the time limit."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) == QUERY_CANCELED


def _set_local(connection: Connection, milliseconds: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(milliseconds)}")


@event.listens_for(Session, "after_begin")
def _limit_new_transaction(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    milliseconds = session.info.get(_KEY)
    if milliseconds:
        _set_local(connection, milliseconds)
