"""The desk while managers view reports: ClubCRM under gunicorn (2 sync workers, production config), 8 clients.

Desk clients (8 less the report clients) search (name, phone, card code) and scan -> card in turn; in a loaded
phase the report clients, logged in as the club's manager, open the KPI page (/reports/club) and the renewal
report (/reports/renewals) one after the other for as long as the desk clients are busy. Idle and loaded phases
alternate (idle, loaded, idle, loaded), the same desk clients in both, so load from outside hits both alike.
Goal: the desk's p95 under the report load at most 2x its idle p95.

Standalone, on a database someone already loaded (e.g. the chain's):

    python -m benchmarks.mixed_load --url postgresql://clubcrm@127.0.0.1:5432/chain --club-id N \
        [--email desk@bench.club --manager-email manager@bench.club --password bench-password] \
        [--clients 8 --report-clients 2 --samples 200]

`python -m benchmarks --only mixed_load` generates a club (benchmarks/desk_data.py) on both engines and runs this.
"""
import argparse
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.desk_http import Pool, percentile, scan_op, search_ops, timed
from benchmarks.http_desk_client import sqlalchemy_url

GOAL = 2.0
REPORTS = ("/reports/club", "/reports/renewals")


@dataclass
class Phase:
    loaded: bool
    desk: dict[str, list[float]] = field(default_factory=dict)   # operation -> ms
    reports: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    load: float = 0.0

    def all_desk(self) -> list[float]:
        return [t for times in self.desk.values() for t in times]


@dataclass
class Result:
    engine: str
    desk_clients: int
    report_clients: int
    phases: list[Phase] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def merged(self, loaded: bool) -> Phase:
        out = Phase(loaded)
        for phase in self.phases:
            if phase.loaded == loaded:
                for name, times in phase.desk.items():
                    out.desk.setdefault(name, []).extend(times)
                for name, times in phase.reports.items():
                    out.reports.setdefault(name, []).extend(times)
                out.statuses.update(phase.statuses)
                out.seconds += phase.seconds
        return out


def report_client(browser, stop: threading.Event, phase: Phase, lock: threading.Lock, started: threading.Event):
    """Open the report pages in turn until STOP; every answer's status counted (200, 503 too long, 500...)."""
    n = 0
    while not stop.is_set():
        path = REPORTS[n % len(REPORTS)]
        start = time.perf_counter()
        started.set()
        try:
            status, _loc, _body = browser.request("GET", path)
        except OSError as error:   # a worker killed at gunicorn's timeout drops the connection: counted, go on
            status = type(error).__name__
            browser.conn.close()
        took = (time.perf_counter() - start) * 1000
        with lock:
            phase.reports.setdefault(path, []).append(took)
            phase.statuses[f"{path} {status}"] += 1
        n += 1


