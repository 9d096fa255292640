"""The lifecycle bench's clock: its hourly reruns must fall on the day its pass planned, whenever the bench runs."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from benchmarks.__main__ import club_midday
from benchmarks.dataset import TZ_NAME


@pytest.mark.parametrize("started", [datetime(2026, 12, 5, 21, 45, tzinfo=UTC),    # 23:45 in Helsinki (winter)
                                     datetime(2026, 7, 1, 20, 30, tzinfo=UTC),     # 23:30 (summer time)
                                     datetime(2026, 12, 5, 22, 30, tzinfo=UTC),    # 00:30, the next club day
                                     datetime(2026, 3, 29, 1, 30, tzinfo=UTC)])    # the night the clocks go forward
def test_the_reruns_an_hour_later_stay_on_the_club_day_of_the_pass(started):
    zone = ZoneInfo(TZ_NAME)
    now = club_midday(started)
    assert now.astimezone(zone).date() == started.astimezone(zone).date()
    assert now.astimezone(zone).hour == 12
    for minutes in (60, 60 + 10):   # the bench's reruns: an hour later, a minute apart
        assert (now + timedelta(minutes=minutes)).astimezone(zone).date() == now.astimezone(zone).date()
