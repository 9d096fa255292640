"""Write audit events: who changed what, when, before and after."""
from datetime import date, datetime

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Staff


def _plain(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


def record(
    staff: Staff | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    club_id: int | None,
    member_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add one audit event to the session."""
    event = AuditEvent(
        club_id=club_id,
        staff_id=staff.id if staff is not None else None,
        member_id=member_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_plain(before),
        after=_plain(after),
        created_at=utcnow(),
    )
    db.session.add(event)
    return event
