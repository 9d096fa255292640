"""What the member page shows (membership, balances, bookings, sessions that fit) and its bookings.

The page reads in a handful of set-based statements: the member's contracts, their packages, their upcoming
bookings, and the sessions that fit them (with their places taken). A member books only what the page would offer
them (`_conditions`: the same conditions as the list, for one session), and may cancel only their own bookings until the
club's deadline; each action is safe to repeat (a double tap books once).
"""
from dataclasses import dataclass, field
from functools import cache, lru_cache
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, false, func, or_, select
from sqlalchemy.orm import joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, DomainError, NotFound
from clubcrm.extensions import db
from clubcrm.lifecycle.tools import renewal_offer
from clubcrm.models import HOLDS_PLACE, Booking, ClubSession
from clubcrm.services import member_links, sessions
from clubcrm.services.locks import lock_member
from clubcrm.services.cards import balances
from clubcrm.services.contracts import memberships_of, standing
from clubcrm.services.member_links import Found

# How far ahead the page offers sessions, and how many at most.
AHEAD_DAYS = 14
MAX_SESSIONS = 8
# The booking source of a booking made on the member page (Booking.source is 10 characters).
SOURCE = "page"
# The tool whose touchpoints offer a renewal (the renewal part of the page shows for them).
RENEWAL_TOOL = renewal_offer.TOOL.key
# Bookings the member holds (a cancelled one may be booked again).
HELD = ("booked", "waitlist", "attended", "no_show")
# Sessions a member took part in, whose titles and activities tell which classes fit them.
TOOK_PART = ("booked", "attended")

NO_SESSION = _l("This session cannot be booked here. Please ask the club.")
NO_BOOKING = _l("No such booking.")


@dataclass(frozen=True)
class PackageLine:
    name: str
    balance: int
    expires_on: date | None
    expired: bool


@dataclass(frozen=True)
class BookingLine:
    id: int
    title: str
    when: str               # day and time in the club's zone and the member's language
    status: str             # booked or waitlist
    can_cancel: bool
    cancel_until: str       # the deadline, as written


@dataclass(frozen=True)
class SessionLine:
    id: int
    title: str
    kind: str
    when: str
    room: str | None
    free: int
    offered: bool           # the session the message offered

    @property
    def full(self) -> bool:
        return self.free <= 0


@dataclass(frozen=True)
class MemberView:
    """What the page of one member shows; nothing else of theirs (no phone, e-mail, birth date or notes)."""

    first_name: str
    state: str                       # lead, active, frozen, expired, cancelled, future or none (contracts.Standing)
    plan: str | None = None
    until: date | None = None        # the last day of the membership shown
    starts_on: date | None = None    # a membership yet to start
    days_left: int | None = None
    frozen_until: date | None = None
    packages: list[PackageLine] = field(default_factory=list)
    bookings: list[BookingLine] = field(default_factory=list)
    sessions: list[SessionLine] = field(default_factory=list)
    renewal_offer: bool = False
    first_membership: bool = False


# --- reading ------------------------------------------------------------------------------------


def _when(starts_at: datetime, ends_at: datetime | None, tz: str) -> str:
    """A session's day and time in the club's zone and the page's language ("Thu, Mar 12, 6:00 – 7:00 PM")."""
    zone, locale = ZoneInfo(tz), str(get_locale() or "en")
    start = starts_at.astimezone(zone)
    day = babel_dates.format_skeleton("MMMEd", start, locale=locale)
    if ends_at is None:
        return f"{day}, {babel_dates.format_time(start, 'short', locale=locale)}"
    end = ends_at.astimezone(zone)
    hours = babel_dates.format_interval(start.time(), end.time(), "Hm" if _24h(locale) else "hm", locale=locale)
    return f"{day}, {hours}"


def _24h(locale: str) -> bool:
    return "a" not in babel_dates.get_time_format("short", locale=locale).pattern


def _deadline(club, starts_at: datetime) -> datetime:
    return starts_at - timedelta(minutes=club.booking_cancel_minutes)


