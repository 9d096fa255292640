"""A club's opening hours (one interval a weekday, or closed) and the arithmetic of opening time: when a number
of opening minutes have passed after an instant (a lead's first call is due one opening hour after the lead
arrives), and how much opening time lay between two instants (the time to the first staff contact).

The arithmetic takes an `Hours` (a week and a zone name) and needs no database; a Club is read into one."""
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubcrm.errors import InvalidInput, raise_all
from clubcrm.extensions import db
from clubcrm.models import DAY_MINUTES, Club, OpeningHour, Staff
from clubcrm.services import audit
from clubcrm.services.locks import lock_club

WEEKDAYS = range(7)   # 0 = Monday, as date.weekday()
# What a new club opens with, and what the migration gave the clubs that existed before opening hours.
DEFAULT_WEEK: dict[int, tuple[int, int]] = {**{day: (6 * 60, 22 * 60) for day in range(5)},
                                            5: (8 * 60, 20 * 60), 6: (8 * 60, 20 * 60)}
# For the audit trail: a weekday by its English name, not a number a reader must decode.
DAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# 6:00, 06:00 and (as Finnish writes times) 06.00; 24:00 only as a closing time.
CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")
BAD_TIME = _l("Enter a time such as 09:00.")

Week = Mapping[int, tuple[int, int]]


@dataclass(frozen=True)
class Hours:
    """A club's week of opening hours (weekday -> (opens, closes) in minutes after local midnight; a missing
    weekday is closed) in its IANA time zone."""

    week: Week
    zone: str


# --- reading and writing a club's hours ------------------------------------------------------------------------

def week_of(club: Club) -> dict[int, tuple[int, int]]:
    """Return CLUB's opening hours by weekday (closed weekdays left out), in one statement."""
    rows = db.session.execute(select(OpeningHour.weekday, OpeningHour.opens_minute, OpeningHour.closes_minute)
                              .where(OpeningHour.club_id == club.id))
    return {weekday: (opens, closes) for weekday, opens, closes in rows}


def hours_of(club: Club) -> Hours:
    """Return CLUB's opening hours with its time zone, for the arithmetic below."""
    return Hours(week_of(club), club.timezone)


def hours_by_club(clubs: list[Club]) -> dict[int, Hours]:
    """Return the opening hours of each of CLUBS by club id, in one statement however many clubs (the reports)."""
    weeks: dict[int, dict[int, tuple[int, int]]] = {club.id: {} for club in clubs}
    if weeks:
        for club_id, weekday, opens, closes in db.session.execute(
                select(OpeningHour.club_id, OpeningHour.weekday, OpeningHour.opens_minute, OpeningHour.closes_minute)
                .where(OpeningHour.club_id.in_(list(weeks)))):
            weeks[club_id][weekday] = (opens, closes)
    return {club.id: Hours(weeks[club.id], club.timezone) for club in clubs}


def clubs_with_hours(club_ids) -> list[tuple[Club, Hours]]:
    """Return the clubs CLUB_IDS (by id) each with its opening hours, in one statement (a report that counts opening
    time reads its clubs this way and sends no more statements than before opening hours)."""
    clubs: dict[int, Club] = {}
    weeks: dict[int, dict[int, tuple[int, int]]] = {}
    for club, weekday, opens, closes in db.session.execute(
            select(Club, OpeningHour.weekday, OpeningHour.opens_minute, OpeningHour.closes_minute)
            .outerjoin(OpeningHour, OpeningHour.club_id == Club.id)
            .where(Club.id.in_(list(club_ids))).order_by(Club.id)):
        clubs[club.id] = club
        week = weeks.setdefault(club.id, {})
        if weekday is not None:
            week[weekday] = (opens, closes)
    return [(club, Hours(weeks[club_id], club.timezone)) for club_id, club in clubs.items()]


def add_defaults(club: Club) -> None:
    """Give a new CLUB (flushed, so it has an id) the default opening hours; the caller commits."""
    db.session.add_all(OpeningHour(club_id=club.id, weekday=day, opens_minute=opens, closes_minute=closes)
                       for day, (opens, closes) in DEFAULT_WEEK.items())


def clock_text(minute: int) -> str:
    """Write MINUTE after midnight as HH:MM (1440 as 24:00)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def form_values(week: Week) -> dict:
    """Return WEEK as the settings form's fields: opens_N and closes_N as HH:MM, or closed_N, for each weekday N."""
    values = {}
    for day in WEEKDAYS:
        span = week.get(day)
        values |= {f"opens_{day}": clock_text(span[0]) if span else "",
                   f"closes_{day}": clock_text(span[1]) if span else "", f"closed_{day}": span is None}
    return values


def _minute(value, field: str, closing: bool) -> int:
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    match = CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(field, BAD_TIME)
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or hour == 24 and (minute or not closing):
        raise InvalidInput(field, BAD_TIME)
    return hour * 60 + minute


