"""Import jobs of the upload page: keep the file between preview and confirm, run it in the background.

The members go in in one transaction of the job's own session; the progress goes out on connections of
its own, committed at once, so that the page can show it while that transaction is still open. On SQLite
the progress is written while the rows are being checked (the members' INSERT comes after and holds the
only write lock only for its last second or two); on PostgreSQL the two never wait for each other."""
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.imports import report
from clubcrm.imports.headers import FIELDS, guess_mapping, has_name
from clubcrm.imports.reading import Table, read_table
from clubcrm.imports.run import MODES, Checked, check, run
from clubcrm.models import Club, ImportJob, Staff

log = logging.getLogger(__name__)
# The biggest file the page takes (50,000 members of a spreadsheet are about 5 MB).
MAX_BYTES = 20 * 1024 * 1024
# Jobs running in this process, by id (the tests and a shutdown can wait for them).
RUNNING: dict[int, threading.Thread] = {}


def upload_folder(app: Flask) -> Path:
    """Where uploaded files wait for their import: the app's instance folder (the web's and the worker's)."""
    return Path(app.instance_path) / "imports"


def stored_file(folder: Path, job_id: int) -> Path:
    """Where the uploaded file of job JOB_ID waits between the preview and the end of the import."""
    return folder / f"job-{job_id}.csv"


def create(staff: Staff, club: Club, filename: str, data: bytes, folder: Path) -> ImportJob:
    """Read an uploaded file, guess its columns and keep it for the preview; flush the new job."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("file", _l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)))
    table = read_table(data)
    fields = guess_mapping(table.headers)
    if not has_name(fields):
        raise InvalidInput("file", _l("No column looks like a name: the first row must hold the column headers, "
                                      "such as First name, Last name, Phone."))
    job = ImportJob(club_id=club.id, staff_id=staff.id, filename=filename[:255], status="previewed",
                    mapping={"headers": table.headers, "fields": fields, "encoding": table.encoding,
                             "delimiter": table.delimiter},
                    total_rows=len(table.records), created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    folder.mkdir(parents=True, exist_ok=True)
    stored_file(folder, job.id).write_bytes(data)
    return job


def load_table(job: ImportJob, folder: Path) -> Table:
    """The job's file read as its preview read it."""
    path = stored_file(folder, job.id)
    if not path.exists():
        raise NotFound("file", _l("The uploaded file is gone; upload it again."))
    return read_table(path.read_bytes(), encoding=job.mapping["encoding"], delimiter=job.mapping["delimiter"])


def preview(job: ImportJob, folder: Path) -> tuple[Table, Checked]:
    """Check every row of the job's file with its mapping, writing nothing."""
    table = load_table(job, folder)
    return table, check(db.session.get(Club, job.club_id), table, job.mapping["fields"])


def remap(job: ImportJob, fields: list[str | None]) -> ImportJob:
    """Set the member field of each column, as chosen on the preview; flush."""
    if job.status != "previewed":
        raise InvalidInput("mapping", _l("This import has already started."))
    headers = job.mapping["headers"]
    if len(fields) != len(headers) or any(f is not None and f not in FIELDS for f in fields):
        raise InvalidInput("mapping", _l("Choose a member field or nothing for each column."))
    chosen = [f for f in fields if f is not None]
    if len(chosen) != len(set(chosen)):
        raise InvalidInput("mapping", _l("Each member field can come from one column only."))
    if not has_name(fields):
        raise InvalidInput("mapping", _l("Choose the column that holds the first name or the full name."))
    job.mapping = {**job.mapping, "fields": list(fields)}
    db.session.flush()
    return job


def confirm(job: ImportJob, mode: str) -> ImportJob:
    """Mark the job to run in MODE (all or nothing, or the valid rows); flush; Conflict if it already started."""
    if job.status != "previewed":
        raise InvalidInput("mode", _l("This import has already started."))
    if mode not in MODES:
        raise InvalidInput("mode", _l("Choose all or nothing, or the valid rows."))
    # Compare and set in the database: of two confirms (a double click, two tabs) that both read "previewed",
    # only one changes the row, and only that one may start the thread.
    changed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job.id, ImportJob.status == "previewed")
        .values(status="running", mode=mode, processed_rows=0)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("mode", _l("This import has already started."))
    db.session.refresh(job)
    return job


def cancel(job: ImportJob, folder: Path) -> ImportJob:
    """Drop a preview: delete its uploaded file and mark the job failed; flush; Conflict if it already started."""
    if not _close_previewed(job.id, folder, _l("Cancelled.")):
        raise Conflict("mode", _l("This import has already started."))
    db.session.refresh(job)
    return job