def is_renewal_offer(found: Found) -> bool:
    """Tell whether the link came in a renewal offer's SMS (the page asks how the member will renew)."""
    return found.touchpoint is not None and found.touchpoint.tool.key == RENEWAL_TOOL


@dataclass(frozen=True)
class _Fit:
    """Which sessions fit the member: trial sessions (a lead, or in their first membership), classes of the titles
    and activities they took part in, club events (a member), and the session their message offered."""

    trials: bool
    lead: bool
    titles: frozenset
    activities: frozenset
    offered_id: int | None
    frozen_until: date | None


def _fit(found: Found, lead: bool, first: bool, frozen_until: date | None, now: datetime) -> _Fit:
    """Read the titles and activities of sessions the member took part in (one statement)."""
    rows = db.session.execute(_took_part(), {"member_id": found.member.id, "club_id": found.club.id,
                                             "now": now}).all()
    return _Fit(trials=lead or first, lead=lead, titles=frozenset(t for t, _a in rows),
                activities=frozenset(a for _t, a in rows if a),
                offered_id=found.touchpoint.session_id if found.touchpoint else None, frozen_until=frozen_until)


# The page's statements are built once (per shape of what fits a member) with the member, the club and the instants
# as parameters: building them anew took a good share of a page's time (benchmarks/member_page_http.py).
@cache
def _took_part():
    """_fit's statement."""
    return (select(ClubSession.title, ClubSession.activity).distinct()
            .join(Booking, Booking.session_id == ClubSession.id)
            .where(Booking.member_id == bindparam("member_id"), Booking.status.in_(TOOK_PART),
                   ClubSession.club_id == bindparam("club_id"), ClubSession.starts_at <= bindparam("now")))


@cache
def _upcoming_bookings():
    """The member's bookings and waitlist places of sessions to come (view's statement)."""
    return (select(Booking.id, Booking.status, ClubSession.title, ClubSession.starts_at, ClubSession.ends_at)
            .join(ClubSession, ClubSession.id == Booking.session_id)
            .where(Booking.member_id == bindparam("member_id"), Booking.status.in_(("booked", "waitlist")),
                   ClubSession.club_id == bindparam("club_id"), ClubSession.cancelled_at.is_(None),
                   ClubSession.starts_at > bindparam("now"))
            .order_by(ClubSession.starts_at, Booking.id))


def _shape(fit: _Fit) -> tuple:
    """What decides the shape of the statements of sessions that fit (_conditions' arguments)."""
    return (fit.trials, fit.lead, bool(fit.titles), bool(fit.activities), fit.offered_id is not None,
            fit.frozen_until is not None)


def _params(found: Found, fit: _Fit, now: datetime) -> dict:
    """The parameters of FOUND's member's statements of sessions that fit (_conditions)."""
    params = {"member_id": found.member.id, "club_id": found.club.id, "now": now,
              "soon": now + timedelta(days=AHEAD_DAYS), "titles": sorted(fit.titles),
              "activities": sorted(fit.activities), "offered_id": fit.offered_id}
    if fit.frozen_until is not None:
        params["thaw"] = sessions.local_midnight(fit.frozen_until + timedelta(days=1), found.club.timezone)
    return params


@lru_cache(maxsize=64)
def _conditions(trials: bool, lead: bool, titles: bool, activities: bool, offered_one: bool, frozen: bool):
    """The conditions of a session the page offers a member of this shape, and the "offered" one: the club's, to come
    (the offered one at any time, the others within AHEAD_DAYS), not cancelled, not held by the member, fitting them,
    not in their freeze (TITLES, ACTIVITIES: whether they took part in any classes; the values are _params')."""
    kinds = []
    if trials:
        kinds.append(ClubSession.kind == "trial")
    if not lead:
        kinds.append(ClubSession.kind == "event")
        if titles:
            kinds.append(and_(ClubSession.kind == "class", ClubSession.title.in_(bindparam("titles", expanding=True))))
        if activities:
            kinds.append(and_(ClubSession.kind == "class",
                              ClubSession.activity.in_(bindparam("activities", expanding=True))))
    soon = and_(ClubSession.starts_at < bindparam("soon"), or_(*kinds) if kinds else false())
    offered = ClubSession.id == bindparam("offered_id") if offered_one else false()
    if lead:   # a lead can book a trial session only, the offered one too
        offered = and_(offered, ClubSession.kind == "trial")
    held = select(Booking.session_id).where(Booking.member_id == bindparam("member_id"), Booking.status.in_(HELD))
    conditions = [ClubSession.club_id == bindparam("club_id"), ClubSession.cancelled_at.is_(None),
                  ClubSession.starts_at > bindparam("now"), ClubSession.id.not_in(held), or_(offered, soon)]
    if frozen:
        conditions.append(ClubSession.starts_at >= bindparam("thaw"))
    return tuple(conditions), offered


