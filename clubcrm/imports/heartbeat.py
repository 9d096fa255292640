"""The heartbeat of the threads that check and import files, and the worker's check that finds a dead one.

A thread runs in a web process that can be killed at any moment (a deploy, the OOM killer, kill -9): nothing
in it can then say that its job stopped. So it writes a heartbeat with its progress, every 1,000 rows, and
the worker marks a job whose heartbeat is older than a few minutes failed and deletes its file (personal
data), instead of the page showing "Importing… 36 %" for hours."""
import logging
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import ImportJob

log = logging.getLogger(__name__)
# The statuses a thread works in, and what the page says when that thread is found dead.
STALLED = {
    "checking": _l("The check of the file stopped before it finished; upload the file again."),
    "running": _l("The import stopped before it finished; nothing was imported."),
}


class JobClosed(Exception):
    """The job was closed while its thread worked (cancelled, or given up by the heartbeat check): stop."""


def beat(job_id: int, status: str, done: int) -> None:
    """Write the job's progress and heartbeat on a connection of its own, committed at once; raise JobClosed
    if the job is no longer in STATUS, so that its thread stops instead of working for nothing."""
    with db.engine.begin() as connection:
        changed = connection.execute(update(ImportJob.__table__).where(
            ImportJob.id == job_id, ImportJob.status == status).values(processed_rows=done, heartbeat_at=utcnow()))
    if changed.rowcount != 1:
        raise JobClosed(job_id)


def record_failure(job_id: int, status: str, text: str) -> bool:
    """Mark the job failed with TEXT if it is still in STATUS, on a fresh connection; False if the database
    cannot be reached (logged: the worker's heartbeat check closes the job later)."""
    for attempt in (1, 2):   # a pooled connection the outage broke is dropped by the first failure
        try:
            with db.engine.begin() as connection:
                connection.execute(update(ImportJob.__table__).where(
                    ImportJob.id == job_id, ImportJob.status == status).values(
                    status="failed", error=text[:500], preview=None, finished_at=utcnow()))
            return True
        except Exception as error:   # the database itself failed: this handler must not fail too
            if attempt == 2:
                log.warning("Import job %s: could not record its failure (%s); the heartbeat check will",
                            job_id, error.__class__.__name__)
    return False


def stalled_after() -> timedelta:
    """How old a heartbeat may be before its job counts as dead (setting IMPORT_HEARTBEAT_TIMEOUT_MINUTES)."""
    return timedelta(minutes=current_app.config.get("IMPORT_HEARTBEAT_TIMEOUT_MINUTES", 3))


def fail_stalled_imports() -> str:
    """Mark failed the jobs whose thread stopped beating and delete their files; flush."""
    from clubcrm.imports.jobs import stored_file, upload_folder

    folder: Path = upload_folder(current_app)
    now = utcnow()
    cutoff = now - stalled_after()
    # A job confirmed or uploaded before this version had no heartbeat: its creation stands in for it.
    old = or_(ImportJob.heartbeat_at < cutoff, ImportJob.heartbeat_at.is_(None) & (ImportJob.created_at < cutoff))
    closed = 0
    for job_id, status in db.session.execute(
            select(ImportJob.id, ImportJob.status).where(ImportJob.status.in_(STALLED), old)).all():
        # Compare and set: a beat that came meanwhile, or the job's own end, keeps the job as it is.
        changed = db.session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == status, old)
            .values(status="failed", error=str(STALLED[status]), preview=None, finished_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if changed == 1:
            stored_file(folder, job_id).unlink(missing_ok=True)
            closed += 1
    db.session.flush()
    return f"{closed} stalled imports closed"
