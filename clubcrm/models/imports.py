"""Import jobs: one uploaded spreadsheet, its preview, its progress and its row-level report."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db

# "checking": the preview is being computed (after the upload or a new column mapping), in the background.
IMPORT_STATUSES = ("checking", "previewed", "running", "done", "failed")


class ImportJob(db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="previewed")
    # "all" (all or nothing) or "valid" (import the valid rows, report the others)
    mode: Mapped[str] = mapped_column(String(16), default="all")
    # The column mapping chosen (file header -> member field) and the file's encoding and delimiter.
    mapping: Mapped[dict | None] = mapped_column(JSON)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    refused_rows: Mapped[int] = mapped_column(default=0)
    # The refused rows: [{"line": n, "field": f, "message": m}]; no personal data beyond the line number.
    # The preview's check until the import runs, then the import's. Deferred: 400,000 refusals are tens of MB,
    # which the progress polls and the pages must not load.
    report: Mapped[list | None] = deferred(mapped_column(JSON))
    # The preview computed once in the background (counts, first rows, first values of each column, first
    # refusals) and only read afterwards: the file is never read again to show it.
    preview: Mapped[dict | None] = mapped_column(JSON)
    # Written by the thread that checks or imports the file every 1,000 rows: the worker marks a job whose
    # heartbeat stopped (its process died) failed within minutes.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
