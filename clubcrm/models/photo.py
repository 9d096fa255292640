"""A member's photo: one small JPEG per member, kept in the database (so `clubcrm backup` / `restore` carry it,
an erasure deletes it in the same transaction, and no web server ever serves it from a folder)."""
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db


class MemberPhoto(db.Model):
    __tablename__ = "member_photo"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(20), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
