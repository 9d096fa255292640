"""The only reader of the real time. Tests and the simulator set it with freeze()."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Return the current instant, timezone-aware in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def local_now(tz: str) -> datetime:
    """Return the current wall-clock time in the IANA zone TZ."""
    return utcnow().astimezone(ZoneInfo(tz))


def local_today(tz: str) -> date:
    """Return today's date in the IANA zone TZ."""
    return local_date(utcnow(), tz)


def local_date(instant: datetime, tz: str) -> date:
    """Return the date in the IANA zone TZ at INSTANT (aware)."""
    return instant.astimezone(ZoneInfo(tz)).date()


def set_now(moment: datetime | None) -> None:
    """Pin the clock to MOMENT (aware), or release it with None."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    _frozen = moment.astimezone(UTC) if moment is not None else None


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Pin the clock to MOMENT for the duration of the block."""
    previous = _frozen
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)
