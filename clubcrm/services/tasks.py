"""Staff tasks: the open calls and greetings the lifecycle engine planned, their outcomes, and the contacts
staff log with members."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, case, false, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.paging import Page, page_of
from clubcrm.models import (
    OUTCOMES, TASK_EXPIRY_DAYS, Club, ClubSession, LeadCycle, Member, Rule, Staff, StaffContact, Touchpoint,
)
from clubcrm.services import audit
from clubcrm.services.members import refuse_erased, visible
from clubcrm.services.scope import get_in_scope

NOTE_MAX = 300  # the column's length
# The Today list shows at most this many tasks; the oldest come first, so nothing old is hidden by new ones.
LIST_LIMIT = 500
# The kinds of the tasks a member asked for on their page in answer to a renewal offer (call me / at the desk):
# they top Today, since the member is waiting (clubcrm.services.member_page_answers).
MEMBER_ASKED = ("call_me", "at_desk")


@dataclass(frozen=True)
class Task:
    """An open staff task with what the list shows beside it."""

    touchpoint: Touchpoint
    session: ClubSession | None  # the session an invitation offers
    overdue: bool  # due before today, or past its due instant (a lead's first call)
    mine: bool = False  # a lead assigned to the staff member who reads the list

    @property
    def member(self) -> Member:
        return self.touchpoint.member


def task_of(touchpoint: Touchpoint, session: ClubSession | None, today: date, now: datetime | None = None,
            mine: bool = False) -> Task:
    """TOUCHPOINT as a listed task: overdue when due before TODAY or, with a due instant (a lead who came in the
    evening is due the next morning), before NOW."""
    due_at = touchpoint.due_at
    late = touchpoint.due_on < today if due_at is None else due_at < (now or utcnow())
    return Task(touchpoint, session, late, mine)


@dataclass(frozen=True)
class Contact:
    """A logged staff contact with the name of whoever logged it."""

    contact: StaffContact
    staff_name: str | None


def _is_open_task(today: date):
    return (Touchpoint.channel == "task", Touchpoint.status == "planned", Touchpoint.due_on <= today)


def _member_asked():
    """A task a member asked for on their page (one plain comparison per kind: no expanding IN in the statement)."""
    return or_(*(Touchpoint.task_kind == kind for kind in MEMBER_ASKED))


def _open_tasks(club: Club, today: date, staff_id: int | None = None):
    """The club's open tasks due by TODAY with their members, sessions and whether their lead is assigned to
    STAFF_ID (one query): what members asked for on their page first (MEMBER_ASKED), then the leads assigned to
    STAFF_ID, then the tasks with a due instant (a lead's first call) by it, then the rest overdue first, oldest
    first, then by the rule's priority; the id last, a unique order (no task on two pages or on none)."""
    mine = (LeadCycle.assigned_staff_id == staff_id) if staff_id is not None else false()
    return (
        select(Touchpoint, ClubSession, func.coalesce(mine, false()).label("mine"))
        .join(Touchpoint.rule)
        .outerjoin(ClubSession, ClubSession.id == Touchpoint.session_id)
        .outerjoin(LeadCycle, LeadCycle.id == Touchpoint.lead_cycle_id)
        .options(contains_eager(Touchpoint.rule), joinedload(Touchpoint.member), joinedload(Touchpoint.tool))
        .where(Touchpoint.club_id == club.id, *_is_open_task(today))
        .order_by(case((_member_asked(), 0), else_=1), case((mine, 0), else_=1),
                  case((Touchpoint.due_at.is_(None), 1), else_=0), Touchpoint.due_at, Touchpoint.due_on,
                  Rule.priority, Touchpoint.id)
    )


def today(club: Club, today: date, member_id: int | None = None, limit: int = LIST_LIMIT,
          now: datetime | None = None, staff_id: int | None = None) -> list[Task]:
    """Return the club's open tasks due by TODAY (see _open_tasks), at most LIMIT; MEMBER_ID narrows them to one
    member."""
    query = _open_tasks(club, today, staff_id).limit(limit)
    if member_id is not None:
        query = query.where(Touchpoint.member_id == member_id)
    now = now or utcnow()
    return [task_of(touchpoint, session, today, now, mine)
            for touchpoint, session, mine in db.session.execute(query).all()]


# The navigation's task badge counts this far and then says "99+" (templates/base.html).
NAV_COUNT_CAP = 100


def count_due(club_id: int, today: date, cap: int | None = NAV_COUNT_CAP) -> int:
    """Count the club's open tasks due by TODAY, up to CAP (None: all of them).

    Every staff page shows this count, so it reads at most CAP entries of the touchpoint index that matches it
    (club, channel, status, due day): its cost stays that of one short index-only scan however many tasks a big
    club lets pile up (26,100 open tasks took 6.8 ms a page uncapped). Exact, unlike a cached value: a task closed
    at one desk leaves every page's badge at once, whichever server process draws it."""
    return db.session.scalar(counted(due_ids(club_id, today), cap))


def due_ids(club_id: int, today: date) -> Select:
    """Select the ids of the club's open tasks due by TODAY."""
    return select(Touchpoint.id).where(Touchpoint.club_id == club_id, *_is_open_task(today))


def counted(ids: Select, cap: int | None) -> Select:
    """Select how many rows IDS gives, reading at most CAP of them (None: all)."""
    if cap is not None:
        ids = ids.limit(cap)
    return select(func.count()).select_from(ids.subquery())


def _clean(outcome: str | None, note: str | None) -> tuple[str, str | None]:
    """Check an outcome and a note; return them tidied."""
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", _l("Choose what came of the contact: reached, no answer, booked a "
                                         "session, renewed or declined."))
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput("note", _l("Keep the note to %(max)s characters.", max=NOTE_MAX))
    return outcome, note


