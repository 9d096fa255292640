"""Audit events: who changed what, when, with the values before and after."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_member_id_created_at", "member_id", "created_at"),
        # The hourly lifecycle pass finds a club's news since its last look by it.
        Index("ix_audit_event_club_id_created_at", "club_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int | None] = mapped_column(ForeignKey("club.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
