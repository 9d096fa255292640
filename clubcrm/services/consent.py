"""Consent history: every grant and withdrawal of a member's SMS consent, with its source and who made it."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import ConsentEvent, Staff

SOURCES = ("desk", "web_form", "api", "import", "sms", "sms_confirmation", "erasure", "member_page")


def record(club_id: int, member_id: int, granted: bool, source: str, *, staff=None,
           now: datetime | None = None, via=None) -> None:
    """Record one change of a member's SMS consent (VIA: the session by default, or a connection that commits
    on its own, as dispatch's)."""
    (via or db.session).execute(insert(ConsentEvent).values(
        club_id=club_id, member_id=member_id, kind="sms", granted=granted,
        source=source if source in SOURCES else "desk", staff_id=staff.id if staff is not None else None,
        created_at=now or utcnow(),
    ))


@dataclass(frozen=True)
class ConsentLine:
    event: ConsentEvent
    staff_name: str | None


def history(member_id: int, limit: int = 50) -> list[ConsentLine]:
    """Return the member's consent events, newest first, with the names of the staff who recorded them."""
    rows = db.session.execute(
        select(ConsentEvent, Staff.name).outerjoin(Staff, Staff.id == ConsentEvent.staff_id)
        .where(ConsentEvent.member_id == member_id)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc()).limit(limit)
    ).all()
    return [ConsentLine(event, name) for event, name in rows]
