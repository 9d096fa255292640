"""A club: one location with its time zone, currency, country and default language; and its opening hours."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db


class Club(db.Model):
    __tablename__ = "club"
    __table_args__ = (
        CheckConstraint("programme_holdout_pct >= 0 AND programme_holdout_pct <= 50", name="programme_holdout_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # ISO 3166 region used to read phone numbers typed without a country code.
    country: Mapped[str] = mapped_column(String(2), default="FI")
    default_locale: Mapped[str] = mapped_column(String(5), default="en")
    phone: Mapped[str | None] = mapped_column(String(32))
    # The lifecycle engine plans between min and max contacts per cycle, at most one SMS in sms_gap_days.
    touch_budget_min: Mapped[int] = mapped_column(default=10, server_default="10")
    touch_budget_max: Mapped[int] = mapped_column(default=15, server_default="15")
    sms_gap_days: Mapped[int] = mapped_column(default=3, server_default="3")
    # SMS go out between these local times (minutes after midnight; never wider than 08:00-21:00) and at
    # most this many per member a local day and a week.
    quiet_end_minute: Mapped[int] = mapped_column(default=9 * 60, server_default=str(9 * 60))
    quiet_start_minute: Mapped[int] = mapped_column(default=20 * 60, server_default=str(20 * 60))
    sms_day_cap: Mapped[int] = mapped_column(default=1, server_default="1")
    sms_week_cap: Mapped[int] = mapped_column(default=3, server_default="3")
    # The club's own SMS sender (an E.164 number, or a Twilio messaging service SID, which wins); unset, the
    # installation's TWILIO_FROM / TWILIO_MESSAGING_SERVICE_SID send for it.
    sms_from: Mapped[str | None] = mapped_column(String(32))
    sms_messaging_service_sid: Mapped[str | None] = mapped_column(String(34))
    # The share of members (percent, drawn per member and calendar year) who get no contact from the lifecycle
    # engine's tools, so that the whole programme's effect on renewals can be measured.
    programme_holdout_pct: Mapped[int] = mapped_column(default=5, server_default="5")
    # What a tool's staff calls cost: the average call's minutes and the hourly cost of staff time (minor units).
    call_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    staff_hour_cost_minor: Mapped[int] = mapped_column(default=2000, server_default="2000")
    # How long a visit usually lasts: the desk's "in the club now" counts check-ins within it.
    usual_stay_minutes: Mapped[int] = mapped_column(default=90, server_default="90")
    # The member page (a link in the lifecycle's SMS opens the member's own page): off, texts go without their
    # link sentence and every link answers 404. A member may cancel a booking there until this many minutes before
    # the session starts.
    member_page_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    booking_cancel_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    # Closed from this day (the club's local date): no sales, check-ins, logins or SMS there; None = open.
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Club {self.id} {self.name}>"


# Minutes in a day: a closing time of 1440 is the next midnight (a club open round the clock closes at 24:00).
DAY_MINUTES = 24 * 60


class OpeningHour(db.Model):
    """When a club is open on one weekday: one interval from opens_minute to closes_minute after local
    midnight. A weekday without a row is closed."""

    __tablename__ = "opening_hour"
    __table_args__ = (
        UniqueConstraint("club_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint(f"opens_minute >= 0 AND closes_minute > opens_minute AND closes_minute <= {DAY_MINUTES}",
                        name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    weekday: Mapped[int]   # 0 = Monday ... 6 = Sunday, as date.weekday()
    opens_minute: Mapped[int]
    closes_minute: Mapped[int]
