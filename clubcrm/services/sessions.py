"""Sessions and bookings: schedule and cancel, book with a waitlist, attendance, the week, trainers' work."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, literal_column, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.expression import FunctionElement

from clubcrm.clock import local_today, utcnow
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.formatting import day as day_text
from clubcrm.models import (
    BOOKING_SOURCES, HOLDS_PLACE, SESSION_KINDS, Booking, Club, ClubSession, DeskCall, Member, Staff,
)
from clubcrm.models.base import UTCDateTime
from clubcrm.services import audit, packages
from clubcrm.services.members import NOT_FOUND, refuse_erased
from clubcrm.services.settings import price_in_minor
from clubcrm.services.scope import get_in_scope

MAX_CAPACITY = 500
MAX_HOURS = 24
# A trial session "led to a sale" when the member's first membership was sold this many days after it.
TRIAL_SALE_DAYS = 14
# How far from today a session can be scheduled or a week shown.
SCHEDULE_BACK_DAYS = 366
SCHEDULE_AHEAD_DAYS = 2 * 366
# A weekly class's series: at most a year of weeks at once.
MAX_SERIES_DAYS = 366


# --- time helpers -------------------------------------------------------------------------------


def local_midnight(day: date, tz: str) -> datetime:
    """Return the instant (UTC) at which DAY begins in the IANA zone TZ."""
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(UTC)


def monday_of(day: date) -> date:
    """Return the Monday of DAY's week."""
    return day - timedelta(days=day.weekday())


def _aware(value: datetime, tz: str) -> datetime:
    """Read a naive datetime as wall-clock time in TZ; return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


class plus_days(FunctionElement):
    """An instant column plus a fixed number of days, in either engine's date arithmetic."""

    type = UTCDateTime()
    inherit_cache = True
    name = "plus_days"

    def __init__(self, instant, days: int) -> None:
        self.days = int(days)
        super().__init__(instant)


@compiles(plus_days)
def _plus_days_default(element, compiler, **kw):
    (instant,) = element.clauses
    return f"({compiler.process(instant, **kw)} + INTERVAL '{element.days} days')"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    # SQLite stores instants as 'YYYY-MM-DD HH:MM:SS.ffffff' text: keep that shape so text compares.
    (instant,) = element.clauses
    return f"(strftime('%Y-%m-%d %H:%M:%f', {compiler.process(instant, **kw)}, " \
           f"'+{element.days} days') || '000')"


# --- scheduling ---------------------------------------------------------------------------------


def trainer_for(club: Club, trainer_id: int | None) -> Staff:
    """Return the active trainer TRAINER_ID of CLUB or refuse naming the field."""
    trainer = db.session.get(Staff, trainer_id) if trainer_id else None
    if trainer is None or trainer.club_id != club.id or not trainer.is_trainer or not trainer.active:
        raise InvalidInput("trainer_id", _l("Choose a trainer of this club."))
    return trainer


def trainers_of(club: Club) -> list[Staff]:
    """Return the club's active trainers by name."""
    return list(db.session.scalars(
        select(Staff).where(Staff.club_id == club.id, Staff.is_trainer, Staff.active).order_by(Staff.name)
    ))