def checked_week(data: dict) -> dict[int, tuple[int, int]]:
    """Return the week DATA describes (for each weekday N: `closed_N`, or `opens_N` and `closes_N` as HH:MM, 24:00
    for midnight), or refuse every bad field at once, each naming itself."""
    week, errors = {}, []
    for day in WEEKDAYS:
        if data.get(f"closed_{day}"):
            continue   # a closed day's times are not read: unticking "closed" starts afresh
        try:
            opens = _minute(data.get(f"opens_{day}"), f"opens_{day}", closing=False)
        except InvalidInput as error:
            errors.append(error)
            opens = None
        try:
            closes = _minute(data.get(f"closes_{day}"), f"closes_{day}", closing=True)
        except InvalidInput as error:
            errors.append(error)
            continue
        if opens is None:
            continue
        if closes <= opens:
            errors.append(InvalidInput(f"closes_{day}", _l("Closing must be after opening.")))
            continue
        week[day] = (opens, closes)
    raise_all(errors)
    return week


def _audited(week: Week, days) -> dict:
    return {DAY_KEYS[day]: f"{clock_text(week[day][0])}-{clock_text(week[day][1])}" if day in week else None
            for day in days}


def update(actor: Staff, club: Club, data: dict) -> dict[int, tuple[int, int]]:
    """Set CLUB's opening hours from DATA (see checked_week); audited with the weekdays changed, before and after.
    A refused field writes nothing."""
    week = checked_week(data)
    lock_club(club.id)   # two managers saving at once: one after the other, never a duplicate weekday
    rows = {row.weekday: row for row in db.session.scalars(
        select(OpeningHour).where(OpeningHour.club_id == club.id).execution_options(populate_existing=True))}
    before = {day: (row.opens_minute, row.closes_minute) for day, row in rows.items()}
    changed = [day for day in WEEKDAYS if before.get(day) != week.get(day)]
    for day in changed:
        row, span = rows.get(day), week.get(day)
        if span is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(OpeningHour(club_id=club.id, weekday=day, opens_minute=span[0], closes_minute=span[1]))
        else:
            row.opens_minute, row.closes_minute = span
    if changed:
        db.session.flush()
        audit.record(actor, "update", "opening_hours", club.id, club_id=club.id,
                     before=_audited(before, changed), after=_audited(week, changed))
    return week


# --- the arithmetic of opening time ----------------------------------------------------------------------------

def _hours(where: Hours | Club) -> Hours:
    return where if isinstance(where, Hours) else hours_of(where)


def _open_days(week: Week) -> dict[int, tuple[int, int]]:
    """The weekdays WEEK opens on with an interval that makes sense (anything else counts as closed)."""
    return {day: (opens, closes) for day, (opens, closes) in week.items()
            if day in WEEKDAYS and 0 <= opens < closes <= DAY_MINUTES}


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """DAY's wall-clock MINUTE in ZONE as a UTC instant (minute 1440: the next midnight). A wall time the clocks
    skip (spring forward) reads with the offset before the change, as zoneinfo does (fold=0)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _intervals(week: Week, zone: ZoneInfo, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals as UTC instants, in order and never overlapping, from the local day before SINCE's on;
    endless (WEEK has an open day)."""
    day = since.astimezone(zone).date() - timedelta(days=1)
    last = None
    while True:
        span = week.get(day.weekday())
        if span is not None:
            start, end = _instant(day, span[0], zone), _instant(day, span[1], zone)
            # A closing time the clocks skip can read later than the next opening; never count a moment twice.
            start = max(start, last) if last is not None else start
            if end > start:
                yield start, end
                last = end
        day += timedelta(days=1)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("opening time is counted between aware instants only")
    return instant.astimezone(UTC)


def add_open_time(where: Hours | Club, start_utc: datetime, minutes: int) -> datetime:
    """Return the UTC instant at which MINUTES of opening time have passed after START_UTC (a start outside the
    hours counts from the next opening; 0 minutes: the start, or the next opening). Counted on the club's wall
    clock, so summer time and closed days are respected; a club closed every day counts as always open."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    hours, start, left = _hours(where), _utc(start_utc), timedelta(minutes=minutes)
    week = _open_days(hours.week)
    if not week:
        return start + left
    for opens, closes in _intervals(week, ZoneInfo(hours.zone), start):
        if closes <= start:
            continue
        opens = max(opens, start)
        if left <= closes - opens:
            return opens + left
        left -= closes - opens
    raise AssertionError("unreachable: the intervals never end")


def open_time_between(where: Hours | Club, start_utc: datetime, end_utc: datetime) -> timedelta:
    """Return the opening time that passed from START_UTC to END_UTC (nothing if the end is not later); a club
    closed every day counts as always open."""
    hours, start, end = _hours(where), _utc(start_utc), _utc(end_utc)
    if end <= start:
        return timedelta(0)
    week = _open_days(hours.week)
    if not week:
        return end - start
    total = timedelta(0)
    for opens, closes in _intervals(week, ZoneInfo(hours.zone), start):
        if opens >= end:
            return total
        if closes > start:
            total += min(closes, end) - max(opens, start)
    raise AssertionError("unreachable: the intervals never end")
