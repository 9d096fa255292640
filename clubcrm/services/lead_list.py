"""The lead list: a club's open lead cycles with their stage, source, age, next planned contact and last staff
contact, filtered by stage, source and assigned staff, one page at a time; and what staff do from it (an outcome,
an assignment)."""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import aliased, joinedload

from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import LEAD_SOURCES, LeadCycle, Member, Staff, StaffContact, Touchpoint
from clubcrm.paging import Page, page_of
from clubcrm.services import audit, lead_cycles, tasks
from clubcrm.services.members import refuse_erased

# The stages an open cycle can stand at (won and lost close it).
OPEN_STAGES = ("new", "contacted", "trial_booked", "trial_attended")
# The outcomes the list offers in one click, Today's words.
LIST_OUTCOMES = ("reached", "no_answer")
# The staff filter's value for leads nobody is assigned to.
NOBODY = "none"


@dataclass(frozen=True)
class Filters:
    """The list's filters, checked: a stage, a source, an assigned staff id (or NOBODY); None = any."""

    stage: str | None = None
    source: str | None = None
    staff: int | str | None = None


@dataclass(frozen=True)
class LastContact:
    """The latest staff contact of a lead since its cycle began."""

    staff_name: str | None
    outcome: str
    at: datetime


@dataclass(frozen=True)
class Lead:
    """One row of the lead list."""

    cycle: LeadCycle
    member: Member
    stage: str
    age_days: int
    referrer_name: str | None
    assigned_name: str | None
    next_contact: Touchpoint | None
    last_contact: LastContact | None


def staff_choices(club_id: int) -> list[tuple[int, str]]:
    """The club's active staff a lead can be assigned to, by name: (id, name)."""
    return [(staff_id, name) for staff_id, name in db.session.execute(
        select(Staff.id, Staff.name).where(Staff.club_id == club_id, Staff.active.is_(True))
        .order_by(Staff.name, Staff.id))]


def checked_filters(club_id: int, stage: str | None, source: str | None, staff: str | None
                    ) -> tuple[Filters, list[InvalidInput]]:
    """Check the list's filters as typed in its address: a value the list does not know is dropped and named in the
    returned errors (the list shows the rest), never a failure."""
    errors: list[InvalidInput] = []
    stage, source, staff = (stage or "").strip() or None, (source or "").strip() or None, (staff or "").strip() or None
    if stage is not None and stage not in OPEN_STAGES:
        errors.append(InvalidInput("stage", _l("There is no stage “%(value)s”: showing every stage.",
                                               value=stage[:40])))
        stage = None
    if source is not None and source not in LEAD_SOURCES:
        errors.append(InvalidInput("source", _l("There is no source “%(value)s”: showing every source.",
                                                value=source[:40])))
        source = None
    chosen: int | str | None = None
    if staff == NOBODY:
        chosen = NOBODY
    elif staff is not None:
        known = dict(staff_choices(club_id))
        if staff.isascii() and staff.isdigit() and int(staff) in known:
            chosen = int(staff)
        else:
            errors.append(InvalidInput("staff", _l("No staff member “%(value)s” works here: showing everyone's "
                                                   "leads.", value=staff[:40])))
    return Filters(stage, source, chosen), errors


def _stage_of_open_cycles():
    """The stage of each of the club's open cycles as a subquery (id, stage), from lead_cycles' one statement, so
    that the list filters and pages by stage in SQL."""
    rows = lead_cycles.stages_statement(LeadCycle.ended_at.is_(None)).subquery("stages")
    stage = case((rows.c.attended, "trial_attended"), (rows.c.booked, "trial_booked"),
                 (rows.c.contacted, "contacted"), else_="new")
    return select(rows.c.id, stage.label("stage")).subquery("stage_of")


def page(club_id: int, filters: Filters, today: date, number: int, size: int) -> Page[Lead]:
    """Return page NUMBER of the club's open lead cycles matching FILTERS, oldest first, in a fixed number of
    statements however many leads there are: one COUNT, one page query, one for the page's next contacts, one
    for its last contacts."""
    stages = _stage_of_open_cycles()
    assigned = aliased(Staff)
    referrer = aliased(Member)
    next_touchpoint = (select(Touchpoint.id)
                       .where(Touchpoint.lead_cycle_id == LeadCycle.id, Touchpoint.status == "planned")
                       .order_by(Touchpoint.due_on, Touchpoint.due_at, Touchpoint.id).limit(1)
                       .correlate(LeadCycle).scalar_subquery())
    last_contact = (select(StaffContact.id)
                    .where(StaffContact.member_id == LeadCycle.member_id,
                           StaffContact.created_at >= LeadCycle.started_at)
                    .order_by(StaffContact.created_at.desc(), StaffContact.id.desc()).limit(1)
                    .correlate(LeadCycle).scalar_subquery())
    query = (select(LeadCycle, Member, stages.c.stage, referrer.first_name, referrer.last_name, assigned.name,
                    next_touchpoint.label("next_id"), last_contact.label("last_id"))
             .join(Member, Member.id == LeadCycle.member_id)
             .join(stages, stages.c.id == LeadCycle.id)
             .outerjoin(referrer, referrer.id == LeadCycle.referrer_member_id)
             .outerjoin(assigned, assigned.id == LeadCycle.assigned_staff_id)
             .where(LeadCycle.club_id == club_id, LeadCycle.ended_at.is_(None))
             .order_by(LeadCycle.started_at, LeadCycle.id))
    if filters.stage is not None:
        query = query.where(stages.c.stage == filters.stage)
    if filters.source is not None:
        query = query.where(LeadCycle.source == filters.source)
    if filters.staff == NOBODY:
        query = query.where(LeadCycle.assigned_staff_id.is_(None))
    elif filters.staff is not None:
        query = query.where(LeadCycle.assigned_staff_id == filters.staff)
    query = query.params(club_id=club_id)
    found = page_of(query, number, size, scalars=False)
    touchpoints = _touchpoints([row.next_id for row in found if row.next_id is not None])
    contacts = _contacts([row.last_id for row in found if row.last_id is not None])

    def lead(row) -> Lead:
        cycle, member = row[0], row[1]
        referrer_name = f"{row[3]} {row[4] or ''}".strip() if row[3] is not None else None
        return Lead(cycle, member, row[2], (today - cycle.started_at.date()).days, referrer_name, row[5],
                    touchpoints.get(row.next_id), contacts.get(row.last_id))
    return found.map(lead)


