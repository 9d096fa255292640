"""The getting-started checklist's marks: a step a manager dismissed, the lifecycle page reviewed, the list finished."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db

# Why a step is off the list for good: dismissed by a manager, the lifecycle page opened by one, or (item
# "all") the whole list finished, so that it never comes back when, say, the only plan is later switched off.
MARK_KINDS = ("dismissed", "reviewed", "finished")


class ChecklistMark(db.Model):
    __tablename__ = "checklist_mark"
    # One mark per step and club: a second dismissal (a double click, two managers) inserts nothing.
    __table_args__ = (UniqueConstraint("club_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    item: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
