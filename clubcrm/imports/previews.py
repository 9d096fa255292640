"""The preview of an uploaded file, computed once in the background and stored on its job.

Every view of the page used to read and check the whole file again: a 20 MB file held each view past the
server's timeout. Now a thread checks it once after the upload (and once after a new column mapping), writing
its progress as the import does, and stores what the page shows; the page and the report download only read it."""
import logging
from datetime import date, datetime
from pathlib import Path

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from clubcrm.clock import utcnow
from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.imports import report
from clubcrm.imports.heartbeat import JobClosed, beat, record_failure
from clubcrm.imports.jobs import load_table, stored_file
from clubcrm.imports.reading import Table
from clubcrm.imports.kinds import complete, kind_of
from clubcrm.imports.run import Checked
from clubcrm.models import Club, ImportJob

log = logging.getLogger(__name__)
# What the page shows: the first rows as they will be imported, the first values of each column, the first refusals.
SHOWN_ROWS = 10
SAMPLE_VALUES = 3
SHOWN_REFUSALS = 50
# The member values the preview's table shows (the stored preview keeps no more personal data than that).
SHOWN_FIELDS = ("first_name", "last_name", "phone", "email", "card_code", "birth_date", "locale", "sms_consent")


def summary(table: Table, checked: Checked, kind: str | None = None) -> dict:
    """What the preview page shows of a checked file, as JSON: counts, first rows, first values, first refusals."""
    spec = kind_of(kind)
    rows = []
    for line, values in checked.rows[:SHOWN_ROWS]:
        if spec.shown is not None:
            rows.append({"line": line, **spec.shown(values)})
            continue
        row = {key: values.get(key) for key in SHOWN_FIELDS}
        if isinstance(row["birth_date"], date):
            row["birth_date"] = row["birth_date"].isoformat()
        rows.append({"line": line, **row})
    samples = [[cells[i] if i < len(cells) else "" for _line, cells in table.records[:SAMPLE_VALUES]]
               for i in range(len(table.headers))]
    return {"total": checked.total, "valid": len(checked.rows), "refused": len(checked.refused_lines),
            "problems": len(checked.refusals), "rows": rows, "samples": samples,
            "refusals": report.entries(checked.refusals[:SHOWN_REFUSALS])}


def shown_rows(preview: dict) -> list[tuple[int, dict]]:
    """The stored first rows as the page's table takes them: (line, values with the birth date as a date)."""
    rows = []
    for row in preview["rows"]:
        values = dict(row)
        for key in ("birth_date", "starts_on", "ends_on", "frozen_until", "expires_on"):
            if isinstance(values.get(key), str):
                values[key] = date.fromisoformat(values[key])
        if isinstance(values.get("visited_at"), str):
            values["visited_at"] = datetime.fromisoformat(values["visited_at"])
        rows.append((values.pop("line"), values))
    return rows


def compute(job_id: int, folder: Path, locale: str) -> None:
    """Check every row of the job's file with its mapping once and store the preview; a file that cannot be
    read fails the job with the reason, and its file is deleted."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "checking":
        return
    club = db.session.get(Club, job.club_id)
    fields = job.mapping["fields"]
    try:
        with force_locale(locale):
            table = load_table(job, folder)
            beat(job_id, "checking", 0)
            spec = kind_of(job.mapping.get("kind"))
            if not complete(spec, fields):
                raise InvalidInput("mapping", spec.missing)
            checked = spec.check(club, table, fields, progress=lambda done: beat(job_id, "checking", done))
            values = {"preview": summary(table, checked, spec.key), "report": report.entries(checked.refusals),
                      "total_rows": checked.total, "processed_rows": checked.total,
                      "refused_rows": len(checked.refused_lines), "heartbeat_at": utcnow(), "status": "previewed"}
        db.session.rollback()   # the check's reads: nothing of it is written
        # Compare and set: a cancel, or the heartbeat check, that closed the job meanwhile wins (a new mapping
        # cannot come meanwhile: remap takes only a job that is "previewed").
        with db.engine.begin() as connection:
            stored = connection.execute(update(ImportJob.__table__).where(
                ImportJob.id == job_id, ImportJob.status == "checking").values(**values)).rowcount
        if stored != 1:
            log.info("Import job %s: its preview was no longer wanted", job_id)
    except JobClosed:   # cancelled, or given up by the heartbeat check, while it was being checked
        db.session.rollback()
    except Exception as error:
        try:
            db.session.rollback()
        except Exception:   # the database itself failed
            log.warning("Import job %s: could not roll back its check", job_id)
        if isinstance(error, InvalidInput | NotFound):
            with force_locale(locale):
                text = str(error.message)
        else:
            log.exception("Import job %s: the check of its file failed", job_id)
            with force_locale(locale):
                text = str(_l("The file could not be checked; upload it again."))
        if record_failure(job_id, "checking", text):
            stored_file(folder, job_id).unlink(missing_ok=True)   # it will not be imported: personal data goes
