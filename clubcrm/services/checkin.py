"""Check a member in: refuse with the reason in plain words, and never log a repeat twice."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import bindparam, func, select

from clubcrm.clock import local_today, utcnow
from clubcrm.errors import CheckinRefused, NotFound
from clubcrm.extensions import db
from clubcrm.formatting import day
from clubcrm.models import Club, Member, Staff, Visit
from clubcrm.services import chain, members, repeats, sessions
from clubcrm.services.club_closing import refuse_if_closed
from clubcrm.services.contracts import memberships_of, standing
from clubcrm.services.locks import lock_member


@dataclass(frozen=True)
class CheckinResult:
    visit: Visit
    member: Member
    repeated: bool


def member_for_card(club: Club, card_code: str) -> Member | None:
    """Return the member holding CARD_CODE in any club (codes are unique chain-wide), None if nobody does;
    whether another club's member may check in at CLUB is check_in's to decide."""
    return members.holder_of_card(card_code)


def check_in(staff: Staff, member: Member, source: str = "desk", club: Club | None = None) -> CheckinResult:
    """Log a visit for MEMBER at CLUB (the desk's or the token's club; by default the login's own club, else the
    member's), or raise CheckinRefused saying why not."""
    at = club or staff.club or member.club
    if not staff.sees_club(at.id):
        raise NotFound("club_id", _l("No such club."))
    home: Club = member.club
    today = local_today(home.timezone)   # contract dates are days of the home club
    history = memberships_of(member.id)
    if member.club_id == at.id:
        where = standing(member, history, today)
    else:
        # At another club of the chain only the chain-wide memberships count, by the rule the desk's search and
        # guest view use (chain.guest_standing): whom it finds is not refused as of another club, and what stands
        # in the way of a guest (not started, frozen...) is then said as at home.
        where = chain.guest_standing(member, history, today)
        if where is None:
            raise CheckinRefused("member_id", _l("This card belongs to a member of another club."),
                                 code="other_club")
    members.refuse_erased(member, "member_id", error=CheckinRefused)
    # A closed club takes no visits, its own members' or guests'.
    refuse_if_closed(at, "member_id")
    now = utcnow()
    refused = refusal(member, where)
    if refused is not None:
        raise refused
    membership = where.membership
    # Two scans at once (a turnstile and the desk, a double scan) wait here for each other, so the
    # repeat check and the visit count below see the other's visit.
    recent = locked_repeat(member)
    if recent is not None:
        return recent
    if membership.visit_limit is not None:
        used = db.session.scalar(
            select(func.count()).select_from(Visit).where(Visit.membership_id == membership.id)
        )
        if used >= membership.visit_limit:
            raise refusal(member, where, visits_left=0)
    # Recorded where it happened, on the home club's membership: the home club counts it as its member's visit,
    # the visiting club as a guest visit.
    visit = Visit(club_id=at.id, member_id=member.id, membership_id=membership.id,
                  checked_in_at=now, source=source, staff_id=staff.id)
    db.session.add(visit)
    db.session.flush()
    sessions.attend_on_checkin(member, now, at)
    return CheckinResult(visit, member, repeated=False)


def locked_repeat(member: Member) -> CheckinResult | None:
    """Wait for any other check-in of MEMBER under way (a turnstile and the desk, a double scan), then answer the
    visit logged within CHECKIN_REPEAT_SECONDS, if any, as a repeat; None when there is none."""
    lock_member(member.id)
    since = repeats.window_start("CHECKIN_REPEAT_SECONDS")
    recent = None if since is None else db.session.scalar(_RECENT_VISIT, {"member_id": member.id, "since": since})
    return CheckinResult(recent, member, repeated=True) if recent is not None else None


# Built once (every check-in asks): the member's newest visit since :since.
_RECENT_VISIT = (select(Visit).where(Visit.member_id == bindparam("member_id"),
                                     Visit.checked_in_at >= bindparam("since"))
                 .order_by(Visit.checked_in_at.desc()).limit(1))


def refusal(member: Member, where, visits_left: int | None = None) -> CheckinRefused | None:
    """Why MEMBER, standing WHERE (contracts.standing), may not check in, as the error check_in raises; None when
    the standing lets them in. VISITS_LEFT: of a visit-count membership, when known (0 refuses)."""
    if where.state in ("lead", "none"):
        return CheckinRefused("member_id", _l("%(name)s has no membership.", name=member.full_name),
                              code="no_membership")
    if where.state == "future":
        return CheckinRefused("member_id", _l("The membership starts on %(date)s.",
                                              date=day(where.membership.starts_on)), code="not_started")
    if where.state == "expired":
        return CheckinRefused("member_id", _l("The membership expired on %(date)s.",
                                              date=day(where.membership.ends_on)), code="expired")
    if where.state == "cancelled":
        return CheckinRefused("member_id", _l("The membership was cancelled on %(date)s.",
                                              date=day(where.membership.cancelled_on)), code="cancelled")
    if where.state == "frozen":
        return CheckinRefused("member_id", _l("The membership is frozen until %(date)s.",
                                              date=day(where.freeze.ends_on)), code="frozen")
    if visits_left == 0 and where.membership is not None and where.membership.visit_limit is not None:
        return CheckinRefused("member_id", lazy_ngettext("The %(num)d visit of this membership is used.",
                                                         "All %(num)d visits of this membership are used.",
                                                         where.membership.visit_limit), code="visit_limit")
    return None
