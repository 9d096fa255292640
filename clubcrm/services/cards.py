"""The member card: everything the desk needs at a glance, and what to do now."""
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.formatting import day
from clubcrm.lifecycle.stages import Stage, stage_of
from clubcrm.models import AuditEvent, Club, Member, Membership, Message, Package, Touchpoint, Visit
from clubcrm.services.contracts import Standing, is_live, latest_live, memberships_of, standing
from clubcrm.services.packages import balances
from clubcrm.services.sales import covering, renewal_target
from clubcrm.services.tasks import Contact, Task, contacts_of, for_member
from clubcrm.services.tasks import today as open_tasks


@dataclass
class Alert:
    level: str  # info, warning, danger
    text: str


@dataclass
class MemberCard:
    member: Member
    standing: Standing
    memberships: list[Membership]
    packages: list[Package]
    visits: list[Visit]
    audit: list[AuditEvent]
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
    # The member's last SMS, newest first.
    messages: list[Message] = field(default_factory=list)
    # The names of the other clubs of the chain where a listed visit happened (a chain plan).
    visit_clubs: dict[int, str] = field(default_factory=dict)


def is_birthday(birth: date | None, today: date) -> bool:
    """Tell whether TODAY is the birthday (29 February is celebrated on 28 February in other years)."""
    if birth is None:
        return False
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def build(member: Member, today: date) -> MemberCard:
    """Gather the member card for TODAY (club-local)."""
    history = memberships_of(member.id)
    where = standing(member, history, today)
    card = MemberCard(
        member=member,
        standing=where,
        memberships=history,
        packages=balances(member.id),
        visits=list(db.session.scalars(select(Visit).where(Visit.member_id == member.id)
                                       .order_by(Visit.checked_in_at.desc()).limit(10))),
        audit=list(db.session.scalars(select(AuditEvent).where(AuditEvent.member_id == member.id)
                                      .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                      .limit(15))),
        renewable=renewal_target(history, today),
        can_sell=covering(history, today) is None,
        stage=stage_of(member.converted_at is None, history,
                       {m.id: [(f.starts_on, f.ends_on) for f in m.freezes] for m in history}, today),
        tasks=open_tasks(member.club, today, member_id=member.id),
        touchpoints=for_member(member.id),
        contacts=contacts_of(member.id),
        messages=list(db.session.scalars(select(Message).where(Message.member_id == member.id)
                                         .order_by(Message.created_at.desc(), Message.id.desc()).limit(10))),
    )
    elsewhere = {v.club_id for v in card.visits if v.club_id != member.club_id}
    if elsewhere:
        card.visit_clubs = dict(db.session.execute(select(Club.id, Club.name).where(Club.id.in_(elsewhere))).all())
    if where.membership is not None:
        card.renewed_by = next((m for m in history if m.renews_id == where.membership.id
                                and is_live(m, today)), None)
    if where.membership is not None and where.membership.visit_limit is not None:
        used = db.session.scalar(select(func.count()).select_from(Visit)
                                 .where(Visit.membership_id == where.membership.id))
        card.visits_left = max(where.membership.visit_limit - used, 0)
    last = latest_live(history, today)
    if last is not None:
        card.latest_end = last.ends_on
        card.renewal_opens = last.ends_on - timedelta(days=current_app.config["RENEWAL_WINDOW_BEFORE_DAYS"])
    card.alerts = alerts(card, today)
    return card


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
            out.append(Alert("warning", str(_l("Membership expires in %(days)s days: offer a renewal.",
                                              days=left))))
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
