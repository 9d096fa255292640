"""Sessions (classes, trial sessions, club events: dated slots with a capacity) and their bookings."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.ledger import Service
from clubcrm.models.member import Member
from clubcrm.models.staff import Staff

SESSION_KINDS = ("class", "trial", "event")
BOOKING_STATUSES = ("booked", "waitlist", "attended", "no_show", "cancelled")
# "page": booked by the member on their own page (clubcrm.services.member_page).
BOOKING_SOURCES = ("desk", "sms", "lifecycle", "page")
# Statuses that hold one of the session's places.
HOLDS_PLACE = ("booked", "attended", "no_show")


class ClubSession(db.Model):
    """A session; named so because `session` means the database or the login session in code."""

    __tablename__ = "club_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_club_session_club_id_starts_at", "club_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    activity: Mapped[str | None] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    # A staff member of the club flagged as trainer; club events may have none.
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # Where it takes place (free text: "Studio 1", "Pool"); the week view can show one room's sessions.
    room: Mapped[str | None] = mapped_column(String(40))
    # A weekly class: the id of its series' first session (that session's own id included); None for a one-off.
    series_id: Mapped[int | None] = mapped_column(index=True)
    # What a member pays for it: a price (in the club's currency, paid at the desk) or one unit of a service's
    # package (taken when booked, given back when the booking or the session is cancelled); neither: included.
    price_minor: Mapped[int | None]
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trainer: Mapped[Staff | None] = relationship()
    service: Mapped[Service | None] = relationship()

    def __repr__(self) -> str:
        return f"<ClubSession {self.id} {self.title} {self.starts_at:%Y-%m-%d %H:%M}>"


class Booking(db.Model):
    """A member in a session; the waitlist is served in (created_at, id) order."""

    __tablename__ = "booking"
    __table_args__ = (
        UniqueConstraint("session_id", "member_id"),
        Index("ix_booking_member_id_status", "member_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("club_session.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    status: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(10), default="desk")
    # Set again when a cancelled booking is booked anew, so that it queues behind those waiting.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The package unit this booking took (a session paid with a package); None once given back, or never taken.
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))

    session: Mapped[ClubSession] = relationship()
    member: Mapped[Member] = relationship()


class DeskCall(db.Model):
    """A call the desk owes a member outside the lifecycle's plan: a booked member without SMS consent whose session
    was cancelled must hear it by phone. Listed on Today until someone records how the call went."""

    __tablename__ = "desk_call"
    __table_args__ = (Index("ix_desk_call_club_id_done_at_due_on", "club_id", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("club_session.id"))
    reason: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date]
    tries: Mapped[int] = mapped_column(default=0)     # calls made (unanswered ones come back the next day)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str | None] = mapped_column(String(10))

    member: Mapped[Member] = relationship()
    session: Mapped[ClubSession | None] = relationship()
