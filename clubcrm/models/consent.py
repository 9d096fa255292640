"""Consent history: every grant and withdrawal of a member's SMS consent, with where it came from."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db


class ConsentEvent(db.Model):
    __tablename__ = "consent_event"
    __table_args__ = (Index("ix_consent_event_member_id_created_at", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    # "sms" for now; the column leaves room for email or photo consent.
    kind: Mapped[str] = mapped_column(String(16), default="sms")
    granted: Mapped[bool]
    # desk, web_form, api, import, sms (STOP/START), sms_confirmation (YES to a consent request), erasure,
    # member_page (stop or restart on the member's own page)
    source: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# pending → confirmed (YES in time) | declined (STOP); a pending request past expires_at has lapsed.


class ConsentRequest(db.Model):
    """SMS consent someone asked for on behalf of a known member's phone (a web form): it counts only once the
    phone's owner answers YES to the confirmation SMS before expires_at."""
    __tablename__ = "consent_request"
    __table_args__ = (Index("ix_consent_request_member_id_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    source: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The confirmation SMS queued for it.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
