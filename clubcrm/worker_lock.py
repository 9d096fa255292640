"""The worker lock: exactly one `clubcrm worker` acts per database, on both engines.

SQLite: an exclusive `flock` on a file beside the database (`<database>.worker-lock`). The kernel drops it when
the process dies, however it dies; it is lost only when the file is removed or replaced, which `held()` notices.
PostgreSQL: a session advisory lock held on a connection of its own. A database restart (or a terminated backend)
drops the lock with the connection, and another worker can take it: `held()` asks pg_locks on that very
connection whether this backend still holds it, and a dead connection is a lost lock.

The worker checks `held()` before each job; `acquire()` never blocks, the caller polls.
"""
import fcntl
import logging
import os

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

log = logging.getLogger("clubcrm.worker")
# pg_advisory_lock key of the one active worker ("ClubCRM" in ASCII).
ADVISORY_LOCK_KEY = 0x436C756243524D


class FileLock:
    """An exclusive flock on PATH while held (SQLite)."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None

    def __str__(self) -> str:
        return f"file lock {self.path}"

    def acquire(self) -> bool:
        """Take the lock if no other process holds it."""
        if self._fd is not None:
            return self.held()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # The holder before us may have removed or replaced the file between our open and our lock.
        if not self._is_the_file(fd):
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())   # for an operator wondering who holds it
        self._fd = fd
        return True

    def held(self) -> bool:
        """Whether this process still holds the lock on the file now at PATH."""
        return self._fd is not None and self._is_the_file(self._fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)   # closing drops the flock; the file stays (removing it would race a new holder)
            self._fd = None

    def _is_the_file(self, fd: int) -> bool:
        try:
            there = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)


class AdvisoryLock:
    """PostgreSQL's session advisory lock KEY, held on a connection of its own."""

    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY):
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None

    def __str__(self) -> str:
        return f"advisory lock {self.key:#x}"

    @property
    def backend_pid(self) -> int | None:
        """The server process holding the lock for us (tests terminate it to simulate a restart)."""
        if self._connection is None:
            return None
        return self._connection.execute(text("SELECT pg_backend_pid()")).scalar()

    def acquire(self) -> bool:
        """Take the lock if no other session holds it; False too while the database cannot be reached."""
        if self._connection is not None:
            return self.held()
        try:
            connection = self.engine.connect()
        except Exception as error:   # the database is down: a standby keeps polling
            log.warning("worker lock: cannot reach the database (%s)", type(error).__name__)
            return False
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            connection.commit()
        except Exception as error:
            log.warning("worker lock: cannot take it (%s)", type(error).__name__)
            self._drop(connection)
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """Whether our backend still holds the lock, asked on the lock's own connection."""
        if self._connection is None:
            return False
        try:
            # A bigint key shows in pg_locks as its high half in classid, its low half in objid, objsubid 1.
            found = self._connection.execute(text(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
                " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"),
                {"high": self.key >> 32, "low": self.key & 0xFFFFFFFF}).scalar()
            self._connection.commit()
        except Exception as error:   # the connection died with the server or its backend: so did the lock
            log.warning("worker lock: its connection is gone (%s)", type(error).__name__)
            self._drop(self._connection)
            self._connection = None
            return False
        return found is not None

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.commit()
            self._connection.close()
        except Exception:
            self._drop(self._connection)
        self._connection = None

    @staticmethod
    def _drop(connection: Connection) -> None:
        """Close a connection that may be broken, keeping it out of the pool."""
        try:
            connection.invalidate()
            connection.close()
        except Exception:
            log.debug("worker lock: closing a broken connection failed", exc_info=True)


class NoLock:
    """An in-memory SQLite database: nothing another process could share."""

    def __str__(self) -> str:
        return "no lock (in-memory database)"

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def lock_for(engine: Engine) -> FileLock | AdvisoryLock | NoLock:
    """The worker lock of ENGINE's database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    if engine.dialect.name != "sqlite":
        raise RuntimeError(f"no worker lock for {engine.dialect.name}")
    database = engine.url.database or ""
    if database.startswith("file:"):   # a URI filename (uri=true)
        path, _, query = database.removeprefix("file:").partition("?")
        database = "" if "mode=memory" in query else path
    if database in ("", ":memory:"):
        return NoLock()
    return FileLock(os.path.abspath(database) + ".worker-lock")