def _checked(club: Club, data: dict) -> dict:
    """Check a session's fields as the schedule and edit forms send them (naive times: the club's wall clock);
    return them as the columns take them (aware start and end, the trainer's id, the price in minor units)."""
    kind = data.get("kind")
    if kind not in SESSION_KINDS:
        raise InvalidInput("kind", _l("Choose a class, a trial session or a club event."))
    title = " ".join((data.get("title") or "").split())
    if not title or len(title) > 80:
        raise InvalidInput("title", _l("Enter a title of at most 80 characters."))
    activity = " ".join((data.get("activity") or "").split()) or None
    if activity and len(activity) > 60:
        raise InvalidInput("activity", _l("Enter an activity of at most 60 characters."))
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if not isinstance(starts_at, datetime):
        raise InvalidInput("starts_at", _l("Enter when the session starts."))
    if not isinstance(ends_at, datetime):
        raise InvalidInput("ends_at", _l("Enter when the session ends."))
    today = utcnow().date()
    # Checked before any time-zone arithmetic, which overflows near year 1 and year 9999.
    if starts_at.date() < today - timedelta(days=SCHEDULE_BACK_DAYS):
        raise InvalidInput("starts_at", _l("A session cannot start more than a year ago."))
    if starts_at.date() > today + timedelta(days=SCHEDULE_AHEAD_DAYS):
        raise InvalidInput("starts_at", _l("A session can be scheduled at most two years ahead."))
    if ends_at.date() < starts_at.date():
        raise InvalidInput("ends_at", _l("The session must end after it starts."))
    if (ends_at.date() - starts_at.date()).days > 1:
        raise InvalidInput("ends_at", _l("A session can last at most %(hours)s hours.", hours=MAX_HOURS))
    starts_at, ends_at = _aware(starts_at, club.timezone), _aware(ends_at, club.timezone)
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", _l("The session must end after it starts."))
    if ends_at - starts_at > timedelta(hours=MAX_HOURS):
        raise InvalidInput("ends_at", _l("A session can last at most %(hours)s hours.", hours=MAX_HOURS))
    capacity = data.get("capacity")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput("capacity", _l("Enter a whole number of places from 1 to %(max)s.",
                                          max=MAX_CAPACITY))
    trainer_id = data.get("trainer_id")
    trainer = None if kind == "event" and not trainer_id else trainer_for(club, trainer_id)
    room = " ".join((data.get("room") or "").split()) or None
    if room and len(room) > 40:
        raise InvalidInput("room", _l("Enter a room of at most 40 characters."))
    price, service_id = data.get("price"), data.get("service_id") or None
    if price is not None and service_id is not None:
        raise InvalidInput("service_id", _l("A session is paid with a price or with a package, not both."))
    price_minor = None if price is None else price_in_minor(price, club.currency)
    if service_id is not None:
        service_id = packages.service_for(club.id, service_id).id
    return {"kind": kind, "title": title, "activity": activity, "starts_at": starts_at, "ends_at": ends_at,
            "capacity": capacity, "trainer_id": trainer.id if trainer else None, "room": room,
            "price_minor": price_minor, "service_id": service_id}


def schedule(staff: Staff, club: Club, data: dict) -> ClubSession:
    """Schedule a class, trial session or club event, once or every week until a day; naive times are the club's
    wall-clock time."""
    values = _checked(club, data)
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    until = data.get("weekly_until")
    first_day = starts_at.astimezone(ZoneInfo(club.timezone)).date()
    if until is not None:
        if not isinstance(until, date) or until < first_day:
            raise InvalidInput("weekly_until", _l("The last week must not come before the first session."))
        if until > first_day + timedelta(days=MAX_SERIES_DAYS):
            raise InvalidInput("weekly_until", _l("A weekly class can be scheduled at most a year ahead."))
    # Each week at the same wall-clock time in the club's zone (summer time moves the UTC instant, not the class).
    local_start, length = starts_at.astimezone(ZoneInfo(club.timezone)).replace(tzinfo=None), ends_at - starts_at
    weeks = 1 + ((until - first_day).days // 7 if until is not None else 0)
    made = []
    for n in range(weeks):
        start = _aware(local_start + timedelta(days=7 * n), club.timezone)
        made.append(ClubSession(club_id=club.id, created_at=utcnow(),
                                **{**values, "starts_at": start, "ends_at": start + length}))
    db.session.add_all(made)
    db.session.flush()
    session = made[0]
    if until is not None:
        for each in made:
            each.series_id = session.id
        db.session.flush()
    audit.record(staff, "create", "club_session", session.id, club_id=club.id,
                 after={**values, "weekly_until": until, "sessions": len(made)})
    return session


EDITED = ("kind", "title", "activity", "capacity", "trainer_id", "room", "price_minor", "service_id")


@dataclass(frozen=True)
class Edited:
    sessions: int               # sessions changed
    texted: int                 # booked members told of a new time by SMS
    to_call: list[Member]       # booked members of a moved session who cannot be texted (Today lists the calls)


def edit(staff: Staff, session: ClubSession, data: dict, following: bool = False) -> Edited:
    """Change a session that has not started, or (FOLLOWING) it and the later sessions of its weekly series: each
    later one keeps its own week and takes the new weekday, time of day and length. Bookings stay; members booked
    into a session whose time changed are told (SMS with consent, else a call on Today). The places cannot drop
    below those booked; bookings already paid with a package keep the unit they took."""
    club = db.session.get(Club, session.club_id)
    now = utcnow()
    if session.cancelled_at is not None:
        raise Conflict("session_id", _l("This session is cancelled."))
    if session.starts_at <= now:
        raise Conflict("session_id", _l("This session has started: it can no longer be changed."))
    values = _checked(club, data)
    if values["starts_at"] <= now:
        raise InvalidInput("starts_at", _l("A session to come cannot be moved into the past."))
    zone = ZoneInfo(club.timezone)
    old_local = session.starts_at.astimezone(zone).replace(tzinfo=None)
    shift = values["starts_at"].astimezone(zone).replace(tzinfo=None) - old_local
    length = values["ends_at"] - values["starts_at"]
    targets = [session]
    if following and session.series_id is not None:
        targets = list(db.session.scalars(
            select(ClubSession).where(ClubSession.series_id == session.series_id,
                                      ClubSession.starts_at >= session.starts_at, ClubSession.cancelled_at.is_(None))
            .order_by(ClubSession.starts_at)))
    texted, to_call, changed = 0, [], 0
    for target in targets:
        _lock(target)
        taken = _places_taken(target.id)
        if values["capacity"] < taken:
            raise InvalidInput("capacity", _l(
                "%(num)s places are already booked on %(day)s: keep at least that many.", num=taken,
                day=day_text(target.starts_at.astimezone(zone).date())))
        start = _aware(target.starts_at.astimezone(zone).replace(tzinfo=None) + shift, club.timezone)
        before = {name: getattr(target, name) for name in (*EDITED, "starts_at", "ends_at")}
        after = {**{name: values[name] for name in EDITED}, "starts_at": start, "ends_at": start + length}
        if before == after:
            continue
        if target is not session and start <= now:
            raise InvalidInput("starts_at", _l("A later session of the series would start in the past."))
        for name, value in after.items():
            setattr(target, name, value)
        db.session.flush()
        changed += 1
        audit.record(staff, "update", "club_session", target.id, club_id=club.id,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})
        if before["starts_at"] != start:
            for member in _booked_members(target):
                if _notify(member, target, now, "moved") is not None:
                    texted += 1
                else:
                    to_call.append(member)
                    _owe_call(member, target, "session_moved")
    return Edited(changed, texted, to_call)


