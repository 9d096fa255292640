"""The member card: everything the desk needs at a glance, and what to do now.

The card is read in a fixed number of statements whatever the member's history holds: load() reads the member
with their memberships, build() five more. The audit trail, the SMS and the consent history are panels the page
fetches when they are opened (audit_trail, last_messages, consent.history)."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import CheckinRefused, NotFound
from clubcrm.extensions import db
from clubcrm.formatting import day
from clubcrm.lifecycle.stages import Stage, stage_of
from clubcrm.lifecycle.tools.birthday import is_birthday
from clubcrm.models import (AuditEvent, Club, ClubSession, Member, Membership, MemberPageEvent, Message, Package,
                            Service, Staff, Tool, Touchpoint, Visit)
from clubcrm.services import checkin
from clubcrm.services.contracts import Standing, is_live, latest_live, memberships_of, standing
from clubcrm.services.sales import covering, renewal_target
from clubcrm.services.tasks import Contact, Task, contacts_of, task_of


@dataclass
class Alert:
    level: str  # info, warning, danger
    text: str


# What a member did on their page, in the desk's words; and for a session, naming it.
PAGE_EVENT_TEXTS = {
    "opened": _l("Opened their page"), "booked": _l("Booked a session"), "waitlisted": _l("Joined a waiting list"),
    "cancelled": _l("Cancelled a booking"), "call_me": _l("Asked for a call about renewing"),
    "at_desk": _l("Said they will renew at the desk"), "sms_stop": _l("Stopped SMS"),
    "sms_start": _l("Restarted SMS"), "language": _l("Changed their language"),
}
SESSION_EVENT_TEXTS = {
    "booked": _l("Booked %(session)s"), "waitlisted": _l("Joined the waiting list of %(session)s"),
    "cancelled": _l("Cancelled the booking of %(session)s"),
}


@dataclass(frozen=True)
class PageEvent:
    """One thing the member did on their page: when, what, the session it concerns (its title and start) and the
    tool whose text's link they came by, where known."""

    at: datetime
    kind: str
    session_title: str | None = None
    session_starts_at: datetime | None = None
    tool_key: str | None = None

    @property
    def text(self) -> str:
        """What the member did, in the desk's words."""
        if self.session_title and self.kind in SESSION_EVENT_TEXTS:
            return str(SESSION_EVENT_TEXTS[self.kind]) % {"session": self.session_title}
        return str(PAGE_EVENT_TEXTS.get(self.kind, self.kind))


@dataclass
class MemberCard:
    member: Member
    standing: Standing
    memberships: list[Membership]
    packages: list[Package]
    visits: list[Visit]
    alerts: list[Alert] = field(default_factory=list)
    renewable: Membership | None = None
    # A membership can be sold today (nothing covers the member, a renewal is due, or a visit pack is used up).
    can_sell: bool = True
    # The sold renewal that follows the current membership, if any.
    renewed_by: Membership | None = None
    # The last day any live membership covers, and the first day a renewal of it can be sold.
    latest_end: date | None = None
    renewal_opens: date | None = None
    # For a visit-count membership: visits left of its limit.
    visits_left: int | None = None
    # Retention: the lifecycle stage, open tasks (what to do now), touchpoints and staff contacts.
    stage: Stage | None = None
    tasks: list[Task] = field(default_factory=list)
    touchpoints: list[Touchpoint] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    # The names of the other clubs of the chain where a listed visit happened (a chain plan).
    visit_clubs: dict[int, str] = field(default_factory=dict)
    # The member's club has a package on sale (the package sale and grant forms have something to offer).
    sells_packages: bool = False
    # Why a check-in would be refused today (the card shows it instead of the check-in button), or None.
    refusal: CheckinRefused | None = None
    # What the member did last on their own page (opened it, booked, asked for a call...), newest first.
    page_events: list[PageEvent] = field(default_factory=list)

    @property
    def open_contracts(self) -> list[Membership]:
        """The live memberships not yet ended: what a freeze or a cancellation can name."""
        today = self.standing.today
        return [m for m in self.memberships if is_live(m, today) and m.ends_on >= today]

    @property
    def redeemable(self) -> list[Package]:
        """The packages with units left that have not expired."""
        today = self.standing.today
        return [p for p in self.packages if p.balance > 0 and (p.expires_on is None or p.expires_on >= today)]


