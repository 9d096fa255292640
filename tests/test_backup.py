"""Backups: one taken while the app writes restores to a database that passes the checks, on both engines."""
import contextvars
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from clubcrm import backup
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Member, Membership, Package, Visit
from clubcrm.services import checkin, members, sales
from tests.conftest import ROOT, make_app

COUNTED = (Member, Membership, Visit, Package, LedgerEntry)


def counts() -> dict:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


class Writers:
    """A thread that keeps registering leads, selling them a plan with PT units and checking them in."""

    def __init__(self, app, club_id: int, plan_id: int, desk_id: int) -> None:
        self.app, self.club_id, self.plan_id, self.desk_id = app, club_id, plan_id, desk_id
        self.stop = threading.Event()
        self.done = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        from clubcrm.models import Club, Staff

        with self.app.app_context():
            try:
                while not self.stop.is_set():
                    with unit_of_work():
                        club, desk = db.session.get(Club, self.club_id), db.session.get(Staff, self.desk_id)
                        member = members.create_lead(desk, club, {"first_name": "Writer",
                                                                  "last_name": f"No{self.done}"})
                    with unit_of_work():
                        sales.sell_membership(desk, member, self.plan_id, _today(club))
                    with unit_of_work():
                        checkin.check_in(desk, member)
                    self.done += 1
            except BaseException as error:  # the test fails on it below
                self.error = error
            finally:
                db.session.remove()

    def wait_for(self, n: int) -> None:
        while self.done < n and self.error is None and self.thread.is_alive():
            self.stop.wait(0.01)
        assert self.error is None, self.error


def _today(club):
    from clubcrm.clock import local_today

    return local_today(club.timezone)


def invoke(app, *args: str):
    """Run a CLI command on APP in a context of its own (the test's app context would otherwise be used)."""
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))


