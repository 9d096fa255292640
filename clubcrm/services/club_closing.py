"""Closing a club from a day: from then no sales, check-ins or logins there, no SMS and no lifecycle contacts
for it. Its data stay, readable by owners; reopening clears the day."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from clubcrm.clock import local_today
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.formatting import day as format_day
from clubcrm.models import Club, Staff, Touchpoint
from clubcrm.services import audit

CODE = "club_closed"
# A touchpoint's or message's skip reason when its club closed (fits Touchpoint.skip_reason's 16 characters).
REASON = "club_closed"


def is_closed(club: Club, on: date | None = None) -> bool:
    """Tell whether CLUB is closed on ON (by default its local today)."""
    if club.closed_on is None:
        return False
    return (on or local_today(club.timezone)) >= club.closed_on


def refuse_if_closed(club: Club, field: str | None) -> None:
    """Refuse an action (a sale, a check-in, a login) in CLUB, the club WHERE it happens, if it is closed today."""
    if is_closed(club):
        raise NotAllowed(field, _l("%(club)s is closed since %(date)s.", club=club.name,
                                   date=format_day(club.closed_on)), code=CODE)


def drop_open_tasks(club: Club, since: date) -> int:
    """Drop the club's open staff tasks due from SINCE on: nobody will work there to do them (one UPDATE)."""
    return db.session.execute(
        update(Touchpoint)
        .where(Touchpoint.club_id == club.id, Touchpoint.channel == "task", Touchpoint.status == "planned",
               Touchpoint.due_on >= since)
        .values(status="skipped", skip_reason=REASON)
        .execution_options(synchronize_session=False)
    ).rowcount


def close(actor: Staff | None, club: Club, closed_on: date | None) -> int:
    """Close CLUB from CLOSED_ON; drop the open tasks that fall on or after it (all of them, when it is today or
    past: tasks overdue cannot be done there either). Returns how many tasks were dropped."""
    if not isinstance(closed_on, date):
        raise InvalidInput("closed_on", _l("Enter the first day the club is closed."))
    today = local_today(club.timezone)
    before = club.closed_on
    club.closed_on = closed_on
    db.session.flush()
    dropped = drop_open_tasks(club, date.min if closed_on <= today else closed_on)
    audit.record(actor, "close", "club", club.id, club_id=club.id,
                 before={"closed_on": before.isoformat() if before else None},
                 after={"closed_on": closed_on.isoformat(), "tasks_dropped": dropped})
    return dropped


def reopen(actor: Staff | None, club: Club) -> None:
    """Open CLUB again (clear its closing day); dropped tasks stay dropped, the engine plans anew."""
    if club.closed_on is None:
        return
    before = club.closed_on
    club.closed_on = None
    db.session.flush()
    audit.record(actor, "reopen", "club", club.id, club_id=club.id,
                 before={"closed_on": before.isoformat()}, after={"closed_on": None})