def _booked_members(session: ClubSession) -> list[Member]:
    return list(db.session.scalars(
        select(Member).join(Booking, Booking.member_id == Member.id)
        .where(Booking.session_id == session.id, Booking.status.in_(("booked", "waitlist")),
               Member.erased_at.is_(None))
        .order_by(Member.last_name, Member.first_name)))


def _owe_call(member: Member, session: ClubSession, reason: str) -> DeskCall:
    """Put a call to MEMBER about SESSION on the desk's Today list (due today in the club's zone)."""
    call = DeskCall(club_id=session.club_id, member_id=member.id, session_id=session.id, reason=reason,
                    due_on=local_today(member.club.timezone), created_at=utcnow())
    db.session.add(call)
    db.session.flush()
    return call


def get_for(staff: Staff, session_id: int) -> ClubSession:
    """Return the session if this login may see it; another club's session is simply not found."""
    return get_in_scope(staff, ClubSession, session_id, "session_id", _l("No such session."))


@dataclass(frozen=True)
class Cancelled:
    bookings: int               # bookings and waitlist places cancelled
    texted: int                 # members told by SMS (queued; sent in waking hours)
    to_call: list[Member]       # booked members who cannot be texted: the desk calls them


def cancel_session(staff: Staff, session: ClubSession) -> Cancelled:
    """Cancel a session that has not ended; its bookings and waitlist are cancelled too, and package units they
    took are given back. Each booked member with SMS consent gets a notice in their own language (the dispatcher
    keeps quiet hours); for the others a call goes on the desk's Today list."""
    now = utcnow()
    if session.cancelled_at is not None:
        raise Conflict("session_id", _l("This session is already cancelled."))
    if session.ends_at <= now:
        raise Conflict("session_id", _l("This session is over."))
    booked = _booked_members(session)
    session.cancelled_at = now
    open_bookings = list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status.in_(("booked", "waitlist")))))
    for booking in open_bookings:
        booking.status = "cancelled"
        _give_back(staff, booking, session)
    db.session.flush()
    texted, to_call = 0, []
    for member in booked:
        if _notify(member, session, now, "cancelled") is not None:
            texted += 1
        else:
            to_call.append(member)
            _owe_call(member, session, "session_cancelled")
    audit.record(staff, "cancel", "club_session", session.id, club_id=session.club_id,
                 after={"title": session.title, "starts_at": session.starts_at, "bookings": len(open_bookings),
                        "texted": texted, "to_call": len(to_call)})
    return Cancelled(len(open_bookings), texted, to_call)