def restored_url(request, database_url: str, tmp_path: Path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return request.getfixturevalue("pg_cluster").create_database("clubcrm_restored")


def check_restored(url: str, before: dict, live: dict) -> None:
    """The checks a restored database must pass: schema at head, integrity, ledgers, references, counts."""
    app = make_app(url)
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
            assert context.get_current_revision() == head
            assert compare_metadata(context, db.metadata) == []
            if url.startswith("sqlite"):
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        ledger = (select(LedgerEntry.package_id, func.sum(LedgerEntry.units).label("units"))
                  .group_by(LedgerEntry.package_id).subquery())
        wrong = db.session.execute(select(Package.id).outerjoin(ledger, ledger.c.package_id == Package.id)
                                   .where(Package.balance != func.coalesce(ledger.c.units, 0))).all()
        assert wrong == []
        orphans = db.session.scalar(
            select(func.count()).select_from(Visit).outerjoin(Member, Member.id == Visit.member_id)
            .outerjoin(Membership, Membership.id == Visit.membership_id)
            .where((Member.id.is_(None)) | (Visit.membership_id.is_not(None) & Membership.id.is_(None))))
        assert orphans == 0
        restored = counts()
        for table in restored:
            assert before[table] <= restored[table] <= live[table], table
        club_id = db.session.scalar(select(Member.club_id).limit(1))
        assert [m.full_name for m in members.search(club_id, "writer no0", "FI")] == ["Writer No0"]
        db.session.remove()
        db.engine.dispose()


def test_a_backup_taken_while_the_app_writes_restores_to_a_sound_database(app, make, runner, request,
                                                                         database_url, tmp_path):
    service = make.service(name="PT")
    plan = make.plan(name="Month + PT", service_id=service.id, service_units=2)
    desk = make.desk()
    writers = Writers(app, make.default_club.id, plan.id, desk.id)
    writers.thread.start()
    try:
        writers.wait_for(3)
        db.session.commit()
        before = counts()
        target = tmp_path / "backups" / "taken-live.backup"
        result = runner.invoke(args=["backup", "--output", str(target)])
        assert result.exit_code == 0, result.output
        assert f"Backup written to {target}" in result.output
        assert target.stat().st_mode & 0o777 == 0o600   # personal data: readable by the app's account only
        writers.wait_for(writers.done + 3)   # and it kept writing after
    finally:
        writers.stop.set()
        writers.thread.join(60)
    assert writers.error is None, writers.error
    db.session.commit()
    live = counts()
    assert live["visit"] > before["visit"]

    url = restored_url(request, database_url, tmp_path)
    restoring = make_app(url)
    outcome = invoke(restoring, "restore", str(target))
    assert outcome.exit_code == 0, outcome.output
    check_restored(url, before, live)
    # A second restore over the data is refused without --force, and done with it.
    again = invoke(restoring, "restore", str(target))
    assert again.exit_code != 0 and "holds data" in again.output
    forced = invoke(restoring, "restore", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    check_restored(url, before, live)
    with restoring.app_context():
        db.engine.dispose()


def test_a_missing_or_foreign_file_is_refused(app, runner, tmp_path):
    assert "no backup file" in runner.invoke(args=["restore", str(tmp_path / "nothing.dump")]).output
    existing = tmp_path / "taken.backup"
    existing.write_text("x")
    assert "exists already" in runner.invoke(args=["backup", "--output", str(existing)]).output


def test_sqlite_refuses_a_file_that_is_not_a_backup(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'target.db'}")
    junk = tmp_path / "junk.sqlite3"
    with sqlite3.connect(junk) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with app.app_context(), pytest.raises(backup.BackupError, match="not a ClubCRM SQLite backup"):
        backup.restore(junk)


def test_the_default_backup_is_a_timestamped_file_under_instance_backups(app, ctx):
    path = backup.default_output(backup.database_url())
    suffix = "sqlite3" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "dump"
    assert path == Path(app.instance_path) / "backups" / f"clubcrm-20260310T080000Z.{suffix}"


def test_a_missing_postgresql_program_is_named(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(backup.BackupError, match="pg_nosuch not found: install the PostgreSQL client"):
        backup.pg_binary("pg_nosuch")
    assert backup.pg_binary("pg_dump").name == "pg_dump"   # found where tests/postgres.py finds initdb


def test_a_failed_sqlite_backup_leaves_no_half_copy(tmp_path):
    source = tmp_path / "live.db"
    app = make_app(f"sqlite:///{source}")
    with app.app_context():
        db.engine.dispose()
    source.write_bytes(b"not a database " * 512)   # the copy fails part-way
    out = tmp_path / "backups" / "broken.sqlite3"
    with app.app_context(), pytest.raises(backup.BackupError, match="not written: file is not a database"):
        backup.backup(out)
    assert list(out.parent.iterdir()) == []   # no .partial: a half copy still holds personal data


def test_a_full_disk_leaves_no_backup_and_says_so_in_one_line(app, ctx, make, database_url, tmp_path):
    """A file size limit (as a full disk, without root) stops the backup part-way, on both engines: no file at
    the final name, no temporary file left, one clear line and an exit code, no traceback."""
    make.member()
    db.session.commit()
    env = {**os.environ, "CLUBCRM_DATABASE_URL": database_url, "CLUBCRM_SECRET_KEY": "backup-test"}
    limit = backup.backup(tmp_path / "whole" / "clubcrm.backup").stat().st_size // 2

    def limited() -> None:   # in the child: a file size limit, with SIGXFSZ ignored, so a write past it fails
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    folder = tmp_path / "full"
    folder.mkdir()
    target = folder / "clubcrm.backup"
    done = subprocess.run([sys.executable, "-m", "clubcrm.cli", "backup", "--output", str(target)], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, preexec_fn=limited)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"Error: The backup was not written: the file size limit of this process was reached "
                     f"({limit:,} bytes: see ulimit -f). Free some space or choose another place with --output."]
    assert list(folder.iterdir()) == []
