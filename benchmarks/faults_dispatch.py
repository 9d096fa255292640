"""The fault probe's dispatch experiment at length: a slow Twilio, several dispatchers at once, SIGKILLs.

MESSAGES members each have one due SMS. `clubcrm sms dispatch` processes (--limit LIMIT) run against a fake Twilio
on loopback that holds every answer DELAY seconds (a slow Twilio), DISPATCHERS at a time: whenever fewer run, a
new one starts as a later job (`--now` 11 minutes past the previous one's), so it finds the rows that the ones
still sending (or killed) claimed or handed to Twilio "more than the reconcile delay ago" — the probe's long run
beside the next minute's job. For every KILL_EVERY starts, the oldest running dispatcher is killed with SIGKILL
while messages go out. This goes on until no message is waiting; then one dispatcher, alone and later still,
settles what the kills left behind.

Goals: zero duplicates (no (number, text) that the fake Twilio took twice) and zero lost (every row `sent` with
the sid Twilio gave that message, or `unknown` for a person — nothing left `queued` or `sending`, nothing `sent`
that Twilio does not have, nothing else).

    python -m benchmarks --only faults_dispatch [--fault-messages 400] [--engines sqlite,postgresql]
"""
import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import Club, Message
from tests.conftest import make_app
from tests.fake_twilio import FakeTwilio
from tests.faults.outbox import dispatcher, env_for, queue_many, twice

DEFAULT_MESSAGES = 400
DISPATCHERS = 3
# Real seconds Twilio takes to answer each message: a dispatcher's run outlasts the next round's start.
DELAY = 0.02
LIMIT = 60   # messages a dispatcher claims at most in one run
KILL_EVERY = 3
ROUND = timedelta(minutes=11)
# Inside the default sending window in UTC, whatever the real time is (dispatchers run with --now).
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
MAX_DISPATCHERS = 500
REPORT = re.compile(r"sent (\d+),.*reconciled (\d+) \(requeued (\d+)\)(?:, taken back (\d+))?")


@dataclass
class FaultResult:
    engine: str
    messages: int
    dispatchers: int = 0
    killed: int = 0
    seconds: float = 0.0
    duplicates: int = 0
    lost: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    unknown_at_twilio: int = 0     # flagged rows Twilio has (a person finds them in its log)
    reconciled: int = 0
    requeued: int = 0
    taken_back: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.lost and not self.failures


def tally(result: FaultResult, output: str) -> None:
    """Add what a finished dispatcher printed (its report line) to RESULT."""
    found = REPORT.search(output)
    if found is None:
        result.failures.append(f"a dispatcher ended without its report: {output[-500:]}")
        return
    result.reconciled += int(found[2])
    result.requeued += int(found[3])
    result.taken_back += int(found[4] or 0)


def waiting(app, club_id: int) -> int:
    """Messages still `queued` or `sending`."""
    with app.app_context():
        count = len(db.session.scalars(select(Message.id).where(
            Message.club_id == club_id, Message.status.in_(("queued", "sending")))).all())
        db.session.remove()
    return count


def run(engine: str, url: str, messages: int = DEFAULT_MESSAGES, seed: int = 20260310,
        workdir: str = ".") -> FaultResult:
    """Run the experiment on the (migrated, empty) database at URL."""
    result = FaultResult(engine, messages)
    rng = random.Random(seed)
    app = make_app(url)
    with app.app_context():
        club = Club(name="Fault probe", timezone="UTC", currency="EUR", country="FI", default_locale="en",
                    quiet_end_minute=8 * 60, quiet_start_minute=21 * 60, sms_day_cap=1_000, sms_week_cap=1_000)
        db.session.add(club)
        db.session.commit()
        club_id = club.id
        queue_many(club_id, messages, START, tag="probe")
        db.session.remove()
    started = time.perf_counter()
    with FakeTwilio() as fake:
        fake.delay = DELAY
        env = env_for(url, fake, TWILIO_TIMEOUT_SECONDS=5)
        now = START
        running: list = []
        while result.dispatchers < MAX_DISPATCHERS:
            left = waiting(app, club_id)
            if not left and not running:
                break
            if left and len(running) < DISPATCHERS:
                # The next minute's job, 11 minutes later on its clock: the claims of those still running look
                # stale to it.
                now += ROUND
                running.append(dispatcher(env, now, workdir, limit=LIMIT))
                result.dispatchers += 1
            before = len(fake.received)
            time.sleep(rng.uniform(0.3, 1.2))
            # Kill while messages are going out (a process takes seconds to start): the oldest is sending.
            due_kills = result.dispatchers // KILL_EVERY - result.killed
            if due_kills > 0 and len(fake.received) > before and running[0].poll() is None:
                running[0].send_signal(signal.SIGKILL)
                result.killed += 1
            for process in [p for p in running if p.poll() is not None]:
                running.remove(process)
                output, _ = process.communicate()
                if process.returncode == 0:
                    tally(result, output)
                elif process.returncode != -signal.SIGKILL:
                    result.failures.append(f"a dispatcher failed ({process.returncode}): {output[-800:]}")
        for process in running:
            process.kill()
            process.communicate()
        # Alone and past the reconcile delay of every earlier claim: settles what the kills left.
        for _ in range(3):
            now += ROUND
            last = dispatcher(env, now, workdir, limit=messages)
            output, _ = last.communicate(timeout=600)
            result.dispatchers += 1
            if last.returncode != 0:
                result.failures.append(f"the last dispatcher failed ({last.returncode}): {output[-800:]}")
                break
            tally(result, output)
            if not waiting(app, club_id):
                break
        result.seconds = time.perf_counter() - started
        check(app, club_id, fake, result)
        if fake.errors:
            result.failures.append(f"the fake Twilio failed: {fake.errors[0]}")
    with app.app_context():
        db.engine.dispose()
    return result