def _notify(member: Member, session: ClubSession, now: datetime, what: str):
    """Queue MEMBER's SMS that SESSION is cancelled (WHAT 'cancelled') or now at its new time ('moved'), in their
    language; None when they cannot be texted."""
    from flask_babel import force_locale, gettext

    from clubcrm.i18n import locale_or
    from clubcrm.lifecycle.render import session_when
    from clubcrm.sms.outbox import queue_notice

    club = member.club
    locale = locale_or(member.locale, club.default_locale)
    with force_locale(locale):
        when = session_when(session, club, locale)
        if what == "cancelled":
            body = gettext("%(club)s: %(session)s on %(when)s is cancelled. We are sorry.", club=club.name,
                           session=session.title, when=when)
        else:
            body = gettext("%(club)s: %(session)s is moved to %(when)s. Your place is kept.", club=club.name,
                           session=session.title, when=when)
    key = f"cancelled:{session.id}:{member.id}" if what == "cancelled" else \
        f"moved:{session.id}:{member.id}:{session.starts_at:%Y%m%d%H%M}"
    return queue_notice(member, body, key, now)


def _take_unit(staff: Staff | None, session: ClubSession, member: Member, booking: Booking) -> None:
    """A session paid with a package: take one unit from MEMBER's package for BOOKING, or refuse naming them."""
    if session.service_id is None or booking.ledger_entry_id is not None:
        return
    day = session.starts_at.astimezone(ZoneInfo(member.club.timezone)).date()
    try:
        entry = packages.redeem(staff, member, session.service_id, day,
                                reason=f"{session.title} {day.isoformat()}")
    except (InvalidInput, NotFound):
        raise InvalidInput("member", _l("%(name)s has no %(service)s left to pay for this session: sell a "
                                        "package first.", name=member.full_name, service=session.service.name),
                           code="no_units") from None
    booking.ledger_entry_id = entry.id


def _give_back(staff: Staff | None, booking: Booking, session: ClubSession) -> None:
    """A cancelled booking that took a package unit gets it back."""
    if booking.ledger_entry_id is None:
        return
    day = session.starts_at.astimezone(ZoneInfo(booking.member.club.timezone)).date()
    packages.give_back(staff, booking.ledger_entry_id, f"{session.title} {day.isoformat()}")
    booking.ledger_entry_id = None


# --- bookings -----------------------------------------------------------------------------------


def _lock(session: ClubSession) -> None:
    """Serialise bookings of one session: PostgreSQL locks its row; SQLite has one writer anyway."""
    db.session.execute(select(ClubSession.id).where(ClubSession.id == session.id).with_for_update())


def _places_taken(session_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Booking)
        .where(Booking.session_id == session_id, Booking.status.in_(HOLDS_PLACE))
    )


def has_started(session: ClubSession) -> bool:
    """Tell whether SESSION has begun (within the hour before it, attendance can be taken): it then takes
    attendance, not bookings."""
    return session.starts_at <= utcnow()


def rooms_of(club: Club) -> list[str]:
    """The rooms the club's sessions have named, in order."""
    return list(db.session.scalars(select(ClubSession.room).distinct()
                                   .where(ClubSession.club_id == club.id, ClubSession.room.is_not(None))
                                   .order_by(ClubSession.room)))


def refuse_frozen(member: Member, session: ClubSession) -> None:
    """Refuse a booking of a member whose membership is frozen on the session's day."""
    from clubcrm.services.contracts import memberships_of, standing

    day = session.starts_at.astimezone(ZoneInfo(member.club.timezone)).date()
    where = standing(member, memberships_of(member.id), day)
    if where.state == "frozen":
        raise Conflict("member", _l("%(name)s's membership is frozen until %(date)s: no bookings before then.",
                                    name=member.full_name, date=day_text(where.freeze.ends_on)), code="frozen")


