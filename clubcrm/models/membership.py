"""Plans the club sells, memberships (one sold contract = one cycle) and the freezes inside them."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.member import Member


class Plan(db.Model):
    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint("duration_days > 0", name="duration_positive"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        # The import finds plans by name: one name, one plan in a club.
        UniqueConstraint("club_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    duration_days: Mapped[int]
    # A visit-count plan: at most this many visits within its duration (None = unlimited).
    visit_limit: Mapped[int | None]
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # Service units that come with the plan (e.g. 2 PT sessions with a year).
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    service_units: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Valid in every club of the chain (a member may check in at any club's desk), not only the home club.
    chain_wide: Mapped[bool] = mapped_column(default=False, server_default=false())


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"), index=True)
    starts_on: Mapped[date]
    # Inclusive, in the club's time zone; freezes push it.
    ends_on: Mapped[date]
    visit_limit: Mapped[int | None]
    # Copied from the plan at the sale, as its other terms: changing the plan later changes no sold contract.
    chain_wide: Mapped[bool] = mapped_column(default=False, server_default=false())
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sold_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_on: Mapped[date | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Set when the contract came in from another system (the import): the lifecycle engine paces its contacts
    # from that day, not from its start, which ClubCRM did not see.
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()
    plan: Mapped[Plan] = relationship()
    freezes: Mapped[list["Freeze"]] = relationship(
        back_populates="membership", order_by="Freeze.starts_on"
    )


class Freeze(db.Model):
    __tablename__ = "freeze"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    membership: Mapped[Membership] = relationship(back_populates="freezes")

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1
