"""Member links: the short, unguessable, expiring links in SMS texts that open a member's own page, and what the
member did there."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db

# What a member did on their page, as the member card lists it.
PAGE_EVENTS = ("opened", "booked", "waitlisted", "cancelled", "call_me", "at_desk", "sms_stop", "sms_start",
               "language")


class MemberLink(db.Model):
    """One link, made when the SMS holding it is sent: only the token's SHA-256 is kept (the token itself goes into
    the text and nowhere else), tied to one member and the touchpoint whose message carried it."""

    __tablename__ = "member_link"
    __table_args__ = (Index("ix_member_link_member_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id"), index=True)
    # The message that carried it: a retried send makes a new token, which replaces this row's hash.
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberPageEvent(db.Model):
    """One thing a member did on their page (opened it, booked, cancelled, asked for a call, stopped SMS...), shown
    on the member card. Holds ids only: nothing personal to erase."""

    __tablename__ = "member_page_event"
    __table_args__ = (Index("ix_member_page_event_member_id_created_at", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id"))
    kind: Mapped[str] = mapped_column(String(12))
    # The booking or session it concerns, where it concerns one.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("club_session.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