def book(staff: Staff | None, session: ClubSession, member: Member, source: str = "desk") -> Booking:
    """Book MEMBER into SESSION, or put them on its waitlist when it is full; the status says which."""
    now = utcnow()
    if source not in BOOKING_SOURCES:
        raise InvalidInput("source", _l("Unknown booking source."))
    if member.club_id != session.club_id:   # as the lookup answers: another club's member is not found
        raise NotFound("member", NOT_FOUND)
    refuse_erased(member, "member")
    if session.cancelled_at is not None:
        raise Conflict("session_id", _l("This session is cancelled."))
    if session.ends_at <= now:
        raise Conflict("session_id", _l("This session is over: record who attended instead."), code="over")
    refuse_frozen(member, session)
    if member.is_lead and session.kind != "trial":
        raise InvalidInput("member", _l("%(name)s is a lead: a lead can book a trial session only.",
                                        name=member.full_name), code="lead")
    _lock(session)
    booking = db.session.scalar(
        select(Booking).where(Booking.session_id == session.id, Booking.member_id == member.id)
    )
    if booking is not None and booking.status == "waitlist":
        raise Conflict("member", _l("%(name)s is already on the waitlist.", name=member.full_name))
    if booking is not None and booking.status != "cancelled":
        raise Conflict("member", _l("%(name)s is already booked.", name=member.full_name))
    status = "booked" if _places_taken(session.id) < session.capacity else "waitlist"
    if booking is None:
        booking = Booking(session_id=session.id, member_id=member.id)
        db.session.add(booking)
    booking.status, booking.source, booking.created_at = status, source, now
    db.session.flush()
    _take_unit(staff, session, member, booking)
    audit.record(staff, "create", "booking", booking.id, club_id=session.club_id, member_id=member.id,
                 after={"title": session.title, "starts_at": session.starts_at, "status": status})
    return booking


def record_attendance(staff: Staff | None, session: ClubSession, member: Member) -> Booking:
    """Record that MEMBER attended SESSION, which has started (a past session takes attendance, not bookings):
    their booking becomes attended, or one is made as attended."""
    if member.club_id != session.club_id:
        raise NotFound("member", NOT_FOUND)
    refuse_erased(member, "member")
    if session.cancelled_at is not None:
        raise Conflict("session_id", _l("This session is cancelled."))
    if session.starts_at > utcnow() + timedelta(hours=1):
        raise Conflict("session_id", _l("This session has not started yet: book the member instead."))
    _lock(session)
    booking = db.session.scalar(
        select(Booking).where(Booking.session_id == session.id, Booking.member_id == member.id))
    if booking is not None and booking.status == "attended":
        raise Conflict("member", _l("%(name)s is already marked as attended.", name=member.full_name))
    before = booking.status if booking is not None else None
    if booking is None:
        booking = Booking(session_id=session.id, member_id=member.id, source="desk", created_at=utcnow())
        db.session.add(booking)
    booking.status = "attended"
    db.session.flush()
    _take_unit(staff, session, member, booking)
    audit.record(staff, "update" if before else "create", "booking", booking.id, club_id=session.club_id,
                 member_id=member.id, before={"status": before} if before else None,
                 after={"title": session.title, "starts_at": session.starts_at, "status": "attended"})
    return booking


def bookings_of_member(member_id: int, now: datetime, past_shown: int = 10) -> tuple[list[Booking], list[Booking]]:
    """MEMBER_ID's bookings of sessions to come (soonest first) and their last PAST_SHOWN of sessions that began
    (newest first), each with its session; two statements."""
    base = (select(Booking).join(ClubSession, ClubSession.id == Booking.session_id)
            .options(joinedload(Booking.session)).where(Booking.member_id == member_id))
    upcoming = list(db.session.scalars(base.where(ClubSession.starts_at > now)
                                       .order_by(ClubSession.starts_at, Booking.id)))
    past = list(db.session.scalars(base.where(ClubSession.starts_at <= now)
                                   .order_by(ClubSession.starts_at.desc(), Booking.id.desc()).limit(past_shown)))
    return upcoming, past


