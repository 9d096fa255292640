"""Telling an unreachable database from other database errors: the first is a 503 (try again), the rest bugs."""
from sqlalchemy import exc

# Seconds a client is told to wait (Retry-After) while the database cannot be reached.
RETRY_AFTER_SECONDS = 30
# PostgreSQL SQLSTATEs of a server that is away or going away: class 08 (connection exception), admin/crash
# shutdown, "the database system is starting up", too many connections.
PG_UNREACHABLE = ("57P01", "57P02", "57P03", "53300")
# SQLite's primary result codes for a file that cannot be used now: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
SQLITE_UNREACHABLE = {5, 6, 10, 13, 14}


def is_unreachable(error: BaseException) -> bool:
    """Tell whether ERROR means the database cannot be reached or used right now (not a bug in a statement)."""
    if isinstance(error, exc.TimeoutError):   # no pooled connection came free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:   # SQLAlchemy saw the connection drop
        return True
    original = error.orig
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in SQLITE_UNREACHABLE
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in PG_UNREACHABLE
    # psycopg raises OperationalError without a SQLSTATE when it cannot connect at all (refused, timed out).
    return isinstance(error, exc.OperationalError) and type(original).__module__.startswith("psycopg")