@lru_cache(maxsize=64)
def _fitting_sessions(shape: tuple):
    """The sessions that fit a member of SHAPE (_conditions' arguments), the offered one first, with their free
    places (view's statement)."""
    conditions, offered = _conditions(*shape)
    taken = (select(Booking.session_id, func.count().label("taken"))
             .where(Booking.status.in_(HOLDS_PLACE),
                    Booking.session_id.in_(select(ClubSession.id).where(*conditions)))
             .group_by(Booking.session_id).subquery())
    first_offered = case((offered, 0), else_=1)
    return (select(ClubSession.id, ClubSession.title, ClubSession.kind, ClubSession.starts_at, ClubSession.ends_at,
                   ClubSession.room, ClubSession.capacity - func.coalesce(taken.c.taken, 0), first_offered)
            .outerjoin(taken, taken.c.session_id == ClubSession.id)
            .where(*conditions).order_by(first_offered, ClubSession.starts_at, ClubSession.id).limit(MAX_SESSIONS))


def _standing_and_fit(found: Found, now: datetime):
    """The member's standing today, whether this is their first membership, and which sessions fit them."""
    today = now.astimezone(ZoneInfo(found.club.timezone)).date()
    contracts = memberships_of(found.member.id)
    where = standing(found.member, contracts, today)
    frozen_until = where.freeze.ends_on if where.state == "frozen" else None
    first = where.state in ("active", "frozen", "future") and len(contracts) == 1
    return where, first, _fit(found, found.member.is_lead, first, frozen_until, now)


def view(found: Found) -> MemberView:
    """Everything the page of FOUND's member shows (five statements, whatever the member's history)."""
    now, club, member = utcnow(), found.club, found.member
    where, first, fit = _standing_and_fit(found, now)
    membership = where.membership
    today = where.today
    packages = [PackageLine(p.service.name, p.balance, p.expires_on,
                            p.expires_on is not None and p.expires_on < today)
                for p in balances(member.id) if p.balance > 0 or (p.expires_on is None or p.expires_on >= today)]
    # Columns, not entities: the page shows a few values of each row, and building objects cost more than reading.
    rows = db.session.execute(_upcoming_bookings(), {"member_id": member.id, "club_id": club.id, "now": now}).all()
    bookings = [BookingLine(booking_id, title, _when(starts_at, ends_at, club.timezone), status,
                            now < _deadline(club, starts_at), _when(_deadline(club, starts_at), None, club.timezone))
                for booking_id, status, title, starts_at, ends_at in rows]
    found_sessions = db.session.execute(_fitting_sessions(_shape(fit)), _params(found, fit, now)).all()
    lines = [SessionLine(session_id, title, kind, _when(starts_at, ends_at, club.timezone), room, free, rank == 0)
             for session_id, title, kind, starts_at, ends_at, room, free, rank in found_sessions]
    return MemberView(
        first_name=member.first_name, state=where.state,
        plan=membership.plan.name if membership is not None and membership.plan is not None else None,
        until=membership.ends_on if membership is not None else None,
        starts_on=membership.starts_on if where.state == "future" else None,
        days_left=where.days_left, frozen_until=fit.frozen_until, packages=packages, bookings=bookings,
        sessions=lines, renewal_offer=is_renewal_offer(found), first_membership=first)


# --- booking and cancelling ---------------------------------------------------------------------


def _held(found: Found, session_id: int) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.session_id == session_id,
                                                   Booking.member_id == found.member.id))