def get_booking(session: ClubSession, booking_id: int) -> Booking:
    """Return booking BOOKING_ID of SESSION."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.session_id != session.id:
        raise NotFound("booking_id", _l("No such booking."))
    return booking


def cancel_booking(staff: Staff | None, booking: Booking) -> Booking | None:
    """Cancel a booking or a waitlist place; a freed place goes to the first on the waitlist (returned)."""
    session = booking.session
    if booking.status not in ("booked", "waitlist"):
        raise Conflict("booking_id", _l("Only a booking or a waitlist place can be cancelled."))
    if session.ends_at <= utcnow():
        raise Conflict("session_id", _l("This session is over."))
    _lock(session)
    freed = booking.status == "booked"
    booking.status = "cancelled"
    _give_back(staff, booking, session)
    db.session.flush()
    audit.record(staff, "cancel", "booking", booking.id, club_id=session.club_id,
                 member_id=booking.member_id, after={"title": session.title, "starts_at": session.starts_at})
    if not freed or _places_taken(session.id) >= session.capacity:
        return None
    first = db.session.scalar(
        select(Booking).where(Booking.session_id == session.id, Booking.status == "waitlist")
        .order_by(Booking.created_at, Booking.id).limit(1)
    )
    if first is None:
        return None
    first.status = "booked"
    db.session.flush()
    audit.record(staff, "update", "booking", first.id, club_id=session.club_id, member_id=first.member_id,
                 before={"status": "waitlist"}, after={"status": "booked"})
    return first


def mark_attended(staff: Staff | None, booking: Booking) -> Booking:
    """Mark a booked (or wrongly no-show) member as having attended."""
    if booking.status not in ("booked", "no_show"):
        raise Conflict("booking_id", _l("Only a booked member can be marked as attended."))
    if booking.session.starts_at > utcnow() + timedelta(hours=1):
        raise Conflict("booking_id", _l("This session has not started yet."))
    before = booking.status
    booking.status = "attended"
    db.session.flush()
    audit.record(staff, "update", "booking", booking.id, club_id=booking.session.club_id,
                 member_id=booking.member_id, before={"status": before}, after={"status": "attended"})
    return booking


def attend_on_checkin(member: Member, visit_instant: datetime, club: Club) -> int:
    """Mark MEMBER's bookings of sessions on the visit's club-local day attended (one UPDATE)."""
    day = visit_instant.astimezone(ZoneInfo(club.timezone)).date()
    return db.session.execute(_ATTEND, {
        "the_club": club.id, "the_member": member.id, "start": local_midnight(day, club.timezone),
        "end": local_midnight(day + timedelta(days=1), club.timezone)}).rowcount


# Built once (every check-in runs it): the member's bookings of the club's sessions in [:start, :end). (An
# UPDATE's parameters may not bear its table's column names.)
_ATTEND = (
    update(Booking)
    .where(Booking.member_id == bindparam("the_member"), Booking.status == "booked",
           Booking.session_id.in_(select(ClubSession.id).where(
               ClubSession.club_id == bindparam("the_club"), ClubSession.cancelled_at.is_(None),
               ClubSession.starts_at >= bindparam("start"), ClubSession.starts_at < bindparam("end"))))
    .values(status="attended")
    .execution_options(synchronize_session=False)
)


def mark_no_shows(club: Club, as_of: datetime) -> int:
    """Mark bookings still 'booked' in sessions that ended before AS_OF as no-shows (one UPDATE)."""
    ended = select(ClubSession.id).where(
        ClubSession.club_id == club.id, ClubSession.cancelled_at.is_(None), ClubSession.ends_at < as_of
    )
    return db.session.execute(
        update(Booking)
        .where(Booking.status == "booked", Booking.session_id.in_(ended))
        .values(status="no_show")
        .execution_options(synchronize_session=False)
    ).rowcount


def bookings_of(session: ClubSession) -> list[Booking]:
    """Return the session's bookings with their members: places first, then the waitlist in order."""
    order = case({"booked": 0, "attended": 0, "no_show": 0, "waitlist": 1}, value=Booking.status, else_=2)
    return list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id)
        .options(joinedload(Booking.member))
        .order_by(order, Booking.created_at, Booking.id)
    ))


# --- the week -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSlot:
    session: ClubSession
    booked: int  # places taken: booked, attended and no-shows
    waitlist: int

    @property
    def free(self) -> int:
        return max(self.session.capacity - self.booked, 0)


@dataclass(frozen=True)
class Week:
    monday: date
    days: list[tuple[date, list[SessionSlot]]]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def check_week(club: Club, day: date) -> date:
    """Return the Monday of DAY's week, refusing weeks too far from today to mean anything."""
    today = utcnow().date()
    if not today - timedelta(days=10 * 366) <= day <= today + timedelta(days=10 * 366):
        raise InvalidInput("week", _l("Choose a week within ten years of today."))
    return monday_of(day)


