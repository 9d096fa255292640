"""Import jobs of the upload page: keep the file between preview and confirm, check and run it in the background.

The upload reads only the file's head (its encoding, delimiter and columns: instant); a thread then checks every
row once and stores the preview on the job (clubcrm/imports/previews.py), which the page only reads. A new column
mapping checks it again, once. Both threads write a heartbeat (clubcrm/imports/heartbeat.py).

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
from clubcrm.imports.heartbeat import JobClosed, beat, record_failure
from clubcrm.imports.kinds import KINDS, complete, guess, kind_of
from clubcrm.imports.reading import Table, read_table
from clubcrm.imports.run import MODES, run
from clubcrm.models import Club, ImportJob, Staff
from clubcrm.private_files import private_folder, write_private
from clubcrm.reports.refresh import request_for_club

log = logging.getLogger(__name__)
# The biggest file the page takes (50,000 members of a spreadsheet are about 5 MB).
MAX_BYTES = 20 * 1024 * 1024
# Threads checking or importing in this process, by job id (the tests and a shutdown can wait for them).
RUNNING: dict[int, threading.Thread] = {}
# Records read while the upload waits: as many as the delimiter is sniffed on.
HEAD_RECORDS = 50
# Statuses in which the job is still a preview (being checked, or checked) that can be cancelled.
PREVIEW_STATUSES = ("checking", "previewed")


def upload_folder(app: Flask) -> Path:
    """Where uploaded files wait for their import: IMPORT_FOLDER, by default the app's instance folder (the web's
    and the worker's: both must see the same folder)."""
    return Path(app.config.get("IMPORT_FOLDER") or Path(app.instance_path) / "imports")


def stored_file(folder: Path, job_id: int) -> Path:
    """Where the uploaded file of job JOB_ID waits between the preview and the end of the import."""
    return folder / f"job-{job_id}.csv"


def create(staff: Staff, club: Club, filename: str, data: bytes, folder: Path, kind: str = "members") -> ImportJob:
    """Read an uploaded file's head, guess its columns for KIND (members, memberships, balances, visits) and keep
    the file (readable by the app only) for the check that start_check runs after the commit; flush the new job."""
    if kind not in KINDS:
        raise InvalidInput("kind", _l("Choose what the file holds."))
    spec = KINDS[kind]
    if len(data) > MAX_BYTES:
        raise InvalidInput("file", _l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)))
    # The file's problems that show at once (empty, not text, too wide, a huge cell in its first lines) are
    # refused on the upload form; those further down fail the background check, naming their line.
    head = read_table(data, limit=HEAD_RECORDS)
    fields = guess(spec, head.headers)
    if kind == "members" and not complete(spec, fields):
        raise InvalidInput("file", _l("No column looks like a name: the first row must hold the column headers, "
                                      "such as First name, Last name, Phone."))
    if not complete(spec, fields):
        raise InvalidInput("file", spec.missing)
    now = utcnow()
    job = ImportJob(club_id=club.id, staff_id=staff.id, filename=filename[:255], status="checking",
                    mapping={"headers": head.headers, "fields": fields, "encoding": head.encoding,
                             "delimiter": head.delimiter, "kind": kind},
                    # Lines, as an estimate for the progress bar until the check has read the records.
                    total_rows=max(data.count(b"\n"), 1), created_at=now, heartbeat_at=now)
    db.session.add(job)
    db.session.flush()
    write_private(stored_file(private_folder(folder), job.id), data)
    return job


def load_table(job: ImportJob, folder: Path) -> Table:
    """The job's file read as its preview read it."""
    path = stored_file(folder, job.id)
    if not path.exists():
        raise NotFound("file", _l("The uploaded file is gone; upload it again."))
    return read_table(path.read_bytes(), encoding=job.mapping["encoding"], delimiter=job.mapping["delimiter"])


