"""Lead cycles: a lead's time from first contact to the first sale, a staff decision that it is lost, or the
timeout; and the reasons a club gives for a lost lead."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.member import Member

# Where a lead came from. referral names the referring member, campaign carries a free label.
LEAD_SOURCES = ("walk_in", "phone", "web_form", "referral", "campaign", "import", "other")
LEAD_OUTCOMES = ("won", "lost")
# The stage of a cycle, derived from what happened in it (services/lead_cycles.stages_of); only lost is ever set.
LEAD_STAGES = ("new", "contacted", "trial_booked", "trial_attended", "won", "lost")
# Every club starts with these lost reasons (codes stable, labels translated); no_answer also closes a cycle
# that timed out.
DEFAULT_LOST_REASONS = ("price", "distance", "schedule", "other_club", "no_answer", "not_interested")
OPEN = text("ended_at IS NULL")


class LeadLostReason(db.Model):
    """A reason a club gives for a lost lead: a default (code, translated label) or the club's own (free label)."""

    __tablename__ = "lead_lost_reason"
    __table_args__ = (UniqueConstraint("club_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    code: Mapped[str] = mapped_column(String(32))
    # None for a default reason: its label is translated from the code.
    label: Mapped[str | None] = mapped_column(String(80))
    # A reason switched off is not offered any more; cycles that gave it keep it.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeadCycle(db.Model):
    """One lead cycle of a member: open (ended_at None) until won by the first sale, lost by staff, or timed out."""

    __tablename__ = "lead_cycle"
    __table_args__ = (
        # At most one open cycle per member; partial, so that the closed ones may pile up.
        Index("ix_lead_cycle_open_member_id", "member_id", unique=True, sqlite_where=OPEN, postgresql_where=OPEN),
        # The open cycles of a club, oldest first (the lead list, the timeout job).
        Index("ix_lead_cycle_open_club_id_started_at", "club_id", "started_at", sqlite_where=OPEN,
              postgresql_where=OPEN),
        # The cycles of a member, in order.
        Index("ix_lead_cycle_member_id_started_at", "member_id", "started_at"),
        CheckConstraint("outcome IS NULL OR outcome IN ('won', 'lost')", name="outcome_known"),
        CheckConstraint("(ended_at IS NULL) = (outcome IS NULL)", name="ended_with_outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    campaign: Mapped[str | None] = mapped_column(String(80))
    referrer_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(8))
    # A lost reason's code (lead_lost_reason.code of the club).
    lost_reason: Mapped[str | None] = mapped_column(String(32))
    won_membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    referrer: Mapped[Member | None] = relationship(foreign_keys=[referrer_member_id])

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def __repr__(self) -> str:
        return f"<LeadCycle {self.id} member {self.member_id} {self.outcome or 'open'}>"