def week(club: Club, monday: date, room: str | None = None, trainer_id: int | None = None) -> Week:
    """Return the club's sessions of the club-local week starting MONDAY with their counts (one query); ROOM or
    TRAINER_ID narrow it to one room's or one trainer's sessions."""
    monday = check_week(club, monday)
    tz = ZoneInfo(club.timezone)
    in_week = (ClubSession.club_id == club.id,
               ClubSession.starts_at >= local_midnight(monday, club.timezone),
               ClubSession.starts_at < local_midnight(monday + timedelta(days=7), club.timezone),
               *([ClubSession.room == room] if room else []),
               *([ClubSession.trainer_id == trainer_id] if trainer_id else []))
    counts = (   # only this week's sessions' bookings are counted
        select(
            Booking.session_id,
            func.count(case((Booking.status.in_(HOLDS_PLACE), 1))).label("booked"),
            func.count(case((Booking.status == "waitlist", 1))).label("waitlist"),
        )
        .where(Booking.session_id.in_(select(ClubSession.id).where(*in_week)))
        .group_by(Booking.session_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ClubSession, func.coalesce(counts.c.booked, 0), func.coalesce(counts.c.waitlist, 0))
        .outerjoin(counts, counts.c.session_id == ClubSession.id)
        .options(joinedload(ClubSession.trainer))
        .where(*in_week)
        .order_by(ClubSession.starts_at, ClubSession.id)
    ).all()
    days: dict[date, list[SessionSlot]] = {monday + timedelta(days=n): [] for n in range(7)}
    for session, booked, waitlist in rows:
        days[session.starts_at.astimezone(tz).date()].append(SessionSlot(session, booked, waitlist))
    return Week(monday, list(days.items()))


# --- trainers' work -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainerStats:
    trainer_id: int
    name: str
    sessions: int  # run: not cancelled and ended
    attended: int
    expected: int  # booked + attended + no-shows in the sessions run
    trial_sales: int  # members whose first membership was sold within 14 days after an attended trial

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None


def trainer_stats(club: Club, start: date, end: date, as_of: datetime | None = None) -> list[TrainerStats]:
    """Per trainer, for sessions starting on club-local days START..END (inclusive): sessions run,
    attendance, and trial sessions that led to a sale; one statement with aggregates."""
    if end < start:
        raise InvalidInput("end", _l("The last day cannot be before the first."))
    check_week(club, start)
    check_week(club, end)
    as_of = as_of or utcnow()
    in_period = and_(
        ClubSession.club_id == club.id,
        ClubSession.cancelled_at.is_(None),
        ClubSession.trainer_id.is_not(None),
        ClubSession.starts_at >= local_midnight(start, club.timezone),
        ClubSession.starts_at < local_midnight(end + timedelta(days=1), club.timezone),
    )
    run = (
        select(
            ClubSession.trainer_id.label("trainer_id"),
            func.count(func.distinct(ClubSession.id)).label("sessions"),
            func.count(case((Booking.status == "attended", 1))).label("attended"),
            func.count(case((Booking.status.in_(HOLDS_PLACE), 1))).label("expected"),
        )
        .outerjoin(Booking, Booking.session_id == ClubSession.id)
        .where(in_period, ClubSession.ends_at <= as_of)
        .group_by(ClubSession.trainer_id)
        .subquery()
    )
    sales = (
        select(
            ClubSession.trainer_id.label("trainer_id"),
            func.count(func.distinct(Booking.member_id)).label("trial_sales"),
        )
        .join(Booking, Booking.session_id == ClubSession.id)
        .join(Member, Member.id == Booking.member_id)
        .where(in_period, ClubSession.kind == "trial", Booking.status == "attended",
               Member.converted_at >= ClubSession.starts_at,
               Member.converted_at <= plus_days(ClubSession.starts_at, TRIAL_SALE_DAYS))
        .group_by(ClubSession.trainer_id)
        .subquery()
    )
    zero = literal_column("0")
    rows = db.session.execute(
        select(Staff.id, Staff.name,
               func.coalesce(run.c.sessions, zero), func.coalesce(run.c.attended, zero),
               func.coalesce(run.c.expected, zero), func.coalesce(sales.c.trial_sales, zero))
        .outerjoin(run, run.c.trainer_id == Staff.id)
        .outerjoin(sales, sales.c.trainer_id == Staff.id)
        .where(Staff.club_id == club.id,
               or_(Staff.is_trainer, run.c.sessions.is_not(None), sales.c.trial_sales.is_not(None)))
        .order_by(Staff.name, Staff.id)
    ).all()
    return [TrainerStats(*row) for row in rows]
