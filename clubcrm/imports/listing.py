"""The import pages' long lists, one page at a time: a club's import jobs, and a job's refused rows.

A job's refusals are one JSON array in `import_job.report` (400,000 of them are tens of MB): the database cuts the
page out of it (json_array_elements on PostgreSQL, json_each on SQLite), so the page never loads the whole array.
"""
import json

from sqlalchemy import select, text
from sqlalchemy.orm import load_only

from clubcrm.extensions import db
from clubcrm.models import ImportJob
from clubcrm.paging import Page, nearest, page_of, size_from

# How many refusals a job holds: 0 for no report, or for the JSON null a started job's preview report becomes
# (PostgreSQL refuses the length of a scalar; SQLite's is 0).
_COUNT = {
    "postgresql": text("SELECT CASE WHEN json_typeof(report) = 'array' THEN json_array_length(report) ELSE 0 END "
                       "FROM import_job WHERE id = :job_id"),
    "sqlite": text("SELECT coalesce(json_array_length(report), 0) FROM import_job WHERE id = :job_id"),
}
# One page of a job's refusals in the array's order. The page is picked by position, not by OFFSET: only its rows
# are sorted (an ORDER BY over all 100,000 elements then OFFSET costs three times as much).
_REFUSALS = {
    "postgresql": text(
        "SELECT refusal.value FROM import_job, json_array_elements(import_job.report) WITH ORDINALITY "
        "AS refusal(value, position) WHERE import_job.id = :job_id "
        "AND refusal.position > :skip AND refusal.position <= :skip + :size ORDER BY refusal.position"),
    "sqlite": text(
        "SELECT refusal.value FROM import_job, json_each(import_job.report) AS refusal "
        "WHERE import_job.id = :job_id AND refusal.key >= :skip AND refusal.key < :skip + :size "
        "ORDER BY refusal.key"),
}


def jobs_page(club_id: int, number: int, size: int) -> Page[ImportJob]:
    """Return page NUMBER of the club's import jobs, newest first, without their previews and reports."""
    query = (select(ImportJob)
             .options(load_only(ImportJob.id, ImportJob.filename, ImportJob.status, ImportJob.created_at,
                                ImportJob.imported_rows, ImportJob.refused_rows))
             .where(ImportJob.club_id == club_id).order_by(ImportJob.id.desc()))
    return page_of(query, number, size)


def refusals_page(job_id: int, number: int, size: int) -> Page[dict]:
    """Return page NUMBER of the job's refused rows ({"line", "field", "message"}), cut out in the database."""
    size = size_from(size)
    dialect = db.session.get_bind().dialect.name
    total = db.session.scalar(_COUNT[dialect], {"job_id": job_id}) or 0
    number = nearest(number, total, size)
    if not total:
        return Page([], number, size, 0)
    rows = db.session.scalars(_REFUSALS[dialect],
                              {"job_id": job_id, "size": size, "skip": (number - 1) * size})
    # PostgreSQL's driver decodes JSON; SQLite hands each element over as its JSON text.
    return Page([json.loads(row) if isinstance(row, str) else row for row in rows], number, size, total)
