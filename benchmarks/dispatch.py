"""SMS dispatch throughput: one dispatcher sending to a fake Twilio on loopback, beside the bare SDK.

* dispatch: `clubcrm.sms.dispatch.dispatch(now, settings, client, limit=N, per_second=None)` in an app
  context, over N messages queued fresh (one set-based INSERT, untimed) for N members with SMS consent;
  it reconciles, defers, claims (one UPDATE, committed), screens caps and opt-outs, then sends one by one,
  committing after each;
* baseline: the Twilio SDK alone (`client.messages.create`) sending the same N messages in a loop, through
  the same client to the same fake server (tests.fake_twilio, replying at once);
* second baseline, "the SDK with the same commits": the SDK loop doing the writes at-most-once sending cannot do
  without, by hand on a Core connection: before each send one durable COMMIT that records the hand-over of this
  message together with the previous one's sid (two UPDATEs by primary key), as ClubCRM commits. The unthrottled goal
  is judged against this one (a baseline does the same work as the product: same commits, fsync on); the issue
  named the bare SDK, whose ratio stays printed. On PostgreSQL with fsync the commits alone took the SDK to 0.47x
  its bare rate (measured, issue 15): against the bare SDK no at-most-once dispatcher could reach 0.7x.

Samples alternate (baseline, dispatch, baseline, dispatch...) after a warm-up round, so both see the same
machine load. Rates are messages per second; the goal is dispatch >= GOAL x the baseline's rate. Two series:

* unthrottled: per_second=None, as above;
* at the configured rate: per_second=TWILIO_MESSAGES_PER_SECOND (10 in production) over THROTTLED_MESSAGES
  messages (50: 5 s a sample at 10/s), beside the bare SDK paced to the same rate the same way (a send no sooner
  than 1/rate seconds after the previous one, by time.monotonic): does the dispatcher keep the rate it is given?

The clock is pinned at 10:00 UTC, inside the bench club's sending window (08:00-21:00 UTC), whatever the hour.
"""
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Message
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.client import close_client, make_client, settings_from
from tests.conftest import make_app
from tests.fake_twilio import FakeTwilio

GOAL = 0.7
DEFAULT_MESSAGES = 2_000
THROTTLED_MESSAGES = 50
DEFAULT_SAMPLES = 3
DEFAULT_WARMUP = 1


@dataclass
class DispatchResult:
    engine: str
    messages: int
    dispatch: list[float] = field(default_factory=list)   # messages per second, per sample
    baseline: list[float] = field(default_factory=list)
    rate: float = 0.0                                         # the configured messages per second
    throttled_messages: int = 0
    throttled: list[float] = field(default_factory=list)      # at the configured rate, messages per second
    throttled_baseline: list[float] = field(default_factory=list)
    committed: list[float] = field(default_factory=list)     # the SDK with the same commits, messages per second
    checks: list[str] = field(default_factory=list)

    @property
    def committed_ratio(self) -> float:
        return statistics.median(self.dispatch) / statistics.median(self.committed)

    @property
    def ratio(self) -> float:
        return statistics.median(self.dispatch) / statistics.median(self.baseline)

    @property
    def throttled_ratio(self) -> float:
        return statistics.median(self.throttled) / statistics.median(self.throttled_baseline)


def setup(app, count: int, now: datetime) -> tuple[int, list[tuple[int, str]]]:
    """A club in its sending window with caps out of the way, and COUNT members with SMS consent."""
    with app.app_context():
        # The widest window a club may have (08:00-21:00); run() pins NOW to 10:00 UTC, inside it.
        club = Club(name="Dispatch bench", timezone="UTC", currency="EUR", country="FI", default_locale="en",
                    quiet_end_minute=8 * 60, quiet_start_minute=21 * 60, sms_day_cap=1_000_000,
                    sms_week_cap=1_000_000)
        db.session.add(club)
        db.session.flush()
        db.session.execute(insert(Member), [
            {"club_id": club.id, "first_name": "Bench", "last_name": f"Sms{n}", "phone": f"+3584098{n:05d}",
             "locale": "en", "sms_consent": True, "sms_consent_at": now, "created_at": now}
            for n in range(count)])
        members = [tuple(row) for row in db.session.execute(
            select(Member.id, Member.phone).where(Member.club_id == club.id).order_by(Member.id))]
        db.session.commit()
        return club.id, members


def queue(app, club_id: int, members: list[tuple[int, str]], now: datetime, sample: int) -> None:
    """One due message per member, fresh for this sample (earlier samples' rows are removed first)."""
    with app.app_context():
        db.session.execute(delete(Message).where(Message.club_id == club_id))
        db.session.execute(insert(Message), [
            {"club_id": club_id, "member_id": member_id, "idempotency_key": f"bench:{sample}:{member_id}",
             "to_phone": phone, "body": f"Bench message {sample} for {phone}", "locale": "en",
             "encoding": "GSM-7", "segments": 1, "status": "queued", "due_at": now, "created_at": now}
            for member_id, phone in members])
        db.session.commit()