def run_phase(loaded: bool, desk_browsers, report_browsers, ops, per_client: int, offset: int) -> Phase:
    phase = Phase(loaded)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    reporters = []
    if loaded:
        for browser in report_browsers:
            started = threading.Event()
            thread = threading.Thread(target=report_client, args=(browser, stop, phase, lock, started))
            thread.start()
            started.wait(30)
            reporters.append(thread)
        time.sleep(0.2)   # the report requests reach the workers before the desk starts

    def desk_client(n: int) -> None:
        try:
            for k in range(per_client):
                i = offset + n * per_client + k
                name, op = ops[i % len(ops)]
                took = timed(op, desk_browsers[n], i)
                with lock:
                    phase.desk.setdefault(name, []).append(took)
        except BaseException as error:   # reported after the phase
            errors.append(error)

    start = time.perf_counter()
    threads = [threading.Thread(target=desk_client, args=(n,)) for n in range(len(desk_browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - start
    stop.set()
    for thread in reporters:
        thread.join()
    phase.load = os.getloadavg()[0]
    if errors:
        raise errors[0]
    return phase


def compute_report_figures(url: str, club_id: int) -> None:
    """Have the worker compute CLUB_ID's stored figures and its default period's per-tool table (what its report
    pages read), as its report_refresh job does for every club."""
    from clubcrm import clock, create_app
    from clubcrm.db import unit_of_work
    from clubcrm.extensions import db
    from clubcrm.reports import refresh, tool_tables

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        with unit_of_work():
            refresh.recompute(refresh.scope_key((club_id,)), clock.utcnow())
            tool_tables.renewed(refresh.stored((club_id,)), clock.utcnow())
        for key in tool_tables.due():
            with unit_of_work():
                tool_tables.compute(key, clock.utcnow())
        db.session.remove()
        db.engine.dispose()


def run(engine: str, url: str, club_id: int, samples: int, clients: int = 8, report_clients: int = 2,
        email: str = "desk@bench.club", manager_email: str = "manager@bench.club",
        password: str = "bench-password", workers: int = 2, rounds: int = 2) -> Result:
    """Measure the desk idle and under the report load on the database at URL."""
    from benchmarks.gunicorn_run import serve_clubcrm
    from benchmarks.http_desk_client import Browser, desk_people

    desk_clients = clients - report_clients
    if desk_clients < 1 or report_clients < 1:
        raise SystemExit("--clients must exceed --report-clients, and both be at least 1")
    result = Result(engine, desk_clients, report_clients)
    people, ready = desk_people(url, club_id, seed=23)
    per_client = max(4, samples // (desk_clients * rounds))
    scans = 2 * rounds * desk_clients * per_client // 4 + desk_clients * 4
    if len(ready) < scans:
        raise RuntimeError(f"only {len(ready)} members of club {club_id} can check in now; {scans} needed")
    refused: list[str] = []
    ops = [*search_ops(people), ("scan -> card", scan_op(Pool(ready), refused))]
    compute_report_figures(url, club_id)   # as the worker does: the managers' pages then read them
    with serve_clubcrm(url, workers) as server:
        desk = [Browser(server.url).login(email, password) for _ in range(desk_clients)]
        managers = [Browser(server.url).login(manager_email, password) for _ in range(report_clients)]
        try:
            run_phase(False, desk, managers, ops, 4, 10**6)   # warm-up: every worker has served the desk
            for path in REPORTS:   # and each report once (its first view)
                managers[0].request("GET", path)
            for r in range(rounds):
                for loaded in (False, True) if r % 2 == 0 else (True, False):
                    result.phases.append(run_phase(loaded, desk, managers, ops, per_client,
                                                   len(result.phases) * desk_clients * per_client))
        finally:
            for browser in desk + managers:
                browser.close()
    if refused:
        raise RuntimeError(f"{len(refused)} check-ins not accepted, e.g. members {refused[:5]}")
    result.checks.append("every check-in was accepted and its card page said so")
    return result


def report(results: list[Result], title: str) -> int:
    """Print the mixed-load tables; return how many goals are missed."""
    print()
    print(title)
    print(f"ClubCRM under gunicorn (2 sync workers, production config). Desk clients search (name, phone, card code) "
          f"and scan -> card in turn; in the loaded phases report clients (manager login) open {', '.join(REPORTS)} "
          "in turn meanwhile. Phases alternate idle/loaded. Milliseconds per desk action as the client sees it.")
    missed = 0
    for result in results:
        idle, loaded = result.merged(False), result.merged(True)
        print()
        print(f"[{result.engine}] {result.desk_clients} desk clients + {result.report_clients} report clients; "
              "load average (1 min) after each phase: " + ", ".join(
                  f"{'loaded' if p.loaded else 'idle'} {p.load:.2f}" for p in result.phases))
        header = (f"{'desk operation':<20} {'idle p50':>9} {'p95':>8}  {'reports p50':>11} {'p95':>8}  "
                  f"{'p95 x':>6}")
        print(header)
        print("-" * len(header))
        for name in idle.desk:
            a, b = idle.desk[name], loaded.desk.get(name, [])
            print(f"{name:<20} {statistics.median(a):9.1f} {percentile(a, 95):8.1f}  {statistics.median(b):11.1f} "
                  f"{percentile(b, 95):8.1f}  {percentile(b, 95) / percentile(a, 95):5.2f}x")
        a, b = idle.all_desk(), loaded.all_desk()
        ratio = percentile(b, 95) / percentile(a, 95)
        ok = ratio <= GOAL
        missed += not ok
        print(f"{'all desk actions':<20} {statistics.median(a):9.1f} {percentile(a, 95):8.1f}  "
              f"{statistics.median(b):11.1f} {percentile(b, 95):8.1f}  {ratio:5.2f}x  goal <={GOAL:g}x "
              f"{'ok' if ok else 'MISSED'}")
        print(f"  desk actions per second: idle {len(a) / idle.seconds:.0f}, under reports "
              f"{len(b) / loaded.seconds:.0f}; max desk action under reports {max(b):.0f} ms (idle {max(a):.0f} ms)")
        for path, times in loaded.reports.items():
            print(f"  {path}: {len(times)} views under load, p50 {statistics.median(times):.0f} ms, "
                  f"max {max(times):.0f} ms")
        print("  report answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(loaded.statuses.items())))
        for check in result.checks:
            print(f"  {check}")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mixed_load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a loaded database (postgresql://... or sqlite:///...)")
    parser.add_argument("--club-id", type=int, required=True)
    parser.add_argument("--email", default="desk@bench.club", help="a desk login of that club")
    parser.add_argument("--manager-email", default="manager@bench.club", help="a manager login of that club")
    parser.add_argument("--password", default="bench-password", help="both logins' password")
    parser.add_argument("--clients", type=int, default=8, help="all clients, desk and reports")
    parser.add_argument("--report-clients", type=int, default=2)
    parser.add_argument("--samples", type=int, default=200, help="desk actions per phase kind (idle, loaded)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args(argv)
    engine = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    result = run(engine, sqlalchemy_url(args.url), args.club_id, args.samples, args.clients, args.report_clients,
                 args.email, args.manager_email, args.password, args.workers)
    missed = report([result], f"ClubCRM desk under report load: club {args.club_id} of "
                              f"{args.url.rsplit('@', 1)[-1]}; {args.samples} desk actions per phase kind")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