def _close_previewed(job_id: int, folder: Path, message) -> bool:
    """Mark the previewed job failed with MESSAGE and delete its file; False if it is no longer previewed."""
    changed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "previewed")
        .values(status="failed", error=str(message)[:500], finished_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:   # compare and set, as confirm: a confirm that came first keeps its file
        return False
    stored_file(folder, job_id).unlink(missing_ok=True)
    return True


# A preview nobody confirmed keeps personal data on disk: it goes after a day.
PREVIEW_LIFETIME = timedelta(hours=24)
# An import is one transaction of a few minutes at most; one still "running" after this lost its process.
RUNNING_LIFETIME = timedelta(hours=2)


def expire_stale(folder: Path) -> tuple[int, int]:
    """Close previews older than a day and imports running for over two hours, deleting their files; flush.

    Returns (previews expired, imports marked stopped). The worker cannot see the web process's threads,
    so a job is judged by its age (created_at: the job has no start time of its own)."""
    now = utcnow()
    previews = db.session.scalars(select(ImportJob.id).where(
        ImportJob.status == "previewed", ImportJob.created_at < now - PREVIEW_LIFETIME)).all()
    expired = sum(_close_previewed(job_id, folder, _l("The preview expired; upload the file again."))
                  for job_id in previews)
    stopped = db.session.scalars(select(ImportJob.id).where(
        ImportJob.status == "running", ImportJob.created_at < now - RUNNING_LIFETIME)).all()
    marked = 0
    for job_id in stopped:
        marked += db.session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "running")
            .values(status="failed", finished_at=now,
                    error=str(_l("The import stopped before it finished; nothing was imported.")))
            .execution_options(synchronize_session=False)).rowcount
        stored_file(folder, job_id).unlink(missing_ok=True)
    db.session.flush()
    return expired, marked


def start(app: Flask, job_id: int, folder: Path, locale: str) -> threading.Thread:
    """Run the confirmed job JOB_ID in a thread with an app context of its own (call after the commit)."""
    thread = threading.Thread(target=_thread_main, args=(app, job_id, folder, locale),
                              name=f"import-{job_id}", daemon=True)
    RUNNING[job_id] = thread
    thread.start()
    return thread


def _thread_main(app: Flask, job_id: int, folder: Path, locale: str) -> None:
    try:
        with app.app_context():
            try:
                execute(job_id, folder, locale)
            finally:
                db.session.remove()
    finally:
        RUNNING.pop(job_id, None)


def _set_progress(job_id: int, done: int) -> None:
    """Write the job's progress on a connection of its own, committed at once."""
    with db.engine.begin() as connection:
        connection.execute(update(ImportJob.__table__).where(ImportJob.id == job_id).values(processed_rows=done))


def _finish(job_id: int, outcome: dict) -> int:
    """Write the outcome of the running job JOB_ID in the import's own transaction; return the rows changed."""
    return db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "running").values(**outcome)
        .execution_options(synchronize_session=False)).rowcount


def execute(job_id: int, folder: Path, locale: str) -> None:
    """Import the job's file: the members in one transaction, or nothing; record the outcome on the job."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "running":
        return
    staff = db.session.get(Staff, job.staff_id) if job.staff_id else None
    club = db.session.get(Club, job.club_id)
    try:
        with force_locale(locale):
            table = load_table(job, folder)
            result = run(staff, club, table, job.mapping["fields"], mode=job.mode, filename=job.filename,
                         progress=lambda done: _set_progress(job_id, done))
            outcome = {"report": report.entries(result.checked.refusals), "total_rows": result.checked.total,
                       "processed_rows": result.checked.total, "imported_rows": result.imported,
                       "refused_rows": result.refused, "status": "done", "finished_at": utcnow()}
            if result.refused and not result.imported:
                outcome["status"] = "failed"
                outcome["error"] = str(_l("Nothing was imported: %(count)s rows were refused.",
                                          count=result.refused))
            # Still "running" or nothing: if the housekeeping gave the job up meanwhile (it said that nothing
            # was imported), the members go too, so that what it said stays true.
            if _finish(job_id, outcome) != 1:
                db.session.rollback()
                return
            db.session.commit()
    except Exception as error:   # whatever it was, nothing of the import stays, and the page says so
        db.session.rollback()
        if not isinstance(error, IntegrityError | InvalidInput | NotFound):
            log.exception("Import job %s failed", job_id)
        with force_locale(locale):
            if isinstance(error, IntegrityError):
                message = _l("Nothing was imported: meanwhile another member got one of these phone numbers or "
                             "card codes. Check the file again.")
            elif isinstance(error, InvalidInput | NotFound):
                message = error.message
            else:
                message = _l("The import failed; nothing was imported.")
            text = str(message)[:500]
        with db.engine.begin() as connection:
            connection.execute(update(ImportJob.__table__).where(
                ImportJob.id == job_id, ImportJob.status == "running").values(
                status="failed", error=text, finished_at=utcnow()))
    finally:
        stored_file(folder, job_id).unlink(missing_ok=True)


def report_csv(job: ImportJob, refusals: list[dict]) -> Iterator[str]:
    """The job's refused rows as CSV, with the file's column headers."""
    return report.to_csv(refusals, job.mapping["headers"], job.mapping["fields"])
