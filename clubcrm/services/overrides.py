"""A manager lets a refused member in once: approved on the desk's screen with the manager's own password, the
reason kept in the audit trail, and each one listed in the managers' overrides report."""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from clubcrm.clock import local_today, utcnow
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Club, Member, Staff, Visit
from clubcrm.reports.scope import utc_bounds
from clubcrm.services import audit, members, sessions
from clubcrm.services.checkin import CheckinResult, locked_repeat, refusal
from clubcrm.services.club_closing import refuse_if_closed
from clubcrm.services.contracts import memberships_of, standing

REASON_MAX = 200


def approver_refusal(approver: Staff | None, club_id: int) -> InvalidInput | None:
    """Why APPROVER (the login whose password was checked) may not let a member of CLUB_ID in; None if they may."""
    if approver is None or not approver.active or not approver.has_role("manager") \
            or not approver.sees_club(club_id):
        return InvalidInput("approver_email", _l("Only a manager of this club can let a member in."),
                            code="not_a_manager")
    return None


def let_in_once(staff: Staff, member: Member, approver: Staff, reason: str) -> CheckinResult:
    """Check MEMBER in at their own club although their standing refuses it, approved by APPROVER (a manager whose
    password the caller has checked), for REASON; audited. An erased member or a closed club is still refused."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("reason", _l("Say why the member is let in."))
    if len(reason) > REASON_MAX:
        raise InvalidInput("reason", _l("At most %(n)s characters.", n=REASON_MAX))
    club = member.club
    refused = approver_refusal(approver, club.id)
    if refused is not None:
        raise refused
    members.refuse_erased(member, "member_id")
    refuse_if_closed(club, "member_id")
    recent = locked_repeat(member)
    if recent is not None:
        return recent
    where = standing(member, memberships_of(member.id), local_today(club.timezone))
    why = refusal(member, where)
    now = utcnow()
    visit = Visit(club_id=club.id, member_id=member.id,
                  membership_id=where.membership.id if where.membership is not None else None,
                  checked_in_at=now, source="override", staff_id=staff.id)
    db.session.add(visit)
    db.session.flush()
    audit.record(approver, "override", "visit", visit.id, club_id=club.id, member_id=member.id,
                 after={"reason": reason, "desk": staff.id, "standing": why.code if why else where.state})
    sessions.attend_on_checkin(member, now, club)
    return CheckinResult(visit, member, repeated=False)


@dataclass(frozen=True)
class Override:
    at: datetime
    member_id: int
    member_name: str
    approver: str
    desk: str
    standing: str
    reason: str


def in_period(clubs: list[Club], start: date, end: date) -> list[Override]:
    """The members let in by a manager at CLUBS from START to END (each club's local days), newest first."""
    within = or_(*(and_(AuditEvent.club_id == club.id, AuditEvent.created_at >= first, AuditEvent.created_at < last)
                   for club in clubs for first, last in [utc_bounds(club, start, end)]))
    approver, desk = Staff.__table__.alias("approver"), Staff.__table__.alias("desk")
    rows = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.after, Member.id, Member.first_name, Member.last_name,
               approver.c.name, desk.c.name)
        .join(Member, Member.id == AuditEvent.member_id)
        .outerjoin(approver, approver.c.id == AuditEvent.staff_id)
        .join(Visit, Visit.id == AuditEvent.entity_id)
        .outerjoin(desk, desk.c.id == Visit.staff_id)
        .where(AuditEvent.entity == "visit", AuditEvent.action == "override", within)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
    return [Override(at, member_id, f"{first_name} {last_name}".strip(), approver_name or "", desk_name or "",
                     (after or {}).get("standing", ""), (after or {}).get("reason", ""))
            for at, after, member_id, first_name, last_name, approver_name, desk_name in rows]
