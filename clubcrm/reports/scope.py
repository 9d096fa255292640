"""What a report covers: which clubs, which local dates (inclusive) and optionally one plan."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import Club


# The longest period a report reads (the dashboard refuses longer; the API shortens to the last three years).
MAX_PERIOD_DAYS = 3 * 366


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period START..END as chosen; without an end, up to TODAY (or the start, if later); without a start,
    the 365 days up to the end."""
    end = end or max(today, start or today)
    return start or end - timedelta(days=364), end


def lenient_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """PERIOD, with a period given backwards read forwards and one over MAX_PERIOD_DAYS cut to its last days."""
    if start is not None and end is not None and start > end:
        start, end = end, start
    start, end = period(start, end, today)
    return max(start, end - timedelta(days=MAX_PERIOD_DAYS - 1)), end


@dataclass(frozen=True)
class Scope:
    """CLUB_IDS (one club, or every club of an owner's chain), START..END as local dates of each club
    (both inclusive), PLAN_ID to narrow to one plan (None = all), TODAY the date the report is read on."""

    club_ids: tuple[int, ...]
    start: date
    end: date
    today: date
    plan_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def clubs(self) -> list[Club]:
        return list(db.session.scalars(select(Club).where(Club.id.in_(self.club_ids)).order_by(Club.id)))


def utc_bounds(club: Club, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) that local dates START..END (inclusive) of CLUB cover."""
    zone = ZoneInfo(club.timezone)
    begin = datetime.combine(start, time.min, zone).astimezone(UTC)
    stop = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    return begin, stop