# The card's statements are built once, their values bind parameters: building a statement and its cache key
# per request cost more than running it (the desk bench's card, profiled).
_CARD = (
    select(Member, Membership,
           exists().where(Service.club_id == Member.club_id, Service.active).label("sells_packages"))
    .outerjoin(Membership, Membership.member_id == Member.id)
    .options(joinedload(Member.club), joinedload(Membership.plan), joinedload(Membership.freezes))
    .where(Member.id == bindparam("member_id"))
    .order_by(Membership.ends_on.desc(), Membership.id.desc())
    # As contracts.memberships_of: a card shown again after a refused sale reads what the database holds.
    .execution_options(populate_existing=True)
)


def load(staff: Staff, member_id: int) -> tuple[Member, list[Membership], bool]:
    """Return the member (with their club), their memberships (plans and freezes, newest end first) and whether
    their club sells any package, in one statement; another club's member is not found, as get_for says."""
    rows = db.session.execute(_CARD, {"member_id": member_id}).unique().all()
    if not rows or not staff.sees_club(rows[0][0].club_id):
        raise NotFound("member_id", _l("No such member."))
    return rows[0][0], [membership for _m, membership, _s in rows if membership is not None], bool(rows[0][2])


def head(member: Member, today: date, history: list[Membership] | None = None,
         used: dict[int, int] | None = None) -> MemberCard:
    """Work out where the member stands and what can be sold TODAY from their memberships alone (HISTORY, loaded
    when not given; USED = visits counted on visit-count memberships, counted here when not given)."""
    history = memberships_of(member.id) if history is None else history
    where = standing(member, history, today)
    last = latest_live(history, today)
    if used is None:
        used = _visits_used({m.id for m in (where.membership, last) if m is not None and m.visit_limit is not None})
    card = MemberCard(
        member=member, standing=where, memberships=history, packages=[], visits=[],
        renewable=renewal_target(history, today),
        can_sell=covering(history, today, lambda m: used.get(m.id, 0)) is None,
        stage=stage_of(member.converted_at is None, history,
                       {m.id: [(f.starts_on, f.ends_on) for f in m.freezes] for m in history}, today),
    )
    if where.membership is not None:
        card.renewed_by = next((m for m in history if m.renews_id == where.membership.id
                                and is_live(m, today)), None)
        if where.membership.visit_limit is not None:
            card.visits_left = max(where.membership.visit_limit - used.get(where.membership.id, 0), 0)
    card.refusal = checkin.refusal(member, where, card.visits_left)
    if last is not None:
        card.latest_end = last.ends_on
        card.renewal_opens = last.ends_on - timedelta(days=current_app.config["RENEWAL_WINDOW_BEFORE_DAYS"])
    return card


def build(member: Member, today: date, history: list[Membership] | None = None,
          sells_packages: bool | None = None) -> MemberCard:
    """Gather the member card for TODAY (club-local): with HISTORY from load(), five statements more (balances,
    last visits, touchpoints with open tasks, staff contacts, page activity), however long the member's history."""
    history = memberships_of(member.id) if history is None else history
    where = standing(member, history, today)
    last = latest_live(history, today)
    counted = {m.id for m in (where.membership, last) if m is not None and m.visit_limit is not None}
    visits, visit_clubs, used = _last_visits(member, counted)
    card = head(member, today, history, used)
    card.packages = balances(member.id)
    card.visits, card.visit_clubs = visits, visit_clubs
    card.touchpoints, card.tasks = _touchpoints_and_tasks(member, today)
    card.contacts = contacts_of(member.id)
    card.page_events = page_activity(member.id)
    if sells_packages is None:
        sells_packages = db.session.scalar(select(exists().where(Service.club_id == member.club_id, Service.active)))
    card.sells_packages = sells_packages
    card.alerts = alerts(card, today)
    return card


