"""What the home page shows a club's staff at a glance: today's check-ins, who is in the club now, today's
sessions with their free places, Today's open calls; and, for a manager, this week's key figures read from the
reports' stored figures (never computed in the request)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.models import Booking, Club, ClubSession, Member, Visit
from clubcrm.models.session import HOLDS_PLACE
from clubcrm.reports.scope import Scope
from clubcrm.services import desk_calls, tasks

CHECKINS_SHOWN = 15
CALLS_SHOWN = 5


@dataclass(frozen=True)
class Checkin:
    at: datetime
    member_id: int
    name: str
    guest: bool          # a member of another club of the chain


@dataclass(frozen=True)
class SessionToday:
    id: int
    title: str
    starts_at: datetime
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass
class DeskHome:
    checkins_today: int
    latest: list[Checkin]
    in_club_now: int
    stay_minutes: int
    sessions: list[SessionToday]
    calls_due: int
    calls: list
    session_calls: list         # calls about cancelled or moved sessions (desk_calls), listed first


def day_start(club: Club, day: date) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(club.timezone))


def desk_home(club: Club, now: datetime, today: date) -> DeskHome:
    """The desk's home for CLUB at NOW (TODAY its local day): five statements, whatever the club's size."""
    since = day_start(club, today)
    # `club_id + 0`: the visits of today are found by time (ix_visit_checked_in_at), never by reading every visit
    # the club ever had (SQLite, without statistics, would otherwise take the club_id index).
    today_visits = (Visit.club_id + 0 == club.id, Visit.checked_in_at >= since, Visit.checked_in_at <= now)
    stay_from = now - timedelta(minutes=club.usual_stay_minutes)
    counted = db.session.execute(
        select(func.count(), func.count(func.distinct(Visit.member_id)).filter(Visit.checked_in_at >= stay_from))
        .where(*today_visits)).one()
    latest = [Checkin(at, member_id, f"{first} {last}".strip(), home != club.id)
              for at, member_id, first, last, home in db.session.execute(
                  select(Visit.checked_in_at, Member.id, Member.first_name, Member.last_name, Member.club_id)
                  .join(Member, Member.id == Visit.member_id).where(*today_visits)
                  .order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(CHECKINS_SHOWN))]
    taken = (select(func.count()).select_from(Booking)
             .where(Booking.session_id == ClubSession.id, Booking.status.in_(HOLDS_PLACE))
             .correlate(ClubSession).scalar_subquery())
    # Today's sessions still to come or running: the desk checks members in for them; one that has ended is only
    # clutter in a rush (the week's timetable still lists it).
    sessions = [SessionToday(*row) for row in db.session.execute(
        select(ClubSession.id, ClubSession.title, ClubSession.starts_at, ClubSession.capacity, taken)
        .where(ClubSession.club_id == club.id, ClubSession.cancelled_at.is_(None), ClubSession.ends_at > now,
               ClubSession.starts_at >= since, ClubSession.starts_at < day_start(club, today + timedelta(days=1)))
        .order_by(ClubSession.starts_at, ClubSession.id))]
    # today(): the Today list's first rows (uncapped count below for the badge beside them).
    calls = tasks.today(club, today, limit=CALLS_SHOWN)
    about_sessions = desk_calls.open_calls(club.id, today, limit=CALLS_SHOWN)
    return DeskHome(checkins_today=counted[0], latest=latest, in_club_now=counted[1] or 0,
                    stay_minutes=club.usual_stay_minutes, sessions=sessions,
                    calls_due=desk_calls.count_owed(club.id, today, cap=None),
                    calls=calls, session_calls=about_sessions)


@dataclass(frozen=True)
class WeekFigures:
    as_of: date               # the day the stored figures stand on
    computed_at: datetime
    week_start: date
    active: int               # members with a live membership on as_of
    joined: int               # new members this week
    visits: int               # check-ins this week
    leads: int                # leads registered this week
    converted: int            # of those, already bought
    at_risk: int


def week_figures(club: Club) -> WeekFigures | None:
    """This week's key figures for CLUB from the stored figures (the worker's nightly refresh), or None while
    none are stored yet. The week runs from Monday to the day the figures stand on."""
    from clubcrm.reports import refresh
    from clubcrm.reports.snapshot import Stored

    row = refresh.stored((club.id,))
    if row is None:
        return None
    as_of = row.as_of
    monday = as_of - timedelta(days=as_of.weekday())
    figures = Stored(Scope((club.id,), monday, as_of, as_of), row)
    growth = figures.base_growth()
    weeks = figures.visits_per_week()
    leads = figures.lead_conversion()
    return WeekFigures(as_of=as_of, computed_at=row.computed_at, week_start=monday,
                       active=growth[-1].end_count if growth else 0,
                       joined=figures.total("joined", monday, as_of),
                       visits=sum(w.visits for w in weeks if w.week_start >= monday),
                       leads=leads.leads, converted=leads.converted,
                       at_risk=figures.at_risk_count(10**9))
