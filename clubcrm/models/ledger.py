"""Services sold in units, each member's package of a service, and the ledger that is its balance."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db

LEDGER_KINDS = ("grant", "redeem", "adjust")


class Service(db.Model):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # What one package sale grants: units, price and how long they stay valid.
    package_units: Mapped[int]
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    valid_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class Package(db.Model):
    """A member's units of one service. `balance` mirrors the sum of its ledger, kept by services only."""

    __tablename__ = "package"
    __table_args__ = (
        UniqueConstraint("member_id", "service_id"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    balance: Mapped[int] = mapped_column(default=0)
    expires_on: Mapped[date | None]

    service: Mapped[Service] = relationship()


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entry"
    __table_args__ = (CheckConstraint("units <> 0", name="units_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    units: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    # What the member paid, for grants that were a sale (None for gifts and plan bonuses).
    price_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
