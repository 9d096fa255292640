"""The SMS outbox: one row per message to a member (and per reply received), with its delivery state."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.member import Member, can_text

# queued → sending → sent → delivered | undelivered | failed; skipped (caps, opt-out) and unknown (a send
# cut off by a crash: flagged for a person to reconcile, never resent blindly) end a message too.
MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "skipped", "unknown")
# Twilio's callbacks move a message forward only: a late "sent" never overwrites "delivered".
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
# The outbox key prefix of a consent confirmation (clubcrm.sms.confirmation): the one message that may go to a member
# who has not agreed to SMS yet, since asking them is its point.
CONSENT_CONFIRMATION_KEY = "consent:"


def may_receive(member, message) -> bool:
    """Tell whether MESSAGE may go to MEMBER now: anything when the member can be texted (can_text), and a consent
    confirmation also before they agreed, but never after STOP or to a number found invalid."""
    if can_text(member):
        return True
    return bool(message.idempotency_key.startswith(CONSENT_CONFIRMATION_KEY) and member.phone
                and member.sms_opted_out_at is None and member.phone_invalid_at is None)


class Message(db.Model):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status_due_at", "status", "due_at"),
        Index("ix_message_member_id_created_at", "member_id", "created_at"),
        # The outbox's pages, newest first (created_at, id descending), read in this index's order.
        Index("ix_message_club_id_created_at_id", "club_id", "created_at", "id"),
        # Messages the dispatcher took up since an instant (a cap may have skipped their touchpoint).
        Index("ix_message_club_id_claimed_at", "club_id", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id"), unique=True)
    # The touchpoint's natural key, by which one statement links a plan's messages to its touchpoints.
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))
    lead_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("lead_cycle.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rule.id"))
    occurrence: Mapped[int | None]
    # Sent at most once under this key, whatever retries and restarts happen.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5))
    encoding: Mapped[str] = mapped_column(String(5))     # GSM-7 or UCS-2
    segments: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="queued")
    skip_reason: Mapped[str | None] = mapped_column(String(24))
    # Not before this instant (quiet hours move it); a retry after an error waits for next_attempt_at.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twilio_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()


class InboundMessage(db.Model):
    """An SMS a member sent us, kept by Twilio's sid: a repeat of it (Twilio's retry, or a captured signed request
    replayed) finds this row and changes nothing. Holds no phone and no text: nothing personal to erase."""
    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    twilio_sid: Mapped[str] = mapped_column(String(40), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What we answered, so that a repeat gets the same answer.
    reply: Mapped[str | None] = mapped_column(Text)


class StatusCallback(db.Model):
    """A delivery status callback acted on, once per (sid, status): a replayed "failed, 21610" cannot opt a member
    out again after they sent START."""
    __tablename__ = "status_callback"
    __table_args__ = (UniqueConstraint("twilio_sid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    twilio_sid: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
