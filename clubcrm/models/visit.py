"""A visit: one check-in at the desk, a turnstile or from an import."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db


class Visit(db.Model):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_member_id_checked_in_at", "member_id", "checked_in_at"),
        # The visits since an instant in any club of a chain (the hourly lifecycle pass's news).
        Index("ix_visit_checked_in_at", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16), default="desk")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