def check(app, club_id: int, fake: FakeTwilio, result: FaultResult) -> None:
    """Count duplicates and lost messages: the rows against what the fake Twilio took."""
    result.duplicates = len(twice(fake))
    taken = {(r.to, r.body): r.sid for r in fake.sent}
    with app.app_context():
        rows = db.session.execute(select(Message.id, Message.to_phone, Message.body, Message.status,
                                         Message.twilio_sid).where(Message.club_id == club_id)).all()
        db.session.remove()
    for row_id, phone, body, status, sid in rows:
        result.statuses[status] += 1
        at_twilio = taken.get((phone, body))
        if status == "sent" and (sid is None or sid != at_twilio):
            result.lost.append(f"message {row_id} is sent with sid {sid}, Twilio took {at_twilio}")
        elif status == "unknown":
            result.unknown_at_twilio += at_twilio is not None
        elif status != "sent":
            result.lost.append(f"message {row_id} ended {status}")
    if len(rows) != result.messages:
        result.lost.append(f"{len(rows)} rows, {result.messages} queued")


def measure(args, now: datetime, workdir: str, cluster, phases) -> list[FaultResult]:
    """Run the experiment on every engine of the run."""
    from benchmarks.__main__ import prepare

    messages = args.fault_messages
    results = []
    for engine in args.engines:
        url = prepare(engine, "bench_faults_dispatch", workdir, cluster, phases, lambda url: None)
        with phases(f"{engine}: faults_dispatch: {messages:,} SMS, {DISPATCHERS} dispatchers at a time, "
                    f"1 in {KILL_EVERY} killed, Twilio {DELAY * 1000:.0f} ms a message"):
            results.append(run(engine, url, messages, args.seed, workdir))
    return results


def report(args, results: list[FaultResult]) -> int:
    """Print the outcome per engine; return how many engines missed a goal (a duplicate, a loss, a failure)."""
    print()
    print(f"ClubCRM dispatch fault experiment: {args.fault_messages:,} messages, {DISPATCHERS} `clubcrm sms dispatch` "
          f"processes at a time (each --now 11 minutes past the one before, --limit {LIMIT}), one in {KILL_EVERY} "
          f"SIGKILLed, fake Twilio answering in {DELAY * 1000:.0f} ms; then one dispatcher alone settles the rest.")
    print("Goals: 0 duplicates (a number and text Twilio took twice), 0 lost (rows neither sent with Twilio's sid "
          "nor flagged unknown).")
    missed = 0
    for r in results:
        missed += not r.ok
        print()
        print(f"[{r.engine}] {'ok' if r.ok else 'MISSED'}: {r.dispatchers} dispatchers, "
              f"{r.killed} killed, {r.seconds:.1f} s")
        print(f"  duplicates {r.duplicates}, lost {len(r.lost)}; rows: "
              + ", ".join(f"{status} {n}" for status, n in sorted(r.statuses.items())))
        print(f"  unknown rows Twilio has: {r.unknown_at_twilio} (a person finds them in its log); reconciled by "
              f"later dispatchers: {r.reconciled} (requeued {r.requeued}); claims taken back before sending: "
              f"{r.taken_back}")
        for line in (r.lost[:5] + r.failures[:5]):
            print(f"  ! {line}")
    return missed
