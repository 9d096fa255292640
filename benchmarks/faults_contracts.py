"""The contract fault experiments of tests/faults/test_contracts_*.py, repeated for many rounds on each engine.

Each round takes fresh members and fires, from real threads with a connection each at the same instant:
identical freezes (then ended one by one), a renewal beside a freeze of the old contract, double clicks on a
package sale, deliberate sales of a first package, double submits of a new lead (with and without a phone)
and of a staff SMS. It counts what each produced beyond what one request would have (extra rows; for the
renewals, ones overlapping the old contract), the requests that died of an unexpected error (a 500) and the
paid days a contract's end is off by; at the end the database check (clubcrm.integrity) must find nothing.

    python -m benchmarks.faults_contracts [--rounds 20] [--engines sqlite,postgresql]
"""
import argparse
import itertools
import os
import shutil
import sys
import tempfile
import threading
from functools import partial
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

CLICKS = 10     # identical requests at once per experiment
PAIRS = 5       # renewal/freeze pairs at once per round


@dataclass
class Tally:
    """One experiment on one engine: requests fired, rows made beyond one per intent, unexpected errors."""

    name: str
    requests: int = 0
    extra_rows: int = 0
    errors: int = 0
    lost_days: int = 0


@dataclass
class Result:
    engine: str
    rounds: int
    tallies: dict[str, Tally] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally(name))


def fire(app, count: int, action) -> tuple[list, int]:
    """Run ACTION from COUNT threads at once; return the results and how many died of a non-domain error."""
    from tests.concurrency import at_once

    died = []
    hook, threading.excepthook = threading.excepthook, lambda args: died.append(args.exc_value)
    try:
        results = at_once(app, count, action)
    finally:
        threading.excepthook = hook
    return results, len(died)


def one_round(app, make, result: Result, now: datetime, serial: int) -> None:
    """Run every experiment once on fresh members at NOW."""
    from sqlalchemy import func, select

    from clubcrm import clock
    from clubcrm.db import unit_of_work
    from clubcrm.errors import DomainError
    from clubcrm.extensions import db
    from clubcrm.models import Club, Freeze, LedgerEntry, Member, Membership, Message, Package, Staff
    from clubcrm.services import members, sales
    from clubcrm.sms import outbox

    clock.set_now(now)
    today = clock.local_today(make.default_club.timezone)
    desk_id, club_id = make.desk().id, make.default_club.id
    plan = make.plan(duration_days=30)

    def as_desk(member_id):
        return db.session.get(Staff, desk_id), db.session.get(Member, member_id)

    # Identical freezes: one freeze, the end moved once.
    member = make.member()
    membership = make.membership(member, plan, today=today)

    def freeze(member_id=member.id, membership_id=membership.id):
        with unit_of_work():
            return sales.freeze(*as_desk(member_id), membership_id, today + timedelta(days=2),
                                today + timedelta(days=11), today).id

    _results, died = fire(app, CLICKS, freeze)
    tally = result.tally("identical freezes at once, then ended")
    tally.requests += CLICKS
    tally.errors += died
    made = list(db.session.scalars(select(Freeze.id).where(Freeze.membership_id == membership.id)))
    tally.extra_rows += len(made) - 1
    # The member comes back on the freeze's fourth day, and the desk ends each freeze the card lists: 3 days
    # stay frozen, so the contract ends 3 days later than sold. Each extra freeze ended takes 7 paid days more.
    for freeze_id in made:
        try:
            with unit_of_work():
                sales.end_freeze(*as_desk(member.id), freeze_id, today + timedelta(days=5))
        except DomainError:
            pass
        except Exception:  # noqa: BLE001 - what a server would answer with a 500 (unit_of_work rolled it back)
            tally.errors += 1
    db.session.expire_all()
    sold_end = membership.starts_on + timedelta(days=plan.duration_days - 1)
    tally.lost_days += abs((db.session.get(Membership, membership.id).ends_on - sold_end).days - 3)

    # A renewal and a freeze of the old contract at once: never overlapping (the check counts overlaps).
    pairs = []
    for _ in range(PAIRS):
        holder = make.member()
        old = make.membership(holder, plan, today=today - timedelta(days=20), starts_on=today - timedelta(days=20))
        pairs.append((holder.id, old.id))
    actions = iter([lambda m=m: renew(m) for m, _o in pairs] + [lambda m=m, o=o: pause(m, o) for m, o in pairs])

    def renew(member_id):
        with unit_of_work():
            return sales.sell_membership(*as_desk(member_id), plan.id, today).id

    def pause(member_id, membership_id):
        with unit_of_work():
            return sales.freeze(*as_desk(member_id), membership_id, today + timedelta(days=1),
                                today + timedelta(days=10), today).id

    _results, died = fire(app, 2 * PAIRS, lambda: next(actions)())
    tally = result.tally("renewal and freeze at once")
    tally.requests += 2 * PAIRS
    tally.errors += died
    db.session.expire_all()
    for _member_id, old_id in pairs:   # a renewal starting on or before the old contract's end overlaps it
        old_end = db.session.get(Membership, old_id).ends_on
        tally.extra_rows += db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.renews_id == old_id, Membership.starts_on <= old_end))

    # Double clicks on a package sale (the repeat window on): one grant.
    service = make.service(package_units=10)
    buyer = make.member()
    app.config["SALE_REPEAT_SECONDS"] = 60

    def sell_package(member_id=buyer.id, service_id=service.id):
        with unit_of_work():
            return sales.sell_package(*as_desk(member_id), service_id, today).id

    _results, died = fire(app, CLICKS, sell_package)
    tally = result.tally("package sale double clicks")
    tally.requests += CLICKS
    tally.errors += died
    tally.extra_rows += grants(db, select, func, LedgerEntry, Package, buyer.id) - 1

    # Deliberate sales of a first package at once (no repeat window): every one counts, none fails.
    app.config["SALE_REPEAT_SECONDS"] = 0
    buyer = make.member()
    # The id is read here: a thread reading it off the test's session would race the others for its connection.
    _results, died = fire(app, 5, partial(sell_package, buyer.id))
    tally = result.tally("first package, 5 real sales")
    tally.requests += 5
    tally.errors += died
    tally.extra_rows += abs(grants(db, select, func, LedgerEntry, Package, buyer.id) - 5)

    # Double submits of a new lead, without and with a phone: one lead each.
    for label, phone in (("lead double submits, no phone", None),
                         ("lead double submits, phone", f"+35850{3000000 + serial:07d}")):
        last = f"Fault{serial}{'p' if phone else 'n'}"

        def lead(phone=phone, last=last):
            with unit_of_work():
                staff, club = db.session.get(Staff, desk_id), db.session.get(Club, club_id)
                return members.create_walk_in(staff, club, {"first_name": "Aino", "last_name": last,
                                                                  "phone": phone}).id

        _results, died = fire(app, CLICKS, lead)
        tally = result.tally(label)
        tally.requests += CLICKS
        tally.errors += died
        tally.extra_rows += db.session.scalar(select(func.count()).select_from(Member)
                                              .where(Member.club_id == club_id, Member.last_name == last)) - 1

    # Double clicks on a staff SMS: one message.
    texted = make.member(sms_consent=True)

    def text(member_id=texted.id):
        with unit_of_work():
            return outbox.queue_from_staff(*as_desk(member_id), "Your towel is at the desk.", clock.utcnow()).id

    _results, died = fire(app, CLICKS, text)
    tally = result.tally("staff SMS double clicks")
    tally.requests += CLICKS
    tally.errors += died
    tally.extra_rows += db.session.scalar(select(func.count()).select_from(Message)
                                          .where(Message.member_id == texted.id)) - 1
    db.session.commit()