def run(engine_name: str, url: str, now: datetime, messages: int = DEFAULT_MESSAGES,
        samples: int = DEFAULT_SAMPLES, warmup: int = DEFAULT_WARMUP) -> DispatchResult:
    """Measure dispatch against the bare SDK on the (migrated, empty) database at URL."""
    result = DispatchResult(engine_name, messages)
    # Pinned to 10:00 UTC of NOW's day, inside the bench club's sending window (08:00-21:00 UTC, the widest a club
    # may have): run in the evening, the dispatcher would rightly defer every message to the next morning.
    now = now.replace(hour=10, minute=0, second=0, microsecond=0)
    clock.set_now(now)
    app = make_app(url)
    club_id, members = setup(app, messages, now)
    rate = float(app.config["TWILIO_MESSAGES_PER_SECOND"])
    result.rate = rate
    with FakeTwilio() as fake:
        settings = settings_from(fake.config(TWILIO_TIMEOUT_SECONDS=10))
        client = make_client(settings)
        try:
            for i in range(warmup + samples):
                base, took = one_sample(app, client, settings, club_id, members, now, i, None)
                committed = sdk_with_commits(app, client, settings, club_id, members, now, i)
                if i >= warmup:
                    result.baseline.append(messages / base)
                    result.dispatch.append(messages / took)
                    result.committed.append(messages / committed)
            few = members[:THROTTLED_MESSAGES]
            result.throttled_messages = len(few)
            for i in range(warmup + samples):
                base, took = one_sample(app, client, settings, club_id, few, now, warmup + samples + i, rate)
                if i >= warmup:
                    result.throttled_baseline.append(len(few) / base)
                    result.throttled.append(len(few) / took)
            received = len(fake.received)
            expected = (warmup + samples) * (messages * 3 + len(few) * 2)
            if received != expected or fake.errors:
                raise RuntimeError(f"the fake received {received} messages, expected {expected}; "
                                   f"errors: {fake.errors[:1]}")
            result.checks.append(f"every sample sent all its messages (report and rows agree); the fake "
                                 f"received {received:,} messages, each once")
        finally:
            close_client(client)
            with app.app_context():
                db.engine.dispose()
    return result


def one_sample(app, client, settings, club_id: int, members: list[tuple[int, str]], now: datetime, i: int,
               per_second: float | None) -> tuple[float, float]:
    """Send one message to each of MEMBERS with the bare SDK, then queue and dispatch as many; both paced to
    PER_SECOND (None: as fast as they go). Return the seconds each took."""
    gap = 1.0 / per_second if per_second else 0.0
    start = last = time.perf_counter()
    for n, (_member_id, phone) in enumerate(members):
        if gap and n:
            wait = last + gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        last = time.monotonic()
        client.messages.create(to=phone, from_=settings.sender, body=f"Baseline {i} for {phone}")
    base = time.perf_counter() - start

    queue(app, club_id, members, now, i)
    # Each sample a little later than the last, so that no earlier run's `sending` row matters.
    at = now + timedelta(seconds=i)
    with app.app_context():
        start = time.perf_counter()
        report = dispatching.dispatch(at, settings, client, limit=len(members), per_second=per_second)
        took = time.perf_counter() - start
        sent = db.session.scalar(select(func.count()).select_from(Message)
                                 .where(Message.club_id == club_id, Message.status == "sent"))
        db.session.remove()
    if report.sent != len(members) or sent != len(members):
        raise RuntimeError(f"dispatch sent {report.sent} ({sent} rows sent) of {len(members)}: {report}")
    return base, took


def sdk_with_commits(app, client, settings, club_id: int, members: list[tuple[int, str]], now: datetime,
                     i: int) -> float:
    """The SDK loop with at-most-once's writes done by hand: per message one durable COMMIT of its hand-over
    (status `sending`, sent_at) and the previous message's sid, then the send. Return the seconds it took."""
    from sqlalchemy import bindparam, update

    queue(app, club_id, members, now, 10_000 + i)
    with app.app_context():
        ids = list(db.session.scalars(select(Message.id).where(Message.club_id == club_id).order_by(Message.id)))
        db.session.remove()
        hand_over = (update(Message).where(Message.id == bindparam("m_id"))
                     .values(status="sending", sent_at=bindparam("at")))
        record = (update(Message).where(Message.id == bindparam("m_id"))
                  .values(status="sent", twilio_sid=bindparam("sid")))
        by_id = dict(zip([member_id for member_id, _phone in members], ids, strict=True))
        start = time.perf_counter()
        with db.engine.connect() as conn:
            previous = None
            for member_id, phone in members:
                with conn.begin():
                    if previous is not None:
                        conn.execute(record, {"m_id": previous[0], "sid": previous[1]})
                    conn.execute(hand_over, {"m_id": by_id[member_id], "at": now})
                sid = client.messages.create(to=phone, from_=settings.sender, body=f"Committed {i} for {phone}").sid
                previous = (by_id[member_id], sid)
            with conn.begin():
                conn.execute(record, {"m_id": previous[0], "sid": previous[1]})
        took = time.perf_counter() - start
        db.session.remove()
    return took