def _already(booking: Booking | None):
    """What a repeated booking says (nothing is written): already booked, or already on the waitlist."""
    if booking is None or booking.status not in HELD:
        return None
    if booking.status == "waitlist":
        return _l("You are already on the waitlist for this session.")
    return _l("You are already booked for this session.")


def book(found: Found, session_id: int):
    """Book FOUND's member into a session their page offers (the waitlist when it is full); return what to tell
    them. A second tap says it is already booked; a session the page does not offer is refused."""
    now, club = utcnow(), found.club
    lock_member(found.member.id)   # a second tap waits here, then finds the first one's booking
    session = db.session.get(ClubSession, session_id)
    if session is None or session.club_id != club.id:
        raise NotFound("session_id", NO_SESSION)
    said = _already(_held(found, session.id))
    if said is not None:
        return said
    if session.cancelled_at is not None:
        raise Conflict("session_id", _l("This session is cancelled."), code="cancelled")
    if session.starts_at <= now:
        raise Conflict("session_id", _l("This session has already started: it can no longer be booked."),
                       code="started")
    _where, _first, fit = _standing_and_fit(found, now)
    conditions, _offered = _conditions(*_shape(fit))
    if db.session.scalar(select(ClubSession.id).where(ClubSession.id == session.id, *conditions),
                         _params(found, fit, now)) is None:
        raise Conflict("session_id", NO_SESSION, code="not_offered")
    try:
        with db.session.begin_nested():
            booking = sessions.book(None, session, found.member, source=SOURCE)
    except DomainError as error:
        db.session.expire_all()
        said = _already(_held(found, session.id))   # a tap that raced this one booked it
        if said is not None:
            return said
        raise _for_member(error, session) from None
    member_links.record(found, "booked" if booking.status == "booked" else "waitlisted", session.id, now=now)
    when = _when(session.starts_at, session.ends_at, club.timezone)
    if booking.status == "waitlist":
        return _l("The session is full: you are on the waitlist for %(session)s on %(when)s.",
                  session=session.title, when=when)
    return _l("You are booked: %(session)s on %(when)s.", session=session.title, when=when)


def _for_member(error: DomainError, session: ClubSession) -> DomainError:
    """The booking service's refusal as the member reads it (it speaks to staff, naming the member)."""
    if error.code == "no_units":
        return Conflict("session_id", _l("This session is paid with a package, and yours has no %(service)s left. "
                                         "Please ask the club.", service=session.service.name), code="no_units")
    if error.code == "frozen":
        return Conflict("session_id", _l("Your membership is frozen on that day."), code="frozen")
    if error.code == "over":
        return Conflict("session_id", _l("This session has already started: it can no longer be booked."),
                        code="started")
    return Conflict("session_id", NO_SESSION, code=error.code)


def cancel(found: Found, booking_id: int):
    """Cancel a booking or waitlist place of FOUND's member until the club's deadline; return what to tell them.
    Another member's booking is not found, as an unknown one."""
    now, club = utcnow(), found.club
    lock_member(found.member.id)
    booking = db.session.scalar(select(Booking).options(joinedload(Booking.session)).where(
        Booking.id == booking_id, Booking.member_id == found.member.id))
    if booking is None or booking.session.club_id != club.id:
        raise NotFound("booking_id", NO_BOOKING)
    session = booking.session
    if booking.status == "cancelled":
        return _l("This booking is already cancelled.")
    if booking.status not in ("booked", "waitlist") or session.cancelled_at is not None:
        raise Conflict("booking_id", _l("This booking can no longer be cancelled."), code="closed")
    deadline = _deadline(club, session.starts_at)
    if now >= deadline:
        raise Conflict("booking_id", _l(
            "Bookings can be cancelled here until %(deadline)s. Please call the club.",
            deadline=_when(deadline, None, club.timezone)), code="deadline")
    sessions.cancel_booking(None, booking)
    member_links.record(found, "cancelled", session.id, now=now)
    return _l("Cancelled: %(session)s on %(when)s.", session=session.title,
              when=_when(session.starts_at, session.ends_at, club.timezone))