def _visits_used(membership_ids: set[int]) -> dict[int, int]:
    """Count the visits made on each of MEMBERSHIP_IDS (visit-count memberships; one statement, none if empty)."""
    if not membership_ids:
        return {}
    rows = db.session.execute(select(Visit.membership_id, func.count()).where(Visit.membership_id.in_(membership_ids))
                              .group_by(Visit.membership_id)).all()
    return {membership_id: 0 for membership_id in membership_ids} | dict(rows)


def _last_visits(member: Member, counted: set[int], limit: int = 10
                 ) -> tuple[list[Visit], dict[int, str], dict[int, int]]:
    """Return the member's last visits, the names of the other clubs where they happened, and the visits made on
    each of COUNTED (visit-count memberships), in one statement."""
    params = {"member_id": member.id, "club_id": member.club_id,
              **{f"counted_{n}": membership_id for n, membership_id in enumerate(sorted(counted))}}
    rows = db.session.execute(_last_visits_statement(len(counted), limit), params).all()
    clubs = {row[0].club_id: row[1] for row in rows if row[1] is not None}
    used = dict(zip(sorted(counted), rows[0][2:], strict=True)) if rows else dict.fromkeys(counted, 0)
    return [row[0] for row in rows], clubs, used


@cache
def _last_visits_statement(tallies: int, limit: int):
    """_last_visits' statement for TALLIES counted memberships (:counted_0 ...), built once per shape. The counts
    ride along as uncorrelated subqueries (computed once); a member with no visit at all has used none of any."""
    counts = [select(func.count()).select_from(Visit).where(Visit.membership_id == bindparam(f"counted_{n}"))
              .scalar_subquery() for n in range(tallies)]
    return (select(Visit, Club.name, *counts)
            .outerjoin(Club, and_(Club.id == Visit.club_id, Visit.club_id != bindparam("club_id")))
            .where(Visit.member_id == bindparam("member_id"))
            .order_by(Visit.checked_in_at.desc(), Visit.id.desc())
            .limit(limit))


def balances(member_id: int) -> list[Package]:
    """Return the member's packages with their services, by service name (one statement)."""
    return list(db.session.scalars(_BALANCES, {"member_id": member_id}))


_BALANCES = (select(Package).join(Package.service).options(contains_eager(Package.service))
             .where(Package.member_id == bindparam("member_id")).order_by(Service.name, Package.id))


def _touchpoints_and_tasks(member: Member, today: date, limit: int = 30) -> tuple[list[Touchpoint], list[Task]]:
    """Return the member's newest touchpoints of every status (as tasks.for_member) and their open tasks due by
    TODAY with the sessions they offer (as tasks.today), in one statement."""
    rows = db.session.execute(_touchpoints_statement(limit),
                              {"member_id": member.id, "club_id": member.club_id, "today": today}).all()
    # The rows hold the newest LIMIT and every open task: the newest LIMIT of them are the history.
    history = sorted((tp for tp, _session in rows), key=lambda tp: (tp.due_on, tp.id), reverse=True)[:limit]
    open_tasks = [task_of(tp, session, today, utcnow()) for tp, session in rows
                  if tp.club_id == member.club_id and tp.channel == "task" and tp.status == "planned"
                  and tp.due_on <= today]
    open_tasks.sort(key=lambda t: (t.touchpoint.due_on, t.touchpoint.rule.priority, t.touchpoint.id))
    return history, open_tasks