def grants(db, select, func, LedgerEntry, Package, member_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry)
                             .join(Package, Package.id == LedgerEntry.package_id)
                             .where(Package.member_id == member_id, LedgerEntry.kind == "grant"))


def run(engine: str, url: str, rounds: int, now: datetime) -> Result:
    """Run ROUNDS rounds on the migrated database at URL; end with the database check."""
    from clubcrm import clock
    from clubcrm.extensions import db
    from clubcrm.integrity import problems
    from tests.conftest import make_app
    from tests.factories import Factory

    app = make_app(url)
    result = Result(engine, rounds)
    with app.app_context():
        make = Factory(app)
        serial = itertools.count(1)
        try:
            for index in range(rounds):
                # Rounds ten minutes apart: no repeat window reaches from one into the next.
                one_round(app, make, result, now + timedelta(minutes=10 * index), next(serial))
            db.session.commit()
            result.problems = [str(p) for p in problems()]
        finally:
            clock.set_now(None)
            db.session.remove()
            db.engine.dispose()
    return result


def report(results: list[Result]) -> int:
    """Print each engine's table; return how many rows show a fault (a duplicate, an error, a problem)."""
    faults = 0
    print()
    print("ClubCRM contract fault experiments (real threads, one connection each, all at once per experiment)")
    for result in results:
        print()
        print(f"[{result.engine}] {result.rounds} rounds")
        header = f"{'experiment':<40} {'requests':>9} {'extra rows':>11} {'500s':>5} {'days off':>9}"
        print(header)
        print("-" * len(header))
        for tally in result.tallies.values():
            faults += bool(tally.extra_rows or tally.errors or tally.lost_days)
            print(f"{tally.name:<40} {tally.requests:9} {tally.extra_rows:11} {tally.errors:5} {tally.lost_days:9}")
        faults += len(result.problems)
        print(f"database check: {len(result.problems)} problem(s)")
        for problem in result.problems:
            print(f"  {problem}")
    return faults


def measure(args, now: datetime, workdir: str, cluster, phases) -> list[Result]:
    """`make bench`'s entry: migrate a database per engine and run the rounds on it."""
    from benchmarks.__main__ import prepare

    results = []
    for engine in args.engines:
        url = prepare(engine, "bench_faults_contracts", workdir, cluster, phases, lambda url: None)
        with phases(f"{engine}: contract faults: {args.rounds} rounds"):
            results.append(run(engine, url, args.rounds, now))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults_contracts", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    sys.path.insert(0, os.getcwd())
    from benchmarks.__main__ import Phases

    phases, workdir, cluster = Phases(), tempfile.mkdtemp(prefix="clubcrm-faults-"), None
    try:
        if "postgresql" in args.engines:
            from tests.postgres import Cluster

            cluster = Cluster().start()
        results = measure(args, datetime.now(UTC).replace(microsecond=0), workdir, cluster, phases)
        faults = report(results)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("Faults: " + ("none" if not faults else f"{faults} row(s) show one"))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
