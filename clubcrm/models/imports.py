"""Import jobs: one uploaded spreadsheet, its preview, its progress and its row-level report."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db

IMPORT_STATUSES = ("previewed", "running", "done", "failed")


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
    report: Mapped[list | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