def get_task(staff: Staff, touchpoint_id: int) -> Touchpoint:
    """Return the staff task TOUCHPOINT_ID if this login may see it; anything else is not found."""
    touchpoint = get_in_scope(staff, Touchpoint, touchpoint_id, "touchpoint_id", _l("No such task."))
    if touchpoint.channel != "task":
        raise NotFound("touchpoint_id", _l("No such task."))
    return touchpoint


# How many times a call is tried before "no answer" closes its task.
CALL_TRIES = 3


def record_outcome(staff: Staff, touchpoint_id: int, outcome: str | None, note: str | None,
                   today: date) -> Touchpoint:
    """Close an open task with what came of it: the task is done and the contact is logged."""
    touchpoint = get_task(staff, touchpoint_id)
    outcome, note = _clean(outcome, note)
    now = utcnow()
    retry = outcome == "no_answer" and _unanswered(touchpoint.id) + 1 < CALL_TRIES
    # A call nobody answered comes back on tomorrow's list, CALL_TRIES times in all.
    values = ({"due_on": today + timedelta(days=1)} if retry else
              {"status": "done", "outcome": outcome, "done_at": now, "done_by_id": staff.id})
    # Compare-and-set: of two clicks at once (two desks, a double click) exactly one closes the task.
    closed = db.session.execute(
        update(Touchpoint)
        .where(Touchpoint.id == touchpoint.id, Touchpoint.status == "planned", Touchpoint.due_on <= today)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(touchpoint)
    if closed != 1:
        if touchpoint.status == "planned":
            raise Conflict("touchpoint_id", _l("This task is due on a later day."))
        if touchpoint.status == "done":
            raise Conflict("touchpoint_id", _l("This task is already done; its outcome was recorded before."),
                           code="already_done")
        raise Conflict("touchpoint_id", _l("This task is not open."))
    add_contact(staff, touchpoint.club_id, touchpoint.member_id, outcome, note, touchpoint.id)
    audit.record(staff, "retry_task" if retry else "close_task", "touchpoint", touchpoint.id,
                 club_id=touchpoint.club_id, member_id=touchpoint.member_id, before={"status": "planned"},
                 after={"task": touchpoint.rule.key,
                        "outcome": outcome, "note": note})
    return touchpoint


def renewed_by_sale(staff: Staff, touchpoint_id: int, member: Member, today: date) -> Touchpoint | None:
    """Record "Renewed" on MEMBER's open task TOUCHPOINT_ID now that the sale is made (a Today call whose
    "Renewed" opened the sell form); a task closed meanwhile, or not due yet, stays as it is. Another member's
    task, or one this login may not see, is not found."""
    touchpoint = get_task(staff, touchpoint_id)
    if touchpoint.member_id != member.id:
        raise NotFound("touchpoint_id", _l("No such task."))
    if touchpoint.status != "planned" or touchpoint.due_on > today:
        return None
    try:
        return record_outcome(staff, touchpoint_id, "renewed", None, today)
    except Conflict:      # closed by another desk between the read and the update (which wrote nothing)
        return None


def _unanswered(touchpoint_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(StaffContact).where(
        StaffContact.touchpoint_id == touchpoint_id, StaffContact.outcome == "no_answer"))


def log_contact(staff: Staff, member: Member, outcome: str | None, note: str | None) -> StaffContact:
    """Log a call or talk with MEMBER that no task asked for."""
    visible(staff, member)
    refuse_erased(member)
    outcome, note = _clean(outcome, note)
    contact = add_contact(staff, member.club_id, member.id, outcome, note, None)
    audit.record(staff, "log_contact", "staff_contact", contact.id, club_id=member.club_id, member_id=member.id,
                 after={"outcome": outcome, "note": note})
    return contact


def add_contact(staff: Staff, club_id: int, member_id: int, outcome: str, note: str | None,
                 touchpoint_id: int | None) -> StaffContact:
    contact = StaffContact(club_id=club_id, member_id=member_id, staff_id=staff.id, touchpoint_id=touchpoint_id,
                           outcome=outcome, note=note, created_at=utcnow())
    db.session.add(contact)
    db.session.flush()
    return contact


def for_member(member_id: int, limit: int = 30) -> list[Touchpoint]:
    """Return the member's touchpoints of every status with their tools and rules, newest first."""
    return list(db.session.scalars(
        select(Touchpoint).where(Touchpoint.member_id == member_id)
        .options(joinedload(Touchpoint.tool), joinedload(Touchpoint.rule))
        .order_by(Touchpoint.due_on.desc(), Touchpoint.id.desc())
        .limit(limit)
    ))


def contacts_of(member_id: int, limit: int = 20) -> list[Contact]:
    """Return the staff contacts logged with a member, newest first, with the staff's names."""
    rows = db.session.execute(_contacts_statement(limit), {"member_id": member_id}).all()
    return [Contact(contact, name) for contact, name in rows]


@cache
def _contacts_statement(limit: int):
    """contacts_of's statement, built once per LIMIT (the member card asks on every view)."""
    return (select(StaffContact, Staff.name)
            .outerjoin(Staff, Staff.id == StaffContact.staff_id)
            .where(StaffContact.member_id == bindparam("member_id"))
            .order_by(StaffContact.created_at.desc(), StaffContact.id.desc())
            .limit(limit))


def expire_overdue(club: Club, today: date) -> int:
    """Close the club's tasks left open TASK_EXPIRY_DAYS past their day: they were no contact (one UPDATE)."""
    return db.session.execute(
        update(Touchpoint)
        .where(Touchpoint.club_id == club.id, Touchpoint.channel == "task", Touchpoint.status == "planned",
               Touchpoint.due_on < today - timedelta(days=TASK_EXPIRY_DAYS))
        .values(status="expired")
        .execution_options(synchronize_session=False)
    ).rowcount


def today_page(club: Club, today: date, number: int, size: int, now: datetime | None = None,
               staff_id: int | None = None) -> Page[Task]:
    """Return page NUMBER of the club's open tasks due by TODAY, in the order of `today` (one COUNT, then one
    query with LIMIT/OFFSET): a club with thousands of open tasks renders one page of them."""
    found = page_of(_open_tasks(club, today, staff_id), number, size, total=count_due(club.id, today, cap=None),
                    scalars=False)
    now = now or utcnow()
    return found.map(lambda row: task_of(row[0], row[1], today, now, row[2]))