def remap(job: ImportJob, fields: list[str | None], check_again: bool = False) -> bool:
    """Set the member field of each column, as chosen on the preview; with CHECK_AGAIN a changed mapping puts
    the job back to "checking" for start_check (after the commit). Flush; return whether the mapping changed."""
    if job.status != "previewed":
        raise InvalidInput("mapping", _l("This import has already started."))
    headers = job.mapping["headers"]
    spec = kind_of(job.mapping.get("kind"))
    if len(fields) != len(headers) or any(f is not None and f not in spec.fields for f in fields):
        raise InvalidInput("mapping", _l("Choose a member field or nothing for each column."))
    chosen = [f for f in fields if f is not None]
    if len(chosen) != len(set(chosen)):
        raise InvalidInput("mapping", _l("Each member field can come from one column only."))
    if not complete(spec, fields):
        raise InvalidInput("mapping", spec.missing)
    if list(fields) == job.mapping["fields"]:
        return False
    values: dict = {"mapping": {**job.mapping, "fields": list(fields)}}
    if check_again:
        values.update(status="checking", processed_rows=0, heartbeat_at=utcnow())
    # Compare and set, as confirm: of a remap and a confirm from two tabs only the first changes the job.
    changed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job.id, ImportJob.status == "previewed").values(**values)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("mapping", _l("This import has already started."))
    db.session.refresh(job)
    return True


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
        .values(status="running", mode=mode, processed_rows=0, heartbeat_at=utcnow(), preview=None, report=None)
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
    """Mark the job failed with MESSAGE while it is a preview and delete its file; False if it has started."""
    changed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status.in_(PREVIEW_STATUSES))
        .values(status="failed", error=str(message)[:500], preview=None, finished_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:   # compare and set, as confirm: a confirm that came first keeps its file
        return False
    stored_file(folder, job_id).unlink(missing_ok=True)
    return True


# A preview nobody confirmed keeps personal data on disk: it goes after a day.
PREVIEW_LIFETIME = timedelta(hours=24)


def expire_stale(folder: Path) -> int:
    """Close previews older than a day, deleting their files; flush; return how many.

    A check or an import whose process died is closed by its heartbeat (heartbeat.fail_stalled_imports), not by
    its age here: a preview confirmed near the end of its day is a live import, however old the job."""
    now = utcnow()
    previews = db.session.scalars(select(ImportJob.id).where(
        ImportJob.status.in_(PREVIEW_STATUSES), ImportJob.created_at < now - PREVIEW_LIFETIME)).all()
    expired = sum(_close_previewed(job_id, folder, _l("The preview expired; upload the file again."))
                  for job_id in previews)
    db.session.flush()
    return expired


def start(app: Flask, job_id: int, folder: Path, locale: str, work=None) -> threading.Thread:
    """Run WORK (default: the import of the confirmed job JOB_ID) in a thread with an app context of its own
    (call after the commit)."""
    thread = threading.Thread(target=_thread_main, args=(app, work or execute, job_id, folder, locale),
                              name=f"import-{job_id}", daemon=True)
    RUNNING[job_id] = thread
    thread.start()
    return thread


def _thread_main(app: Flask, work, job_id: int, folder: Path, locale: str) -> None:
    try:
        with app.app_context():
            try:
                work(job_id, folder, locale)
            finally:
                try:
                    db.session.remove()
                except Exception:   # a session whose database went away: its failure is already handled
                    log.warning("Import job %s: could not close its session", job_id)
    finally:
        if RUNNING.get(job_id) is threading.current_thread():   # the check's end must not drop the import's
            RUNNING.pop(job_id, None)


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
                         progress=lambda done: beat(job_id, "running", done), kind=job.mapping.get("kind"))
            outcome = {"report": report.entries(result.checked.refusals), "total_rows": result.checked.total,
                       "processed_rows": result.checked.total, "imported_rows": result.imported,
                       "refused_rows": result.refused, "status": "done", "finished_at": utcnow()}
            if result.refused and not result.imported:
                outcome["status"] = "failed"
                outcome["error"] = str(_l("Nothing was imported: %(count)s rows were refused.",
                                          count=result.refused))
            # Still "running" or nothing: if the heartbeat check gave the job up meanwhile (it said that nothing
            # was imported), the members go too, so that what it said stays true.
            if _finish(job_id, outcome) != 1:
                db.session.rollback()
                return
            request_for_club(club.id, utcnow())   # the reports' stored figures are recomputed by the worker
            db.session.commit()
    except JobClosed:   # given up by the heartbeat check, which said that nothing was imported: so nothing is
        db.session.rollback()
    except Exception as error:   # whatever it was, nothing of the import stays, and the page says so
        try:
            db.session.rollback()
        except Exception:   # the database itself failed: its transaction is gone with its connection
            log.warning("Import job %s: could not roll back", job_id)
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
            text = str(message)
        record_failure(job_id, "running", text)
    finally:
        stored_file(folder, job_id).unlink(missing_ok=True)


def report_csv(job: ImportJob, refusals: list[dict]) -> Iterator[str]:
    """The job's refused rows as CSV, with the file's column headers."""
    return report.to_csv(refusals, job.mapping["headers"], job.mapping["fields"], job.mapping.get("kind"))
