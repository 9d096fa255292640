"""A member: a person the club knows; a lead until their first sale."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.club import Club


class Member(db.Model):
    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("club_id", "phone"),
        # A card opens the desk of every club of the chain, so one code names one member in the whole chain.
        UniqueConstraint("card_code"),
        # Another club's desk finds a chain member who forgot the card by the exact phone number.
        Index("ix_member_phone", "phone"),
        Index("ix_member_club_id_name_key", "club_id", "name_key"),
        Index("ix_member_club_id_name_key_rev", "club_id", "name_key_rev"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), default="")
    # Case-folded "first last" and "last first", kept for prefix search at the desk.
    name_key: Mapped[str] = mapped_column(String(170), default="")
    name_key_rev: Mapped[str] = mapped_column(String(170), default="")
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    card_code: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[date | None]
    locale: Mapped[str] = mapped_column(String(5), default="en")
    interest: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(32), default="walk_in")
    notes: Mapped[str | None] = mapped_column(Text)
    sms_consent: Mapped[bool] = mapped_column(default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_consent_source: Mapped[str | None] = mapped_column(String(32))
    # STOP (or Twilio's 21610) opts out across the club's senders; 21211 marks the number unusable.
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_invalid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Set by the first sale: until then the member is a lead.
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by a GDPR erasure: the row stays (reports count it) with its personal data removed.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member's photo (member_photo) was last set; None: no photo. Lists show one without reading it.
    photo_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    club: Mapped[Club] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_lead(self) -> bool:
        return self.converted_at is None

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.full_name}>"


def can_text(member) -> bool:
    """Tell whether SMS may go to MEMBER (a Member or a row with the same fields): consent recorded, a number,
    not opted out (STOP, Twilio's 21610) and the number not found invalid (21211)."""
    return bool(member.sms_consent and member.phone and member.sms_opted_out_at is None
                and member.phone_invalid_at is None)
