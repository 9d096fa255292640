"""The desk's calls outside the lifecycle's plan: a booked member without SMS consent must hear by phone that their
session was cancelled or moved. They wait on the Today list until someone records how the call went."""
from datetime import date, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.models import DeskCall, Staff
from clubcrm.services import audit, tasks
from clubcrm.services.scope import get_in_scope

REASONS = ("session_cancelled", "session_moved")
CALL_OUTCOMES = ("reached", "no_answer")
# A call nobody answers comes back the next day while the session is still to come, this many times in all.
CALL_TRIES = 3


def _open(club_id: int, today: date):
    return (DeskCall.club_id == club_id, DeskCall.done_at.is_(None), DeskCall.due_on <= today)


def open_calls(club_id: int, today: date, limit: int = 200) -> list[DeskCall]:
    """The club's calls due by TODAY, oldest first, with their members and sessions."""
    return list(db.session.scalars(
        select(DeskCall).options(joinedload(DeskCall.member), joinedload(DeskCall.session))
        .where(*_open(club_id, today)).order_by(DeskCall.due_on, DeskCall.id).limit(limit)))


def count_owed(club_id: int, today: date, cap: int | None = tasks.NAV_COUNT_CAP) -> int:
    """Count what Today owes: the club's open tasks and calls about sessions due by TODAY, each read up to CAP
    (None: all), in one statement, since every staff page's badge shows it."""
    return db.session.scalar(_owed(cap), {"club_id": club_id, "today": today})


@cache
def _owed(cap: int | None):
    """count_owed's statement, built once per CAP with the club and the day as parameters: building it and its
    cache key took 0.34 ms of the 0.41 ms the badge cost every page (measured on the desk bench's club)."""
    club_id, today = bindparam("club_id"), bindparam("today")
    return select(
        tasks.counted(tasks.due_ids(club_id, today), cap).scalar_subquery()
        + tasks.counted(select(DeskCall.id).where(*_open(club_id, today)), cap).scalar_subquery())


def record(staff: Staff, call_id: int, outcome: str | None, today: date) -> DeskCall:
    """Record how call CALL_ID went and log the contact; "no answer" puts it on tomorrow's list while the session
    is still to come (CALL_TRIES times in all)."""
    call = get_in_scope(staff, DeskCall, call_id, "call_id", _l("No such call."))
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput("outcome", _l("Choose an outcome."))
    if call.done_at is not None:
        raise Conflict("call_id", _l("This call is already recorded."), code="already_done")
    again = (outcome == "no_answer" and call.tries + 1 < CALL_TRIES and call.session is not None
             and call.session.starts_at > utcnow() + timedelta(days=1))
    values = {"due_on": today + timedelta(days=1), "tries": DeskCall.tries + 1} if again else \
        {"done_at": utcnow(), "done_by_id": staff.id, "outcome": outcome, "tries": DeskCall.tries + 1}
    # Compare-and-set: of two clicks at once exactly one records the call.
    if db.session.execute(update(DeskCall).where(DeskCall.id == call.id, DeskCall.done_at.is_(None))
                          .values(**values).execution_options(synchronize_session=False)).rowcount != 1:
        raise Conflict("call_id", _l("This call is already recorded."), code="already_done")
    db.session.refresh(call)
    tasks.add_contact(staff, call.club_id, call.member_id, outcome, _note(call), None)
    audit.record(staff, "close_call", "desk_call", call.id, club_id=call.club_id, member_id=call.member_id,
                 after={"reason": call.reason, "outcome": outcome, "again": bool(again)})
    return call


def _note(call: DeskCall) -> str | None:
    """The logged contact's note: the session the call was about (its title, in no one language)."""
    return call.session.title[:300] if call.session else None
