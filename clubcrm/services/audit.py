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


def update(staff: Staff | None, entity: str, row, values: dict, *, club_id: int | None) -> None:
    """Set VALUES on ROW (an ENTITY), flush, and audit the change with every value before and after."""
    before = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    record(staff, "update", entity, row.id, club_id=club_id, before=before,
           after={name: getattr(row, name) for name in values})