@cache
def _touchpoints_statement(limit: int):
    """_touchpoints_and_tasks' statement, built once per LIMIT (the member, club and day as parameters)."""
    newest = (select(Touchpoint.id).where(Touchpoint.member_id == bindparam("member_id"))
              .order_by(Touchpoint.due_on.desc(), Touchpoint.id.desc()).limit(limit))
    is_task = and_(Touchpoint.club_id == bindparam("club_id"), Touchpoint.channel == "task",
                   Touchpoint.status == "planned", Touchpoint.due_on <= bindparam("today"))
    return (select(Touchpoint, ClubSession)
            .outerjoin(ClubSession, ClubSession.id == Touchpoint.session_id)
            .options(joinedload(Touchpoint.tool), joinedload(Touchpoint.rule))
            .where(Touchpoint.member_id == bindparam("member_id"), or_(Touchpoint.id.in_(newest), is_task)))


def page_activity(member_id: int, limit: int = 10) -> list[PageEvent]:
    """Return what the member last did on their own page, newest first, with the sessions and tools concerned
    (one statement)."""
    return [PageEvent(*row) for row in db.session.execute(_page_activity_statement(limit), {"member_id": member_id})]


@cache
def _page_activity_statement(limit: int):
    """page_activity's statement, built once per LIMIT (the member as a parameter)."""
    event = MemberPageEvent
    return (select(event.created_at, event.kind, ClubSession.title, ClubSession.starts_at, Tool.key)
            .outerjoin(ClubSession, ClubSession.id == event.session_id)
            .outerjoin(Touchpoint, Touchpoint.id == event.touchpoint_id)
            .outerjoin(Tool, Tool.id == Touchpoint.tool_id)
            .where(event.member_id == bindparam("member_id"))
            .order_by(event.created_at.desc(), event.id.desc())
            .limit(limit))


def audit_trail(member_id: int, limit: int = 15) -> list[AuditEvent]:
    """Return the member's last audit events, newest first (the card's audit panel)."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.member_id == member_id)
                                   .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)))


def last_messages(member_id: int, limit: int = 10) -> list[Message]:
    """Return the member's last SMS, newest first (the card's SMS panel)."""
    return list(db.session.scalars(select(Message).where(Message.member_id == member_id)
                                   .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)))


def alerts(card: MemberCard, today: date) -> list[Alert]:
    """Say what the desk should notice or do now."""
    out: list[Alert] = []
    if card.member.erased_at is not None:
        return out   # nothing more is done for an erased member: no renewal to offer, no birthday to greet
    where = card.standing
    warn_days = current_app.config["EXPIRY_ALERT_DAYS"]
    renewed = card.renewed_by is not None
    if where.state in ("active", "frozen") and not renewed:
        left = (where.membership.ends_on - today).days
        if left == 0:
            out.append(Alert("danger", str(_l("Membership ends today: offer a renewal."))))
        elif left <= warn_days:
            out.append(Alert("warning", str(lazy_ngettext("Membership expires in %(num)d day: offer a renewal.",
                                                          "Membership expires in %(num)d days: offer a renewal.",
                                                          left))))
    if where.state == "frozen":
        out.append(Alert("info", str(_l("Frozen until %(date)s.", date=day(where.freeze.ends_on)))))
    if where.state == "expired" and not renewed:
        out.append(Alert("danger", str(_l("Expired on %(date)s: offer a renewal.",
                                          date=day(where.membership.ends_on)))))
    if where.state == "lead":
        out.append(Alert("info", str(_l("Lead: offer a trial visit or a first membership."))))
    if is_birthday(card.member.birth_date, today):
        out.append(Alert("info", str(_l("Birthday today: congratulate %(name)s!",
                                        name=card.member.first_name))))
    low = current_app.config["LOW_BALANCE_UNITS"]
    for package in card.packages:
        expired = package.expires_on is not None and package.expires_on < today
        if not expired and package.balance <= low:
            out.append(Alert("warning", str(_l("%(service)s: %(units)s left — offer a new package.",
                                              service=package.service.name, units=package.balance))))
    return out
