"""What a login may see: rows of its own club (owners: every club). Another club's row is simply not found."""
from typing import TypeVar

from clubcrm.errors import NotFound
from clubcrm.extensions import db
from clubcrm.models import Staff

Row = TypeVar("Row")


def get_in_scope(staff: Staff, model: type[Row], row_id: int, field: str, message) -> Row:
    """Return MODEL row ROW_ID if STAFF may see its club; otherwise raise NotFound(FIELD, MESSAGE)."""
    row = db.session.get(model, row_id)
    if row is None or not staff.sees_club(row.club_id):
        raise NotFound(field, message)
    return row