def _touchpoints(ids: list[int]) -> dict[int, Touchpoint]:
    """The touchpoints IDS with their tools and rules (one statement; none for no ids)."""
    if not ids:
        return {}
    return {tp.id: tp for tp in db.session.scalars(
        select(Touchpoint).where(Touchpoint.id.in_(bindparam("ids", expanding=True)))
        .options(joinedload(Touchpoint.tool), joinedload(Touchpoint.rule)), {"ids": ids})}


def _contacts(ids: list[int]) -> dict[int, LastContact]:
    """The staff contacts IDS with who took them (one statement; none for no ids)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(StaffContact.id, Staff.name, StaffContact.outcome, StaffContact.created_at)
        .outerjoin(Staff, Staff.id == StaffContact.staff_id)
        .where(StaffContact.id.in_(bindparam("ids", expanding=True))), {"ids": ids})
    return {contact_id: LastContact(name, outcome, at) for contact_id, name, outcome, at in rows}


def count_open(club_id: int) -> int:
    """Count the club's open lead cycles (one statement)."""
    return db.session.scalar(select(func.count()).select_from(LeadCycle).where(
        LeadCycle.club_id == club_id, LeadCycle.ended_at.is_(None))) or 0


def open_cycle(staff: Staff, cycle_id: int) -> LeadCycle:
    """Return the open lead cycle CYCLE_ID of a club STAFF sees; anything else (another club's, closed, none) is not
    found."""
    cycle = db.session.get(LeadCycle, cycle_id)
    if cycle is None or not staff.sees_club(cycle.club_id):
        raise NotFound("cycle_id", _l("No such lead."))
    if cycle.ended_at is not None:
        raise NotFound("cycle_id", _l("This lead's cycle is closed."), code="closed")
    return cycle


def open_task_of(cycle: LeadCycle, today: date) -> int | None:
    """The id of the cycle's open staff task due by TODAY (the earliest), if any."""
    return db.session.scalar(
        select(Touchpoint.id).where(Touchpoint.lead_cycle_id == cycle.id, Touchpoint.channel == "task",
                                    Touchpoint.status == "planned", Touchpoint.due_on <= today)
        .order_by(Touchpoint.due_on, Touchpoint.due_at, Touchpoint.id).limit(1))


def record_outcome(staff: Staff, cycle_id: int, outcome: str | None, today: date) -> Member:
    """Record what came of a call to the lead of cycle CYCLE_ID (reached, no answer): on its open task when it has
    one due (Today's own outcome, so the task closes or comes back as on Today), else as a staff contact logged
    with the member. Return the member."""
    cycle = open_cycle(staff, cycle_id)
    if outcome not in LIST_OUTCOMES:
        raise InvalidInput("outcome", _l("Choose what came of the call: reached or no answer."))
    member = db.session.get(Member, cycle.member_id)
    refuse_erased(member)
    task_id = open_task_of(cycle, today)
    if task_id is not None:
        tasks.record_outcome(staff, task_id, outcome, None, today)
    else:
        tasks.log_contact(staff, member, outcome, None)
    return member


def assign(staff: Staff, cycle_id: int, staff_id: int | None) -> LeadCycle:
    """Assign the lead of cycle CYCLE_ID to the club's active staff member STAFF_ID (None: to nobody), audited."""
    cycle = open_cycle(staff, cycle_id)
    if staff_id is not None and staff_id not in dict(staff_choices(cycle.club_id)):
        raise InvalidInput("staff_id", _l("Choose one of the club's staff, or nobody."))
    if cycle.assigned_staff_id == staff_id:
        return cycle
    names = dict(staff_choices(cycle.club_id))
    before = cycle.assigned_staff_id
    updated = db.session.execute(
        LeadCycle.__table__.update()
        .where(and_(LeadCycle.id == cycle.id, LeadCycle.ended_at.is_(None)))
        .values(assigned_staff_id=staff_id))
    if updated.rowcount != 1:
        raise NotFound("cycle_id", _l("This lead's cycle is closed."), code="closed")
    db.session.refresh(cycle)
    audit.record(staff, "assign_lead", "lead_cycle", cycle.id, club_id=cycle.club_id, member_id=cycle.member_id,
                 before={"assigned_to": names.get(before) if before is not None else None},
                 after={"assigned_to": names.get(staff_id) if staff_id is not None else None})
    return cycle
