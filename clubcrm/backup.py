"""Backups and restore: SQLite through its online backup API (a consistent copy while the app writes),
PostgreSQL through pg_dump / pg_restore in the custom format."""
import errno
import glob
import os
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select
from sqlalchemy.engine import URL, make_url

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.private_files import NO_ROOM, file_size_limited, private_file, private_folder, why_no_room


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why in plain words."""


def database_url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def default_output(url: URL) -> Path:
    """instance/backups/clubcrm-<UTC timestamp>.<sqlite3|dump>."""
    suffix = "sqlite3" if url.get_backend_name() == "sqlite" else "dump"
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / f"clubcrm-{stamp}.{suffix}"


def pg_binary(name: str) -> Path:
    """Find a PostgreSQL client program (newest installed first), or say how to get it."""
    candidates = [os.environ.get("CLUBCRM_PG_BINDIR")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                                                 key=_version, reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / name).exists():
            return Path(folder) / name
    found = shutil.which(name)
    if found:
        return Path(found)
    raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client) or set CLUBCRM_PG_BINDIR.")


def _version(folder: str) -> tuple[int, ...]:
    part = Path(folder).parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit()) or (0,)


def _pg_args(url: URL) -> tuple[list[str], dict]:
    """Connection options for pg_dump/pg_restore from URL; the password goes in the environment, not argv."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _run(command: list, env: dict) -> None:
    try:
        done = subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True)
    except OSError as error:
        raise BackupError(f"could not run {command[0]}: {error}") from None
    if done.returncode < 0:   # e.g. SIGXFSZ: the file size limit (ulimit -f) stops a program that ignores nothing
        raise BackupError(f"{Path(str(command[0])).name} was stopped by {signal.Signals(-done.returncode).name}")
    if done.returncode != 0:
        raise BackupError(f"{Path(str(command[0])).name} failed: {done.stderr.strip()}")


def _no_room(output: Path) -> BackupError:
    """The one-line refusal of a backup that found no room in OUTPUT's folder."""
    return BackupError(f"The backup was not written: {why_no_room(output.parent)}. Free some space or choose "
                       f"another place with --output.")


def backup(output: Path | None = None) -> Path:
    """Write a consistent backup of the configured database to OUTPUT (default under instance/backups/).

    It is written to a temporary name beside OUTPUT, readable by the app's account only (it holds every member's
    personal data), flushed to disk and renamed when complete: a full disk or a crash leaves no truncated file
    that looks like a backup."""
    url = database_url()
    if output is None:
        output = default_output(url)
        private_folder(output.parent)
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} exists already; choose another file.")
    try:
        with private_file(output) as partial:
            _write(url, partial)
    except OSError as error:
        if error.errno in NO_ROOM:
            raise _no_room(output) from None
        raise BackupError(f"The backup was not written: {error.strerror or error} ({output.parent}).") from None
    return output


def _write(url: URL, partial: Path) -> None:
    """Fill the empty file PARTIAL with the backup."""
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        try:
            # The empty 0600 file is taken as a new database; SQLite gives its journal the same mode.
            with sqlite3.connect(source, timeout=30) as src, sqlite3.connect(partial) as dest:
                # All pages in one step: the copy is one snapshot however the app writes meanwhile.
                src.backup(dest)
                dest.execute("PRAGMA journal_mode=DELETE")   # one self-contained file, no -wal beside it
            src.close()
            dest.close()
        except sqlite3.Error as error:
            # SQLite names a full disk SQLITE_FULL, and the file size limit (EFBIG) a write error.
            if error.sqlite_errorname == "SQLITE_FULL":
                raise OSError(errno.ENOSPC, str(error)) from None
            if error.sqlite_errorname.startswith("SQLITE_IOERR") and file_size_limited():
                raise OSError(errno.EFBIG, str(error)) from None
            raise BackupError(f"The backup was not written: {error}") from None
        finally:
            partial.with_name(partial.name + "-journal").unlink(missing_ok=True)
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        try:
            _run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--file", partial, *args,
                  "--dbname", url.database], env)
        except BackupError as error:
            # pg_dump says "could not write to output file: No space left on device" (or "File too large").
            if any(sign in str(error) for sign in ("No space left on device", "Disk quota exceeded")):
                raise OSError(errno.ENOSPC, str(error)) from None
            if any(sign in str(error) for sign in ("File too large", "SIGXFSZ")):
                raise OSError(errno.EFBIG, str(error)) from None
            raise
    else:
        raise BackupError(f"no backup for {url.get_backend_name()} databases")


def holds_data() -> bool:
    """Tell whether the configured database has any row in one of ClubCRM's tables."""
    present = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        return any(connection.execute(select(1).select_from(table).limit(1)).first() is not None
                   for table in db.metadata.sorted_tables if table.name in present)


def _check_sqlite_backup(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a ClubCRM SQLite backup: {error}") from None
    if ok != "ok":
        raise BackupError(f"{path} is damaged: {ok}")


def restore(path: Path, force: bool = False) -> None:
    """Put backup PATH in place of the configured database; refuse to overwrite data unless FORCE."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    url = database_url()
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise BackupError(f"no restore for {url.get_backend_name()} databases")
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(path)
    if not force and holds_data():
        raise BackupError("the database holds data: restoring would replace it. Stop the app and the worker, "
                          "then add --force.")
    db.engine.dispose()   # our own pooled connections must not hold the old file or tables
    if url.get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path, timeout=30) as src, sqlite3.connect(target, timeout=30) as dest:
            src.backup(dest)   # page by page into the live file, its WAL included: no stale -wal survives
        src.close()
        dest.close()
    else:
        args, env = _pg_args(url)
        _run([pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
              "--dbname", url.database, path], env)


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the backup (default: instance/backups/clubcrm-<time>.sqlite3 or .dump).")
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the database (safe while the app runs)."""
    try:
        written = backup(output)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {written}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Restore the database from a backup made by `clubcrm backup` (stop the app and the worker first)."""
    try:
        restore(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {file}")
