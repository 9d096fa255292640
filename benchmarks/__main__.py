"""`make bench`: generated clubs on SQLite and PostgreSQL; the desk, the lifecycle pass and SMS dispatch vs baselines.

Each benchmark is timed against a baseline measured in the same run, sample by sample.

    python -m benchmarks [--only desk_http,mixed_load,member_page,lifecycle,dispatch,reports,imports,moving_in,...]
                         [--members 100000] [--visits N] [--samples N] [--warmup N] [--engines sqlite,postgresql]
                         [--profile] [--strict] [--workdir DIR] [--fault-messages 400] [--moving-in-members 5000]
                         [--clients 8]

PostgreSQL runs in a durable throwaway cluster (fsync, synchronous_commit, full_page_writes on:
benchmarks/durable_pg.py), so that commits cost what they cost in production.

desk_http: the desk over real HTTP, ClubCRM under gunicorn (2 workers, production config) against a plain-Flask floor
doing the same SQL (benchmarks/floor_app.py): search by name, phone and card code, and scan -> card (the check-in
and the member card it redirects to), at 1 and at --clients clients; a club of 100,000 members, 3,000,000 visits,
touchpoints, open tasks and SMS (benchmarks/desk_data.py), 200 samples after 20 warm-up rounds;
mixed_load: the same desk with 6 desk clients, idle and while 2 more clients open the KPI and renewal report pages;
member_page: the member page (GET /m/<token>, the link in an SMS) over real HTTP, ClubCRM under gunicorn against a
plain-Flask floor route doing the same SQL and showing the same page (benchmarks/member_page_http.py), at 1 and at
--clients clients; 200 links minted into the desk club above (the same club when desk_http runs too), 200 samples
after 20 warm-up rounds;
desk: the old in-process variant (Flask's test client, check-in stopped at its 302, baseline a one-row Core
lookup), kept for --profile (cProfile of the requests) and no longer run by default;
lifecycle: one pass over 100,000 members and 3,000,000 visits, 3 samples after 1 warm-up round;
dispatch: 2,000 SMS to a fake Twilio on loopback (--messages), 3 samples, no warm-up, vs the bare SDK;
reports: the renewal report over 100,000 cycles and 1,500,000 touchpoints, 5 samples after 1 warm-up round;
report_views: the KPI page and the renewals page read from the stored figures against one raw query of them, and the
worker's refresh against hand-written SQL of the same aggregates (--members; benchmarks/report_views.py);
imports: 50,000-row member files (UTF-8 commas, cp1251 semicolons) imported and dry-run, 3 samples after 1 warm-up;
moving_in: a peer system's files of 5,000 members (--moving-in-members): 10,000 memberships and 200,000 visits
imported, 3 samples after 1 warm-up;
faults_contracts: the contract fault experiments (tests/faults/test_contracts_*) for --rounds rounds, then `check`.
faults_dispatch: 400 SMS (--fault-messages), a slow fake Twilio, 3 dispatchers a round, one SIGKILLed: 0 duplicates,
0 lost.
"""
import argparse
import gc
import importlib
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from contextlib import closing, contextmanager
from datetime import UTC, datetime

GOAL = 3.0
ENGINES = ("sqlite", "postgresql")
BENCHMARKS = ("desk_http", "mixed_load", "member_page", "lifecycle", "dispatch", "reports", "report_views", "imports",
              "moving_in", "faults_contracts", "faults_dispatch", "desk")
# Run unless --only names them.
NOT_BY_DEFAULT = ("desk",)
# Per benchmark: visits, samples, warm-up rounds (--visits, --samples, --warmup override them).
DEFAULTS = {"desk_http": (3_000_000, 200, 20), "mixed_load": (3_000_000, 200, 0),
            "member_page": (3_000_000, 200, 20), "desk": (1_000_000, 200, 20),
            "lifecycle": (3_000_000, 3, 1), "dispatch": (0, 3, 0),
            "reports": (0, 5, 1), "report_views": (0, 5, 1), "imports": (0, 3, 1), "moving_in": (0, 3, 1),
            "faults_contracts": (0, 0, 0),
            "faults_dispatch": (0, 1, 0)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(b for b in BENCHMARKS if b not in NOT_BY_DEFAULT),
                        help="comma-separated: desk_http, mixed_load, member_page, lifecycle, dispatch, reports, "
                        "report_views, "
                        "imports, moving_in, faults_contracts, faults_dispatch, desk (default: all but desk)")
    parser.add_argument("--clients", type=int, default=8,
                        help="concurrent clients of desk_http, mixed_load and member_page")
    parser.add_argument("--messages", type=int, default=2_000, help="SMS per dispatch sample (default 2,000)")
    parser.add_argument("--fault-messages", type=int, default=400,
                        help="SMS of the dispatch fault experiment (default 400)")
    parser.add_argument("--members", type=int, default=100_000,
                        help="members of the generated clubs, and already in the clubs imports go into")
    parser.add_argument("--import-rows", type=int, default=50_000, help="rows of each imported file")
    parser.add_argument("--moving-in-members", type=int,
                        help="members of the moving_in files (default 5,000: 10,000 memberships, 200,000 visits)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the contract fault experiments")
    parser.add_argument("--visits", type=int, help="default: 3,000,000 for desk_http, mixed_load and lifecycle, "
                        "1,000,000 for desk")
    parser.add_argument("--samples", type=int, help="timed samples per operation (default: desk 200, lifecycle 3)")
    parser.add_argument("--warmup", type=int, help="untimed rounds before the samples (default: desk 20, "
                        "lifecycle 1)")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated: sqlite, postgresql (default: both)")
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile search and check-in requests, and time the parts of a lifecycle pass")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio misses the goal")
    parser.add_argument("--workdir", help="where the SQLite file goes (default: a temporary folder)")
    parser.add_argument("--analyze-sqlite", action="store_true",
                        help="run ANALYZE on the SQLite file after loading (the app never does)")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown or not args.engines:
        parser.error(f"--engines takes {', '.join(ENGINES)}; got {args.engines}")
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    if set(args.only) - set(BENCHMARKS) or not args.only:
        parser.error(f"--only takes {', '.join(BENCHMARKS)}; got {args.only}")
    return args


def sizes(args: argparse.Namespace, benchmark: str) -> tuple[int, int, int]:
    """Visits, samples and warm-up rounds of BENCHMARK: the options given, else its defaults."""
    visits, samples, warmup = DEFAULTS[benchmark]
    return (args.visits if args.visits is not None else visits,
            args.samples if args.samples is not None else samples,
            args.warmup if args.warmup is not None else warmup)


class Phases:
    """Wall time of each phase, printed as it ends and again in the summary."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float]] = []
        self.start = time.perf_counter()

    @contextmanager
    def __call__(self, name: str):
        print(f"-- {name} ...", flush=True)
        start = time.perf_counter()
        yield
        took = time.perf_counter() - start
        self.done.append((name, took))
        print(f"   {name}: {took:.1f} s", flush=True)

    def total(self) -> float:
        return time.perf_counter() - self.start


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The app and the tests' helpers are imported from the project root (make bench runs there).
    sys.path.insert(0, os.getcwd())

    phases = Phases()
    workdir = args.workdir or tempfile.mkdtemp(prefix="clubcrm-bench-")
    os.makedirs(workdir, exist_ok=True)
    cluster = None
    missed = 0
    failed: list[str] = []

    def part(name: str, run) -> None:
        """Measure and print one benchmark now (a later one that fails loses nothing printed); a failure is
        reported with its traceback and the run goes on to the next."""
        nonlocal missed
        if name not in args.only:
            return
        try:
            missed += run()
        except Exception:
            traceback.print_exc()
            print(f"!! {name}: FAILED (traceback above); going on with the next benchmark", flush=True)
            failed.append(name)
        print("Load average (1, 5, 15 min) after " + name + ": "
              + ", ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)

    try:
        now = datetime.now(UTC).replace(microsecond=0)
        if "postgresql" in args.engines:
            from benchmarks.durable_pg import DurableCluster

            with phases("postgresql: start throwaway cluster (durable: fsync on)"):
                cluster = DurableCluster().start()
        print("=" * 110)
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}"
              + (f", PostgreSQL {server_version(cluster)} (throwaway cluster on loopback, durable: fsync, "
                 "synchronous_commit and full_page_writes on)" if cluster else ""))
        if "sqlite" in args.engines:
            print("SQLite: file database, WAL, synchronous=NORMAL (the app's settings), "
                  + ("ANALYZE run after loading (--analyze-sqlite)." if args.analyze_sqlite
                     else "no ANALYZE (the app never runs it)."))
        print("Each benchmark's tables are printed as it ends, with the load average then (other processes on the "
              "machine skew absolute times; ratios are interleaved).", flush=True)

        def desk_and_mixed() -> int:
            desk_data, http_results = measure_desk_http(args, now, workdir, cluster, phases)
            found = 0
            if http_results.get("desk_http"):
                from benchmarks import desk_http

                _v, samples, warmup = sizes(args, "desk_http")
                found += desk_http.report(http_results["desk_http"], desk_http_title(desk_data, samples, warmup))
            if http_results.get("mixed_load"):
                from benchmarks import mixed_load

                _v, samples, _w = sizes(args, "mixed_load")
                found += mixed_load.report(http_results["mixed_load"], desk_http_title(
                    desk_data, samples, None, "ClubCRM desk under report load"))
            if http_results.get("member_page"):
                from benchmarks import member_page_http

                _v, samples, warmup = sizes(args, "member_page")
                found += member_page_http.report(http_results["member_page"], desk_http_title(
                    desk_data, samples, warmup,
                    f"ClubCRM member page over HTTP, {member_page_http.LINKS} links minted into the desk club"))
            return found

        desk_club = [b for b in ("desk_http", "mixed_load", "member_page") if b in args.only]
        if desk_club:   # one generated desk club for all three
            part(desk_club[0], desk_and_mixed)

        def desk() -> int:
            ds, desk_results = measure_desk(args, now, workdir, cluster, phases)
            return report(args, ds, desk_results)

        def lifecycle() -> int:
            hist, lifecycle_results = measure_lifecycle(args, now, workdir, cluster, phases)
            return report_lifecycle(args, hist, lifecycle_results)

        def dispatch() -> int:
            return report_dispatch(args, measure_dispatch(args, now, workdir, cluster, phases))

        def module_part(name: str):
            """A benchmark in a module of its own (measure, then report)."""
            def run() -> int:
                module = importlib.import_module(f"benchmarks.{name}")
                measured = module.measure(args, now, workdir, cluster, phases)
                if name in ("faults_contracts",):
                    return module.report(measured)
                if name in ("faults_dispatch",):
                    return module.report(args, measured)
                data, results = measured
                return module.report(args, data, results)
            return run

        def report_views() -> int:   # its own club and cluster: the KPI page, renewals and their refresh
            from benchmarks import report_views as views

            return views.main(["--members", str(args.members), "--engines", ",".join(args.engines),
                               "--seed", str(args.seed), *(["--profile"] if args.profile else [])])

        part("desk", desk)
        part("lifecycle", lifecycle)
        part("dispatch", dispatch)
        for name in ("reports", "imports", "moving_in", "faults_contracts", "faults_dispatch"):
            part(name, module_part(name))
        part("report_views", report_views)
        print()
        print("Wall time per phase:")
        for name, took in phases.done:
            print(f"  {name:<70} {took:7.1f} s")
        print(f"  {'total':<70} {phases.total():7.1f} s")
        print("Goals: " + ("met" if not missed else f"MISSED by {missed} row(s)"))
        if failed:
            print("FAILED (no figures): " + ", ".join(failed))
    finally:
        if cluster is not None:
            cluster.stop()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed or (args.strict and missed) else 0


def prepare(engine: str, name: str, workdir: str, cluster, phases: Phases, load) -> str:
    """A migrated database NAME on ENGINE, filled by LOAD(url); return its URL."""
    from tests.conftest import migrate_to_head

    if engine == "sqlite":
        path = os.path.join(workdir, f"{name}.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        url = f"sqlite:///{path}"
    else:
        url = cluster.create_database(name)
    with phases(f"{engine}: {name}: migrate to head"):
        migrate_to_head(url)
    how = "executemany, one transaction" if engine == "sqlite" else "COPY + VACUUM ANALYZE"
    with phases(f"{engine}: {name}: bulk load ({how})"):
        load(url)
    return url


def analyze_sqlite(url: str, phases: Phases) -> None:
    with phases("sqlite: ANALYZE"), closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        conn.execute("ANALYZE")
        conn.commit()


def prepare_engines(args, name: str, workdir: str, cluster, phases: Phases, load) -> dict[str, str]:
    """Migrate and LOAD a database named NAME on every engine of the run; return their URLs."""
    urls = {}
    for engine in args.engines:
        urls[engine] = prepare(engine, name, workdir, cluster, phases, load)
        if engine == "sqlite" and args.analyze_sqlite:
            analyze_sqlite(urls[engine], phases)
    return urls


def measure_desk(args, now: datetime, workdir: str, cluster, phases: Phases):
    from benchmarks import dataset, desk

    visits, samples, warmup = sizes(args, "desk")
    with phases(f"desk: generate {args.members:,} members, {visits:,} visits"):
        ds = dataset.generate(args.members, visits, now, seed=args.seed)
    print("   " + ", ".join(f"{k}={v:,}" for k, v in ds.counts.items()), flush=True)
    urls = prepare_engines(args, "bench", workdir, cluster, phases, lambda url: dataset.load(url, ds))
    # A million row tuples would make every full collection slow: keep them out of the timings.
    ds.drop_rows()
    gc.collect()
    gc.freeze()
    results = []
    for engine in args.engines:
        with phases(f"{engine}: desk: measure ({warmup} warm-up + {samples} samples per operation)"):
            results.append(desk.run(engine, urls[engine], ds, samples, warmup, profile=args.profile))
    return ds, results


def measure_desk_http(args, now: datetime, workdir: str, cluster, phases: Phases):
    """One generated desk club on every engine; the HTTP desk bench, the mixed load and the member page on it."""
    from benchmarks import dataset, desk_data, desk_http, member_page_http, mixed_load

    visits, samples, warmup = sizes(args, "desk_http" if {"desk_http", "mixed_load"} & set(args.only)
                                    else "member_page")
    with phases(f"desk_http: generate {args.members:,} members, {visits:,} visits, touchpoints, tasks, SMS"):
        data = desk_data.generate(args.members, visits, now, seed=args.seed)
    print("   " + ", ".join(f"{k}={v:,}" for k, v in data.counts.items()), flush=True)
    urls = prepare_engines(args, "bench_desk_http", workdir, cluster, phases,
                           lambda url: dataset.load_rows(url, data.head, data.tables))
    data.drop_rows()
    gc.collect()
    results: dict[str, list] = {"desk_http": [], "mixed_load": [], "member_page": []}
    for engine in args.engines:
        if "desk_http" in args.only:
            with phases(f"{engine}: desk_http: measure (1 and {args.clients} clients, {warmup} warm-up + "
                        f"{samples} samples per operation)"):
                results["desk_http"].append(desk_http.run(engine, urls[engine], dataset.CLUB_ID, samples, warmup,
                                                          args.clients, desk_data.DESK_EMAIL, desk_data.PASSWORD,
                                                          profile=args.profile))
        if "mixed_load" in args.only:
            _v, mixed_samples, _w = sizes(args, "mixed_load")
            with phases(f"{engine}: mixed_load: measure ({args.clients} clients, {mixed_samples} desk actions "
                        "idle and as many under reports)"):
                results["mixed_load"].append(mixed_load.run(
                    engine, urls[engine], dataset.CLUB_ID, mixed_samples, args.clients, 2, desk_data.DESK_EMAIL,
                    desk_data.MANAGER_EMAIL, desk_data.PASSWORD))
        if "member_page" in args.only:
            _v, page_samples, page_warmup = sizes(args, "member_page")
            # The servers run on the real clock: links minted now, expiring in 30 days.
            with phases(f"{engine}: member_page: mint {member_page_http.LINKS} links"):
                minted = member_page_http.mint(urls[engine], dataset.CLUB_ID, datetime.now(UTC),
                                               seed=args.seed)
            with phases(f"{engine}: member_page: measure (1 and {args.clients} clients, {page_warmup} warm-up + "
                        f"{page_samples} samples)"):
                results["member_page"].append(member_page_http.run(
                    engine, urls[engine], dataset.CLUB_ID, page_samples, page_warmup, args.clients,
                    minted=minted))
    return data, results


def desk_http_title(data, samples: int, warmup: int | None, what: str = "ClubCRM desk over HTTP") -> str:
    c = data.counts
    return (f"{what}: {c['member']:,} members, {c['membership']:,} memberships, {c['visit']:,} "
            f"visits, {c['touchpoint']:,} touchpoints ({c['open_tasks']:,} open tasks), {c['message']:,} SMS, "
            f"{c['booking']:,} bookings; {samples} samples per operation"
            + (f" after {warmup} warm-up" if warmup is not None else ""))


def club_midday(now: datetime) -> datetime:
    """Noon of NOW's day in the bench club's zone. The lifecycle bench's hourly reruns come an hour after its pass
    and must fall on the same club day: started after 23:00 in the club, they planned the next day afresh and the
    run reported a rerun that planned thousands (seen at 21:45 UTC, 23:45 in Helsinki)."""
    from zoneinfo import ZoneInfo

    from benchmarks.dataset import TZ_NAME

    local = now.astimezone(ZoneInfo(TZ_NAME))
    return local.replace(hour=12, minute=0, second=0, microsecond=0).astimezone(UTC)


def measure_lifecycle(args, now: datetime, workdir: str, cluster, phases: Phases):
    from benchmarks import dataset, lifecycle, lifecycle_data

    visits, samples, warmup = sizes(args, "lifecycle")
    now = club_midday(now)
    with phases(f"lifecycle: generate {args.members:,} members, {visits:,} visits over two years"):
        hist = lifecycle_data.generate(args.members, visits, now, seed=args.seed)
    print("   " + ", ".join(f"{k}={v:,}" for k, v in hist.counts.items()), flush=True)
    urls = prepare_engines(args, "bench_lifecycle", workdir, cluster, phases,
                           lambda url: dataset.load_rows(url, hist.head, hist.tables))
    hist.drop_rows()
    gc.collect()
    gc.freeze()
    results = []
    for engine in args.engines:
        with phases(f"{engine}: lifecycle: measure ({warmup} warm-up + {samples} samples, "
                    "then fresh processes)"):
            results.append(lifecycle.run(engine, urls[engine], now, samples, warmup, profile=args.profile))
    return hist, results


def measure_dispatch(args, now: datetime, workdir: str, cluster, phases: Phases):
    from benchmarks import dispatch

    _unused, samples, warmup = sizes(args, "dispatch")
    results = []
    for engine in args.engines:
        url = prepare(engine, "bench_dispatch", workdir, cluster, phases, lambda url: None)
        with phases(f"{engine}: dispatch: measure ({warmup} warm-up + {samples} samples of {args.messages:,} SMS)"):
            results.append(dispatch.run(engine, url, now, args.messages, samples, warmup))
    return results


def report_dispatch(args, results) -> int:
    """Print the dispatch table; return how many rates miss the goal."""
    from benchmarks.dispatch import GOAL as RATE_GOAL

    _unused, samples, warmup = sizes(args, "dispatch")
    print()
    print(f"ClubCRM SMS dispatch benchmark: {args.messages:,} messages queued fresh per sample, one dispatcher, "
          f"fake Twilio on loopback (tests.fake_twilio); {samples} samples after {warmup} warm-up")
    print("Dispatch: clubcrm.sms.dispatch.dispatch(per_second=None, then the configured TWILIO_MESSAGES_PER_SECOND), "
          "commit after each send, clock pinned at 10:00 UTC (inside the club's sending window); baseline unthrottled: "
          "the SDK (client.messages.create) in a loop with the same durable commit per hand-over; paced: the bare SDK "
          "paced the same way; same client and server; interleaved.")
    missed = 0
    for result in results:
        print()
        print(f"[{result.engine}]")
        header = (f"{'operation':<52} {'median msg/s':>12} {'min msg/s':>10} {'ratio':>6}  "
                  f"goal >={RATE_GOAL:g}x baseline")
        print(header)
        print("-" * len(header))
        # The unthrottled goal is judged against the SDK doing the same durable commits (the brief: a baseline does
        # the same work, same commits, fsync on); the bare SDK's ratio is printed beside it. Paced, the two coincide.
        unthrottled = result.committed_ratio if result.committed else result.ratio
        rows = [(f"dispatch, unthrottled ({result.messages:,} a sample)", result.dispatch,
                 result.committed or result.baseline, unthrottled,
                 "the SDK with the same commits" if result.committed else "bare SDK"),
                (f"dispatch at the configured {result.rate:g}/s ({result.throttled_messages} a sample)",
                 result.throttled, result.throttled_baseline, result.throttled_ratio, "bare SDK, paced alike")]
        for n, (label, rates, base, ratio, name) in enumerate(rows):
            ok = ratio >= RATE_GOAL
            missed += not ok
            print(f"{label:<52} {statistics.median(rates):12.1f} {min(rates):10.1f} {ratio:5.2f}x  "
                  f"{'ok' if ok else 'MISSED'}")
            print(f"{'  ' + name:<52} {statistics.median(base):12.1f} {min(base):10.1f}")
            if n == 0 and result.committed:
                print(f"{'  bare SDK (no commits)':<52} {statistics.median(result.baseline):12.1f} "
                      f"{min(result.baseline):10.1f} {result.ratio:5.2f}x  (informative: dispatch / this)")
        for check in result.checks:
            print(f"  {check}")
    return missed


def report(args, ds, results) -> int:
    """Print the desk's tables; return how many ratios miss the goal."""
    _visits, samples, warmup = sizes(args, "desk")
    print()
    print(f"ClubCRM desk benchmark: {ds.counts['members']:,} members, {ds.counts['visits']:,} visits, "
          f"{ds.counts['memberships']:,} memberships; {samples} samples after {warmup} warm-up")
    print("Requests: Flask test client, logged in as desk staff; baselines: SQLAlchemy Core, no Flask, "
          "same database, interleaved sample by sample.")
    missed = 0
    for result in results:
        print()
        print(f"[{result.engine}]")
        header = (f"{'operation':<38} {'median ms':>9} {'p95 ms':>8}  {'baseline':<33} {'median ms':>9} "
                  f"{'p95 ms':>7} {'ratio':>6}  goal <={GOAL:g}x")
        print(header)
        print("-" * len(header))
        for row in result.rows:
            ok = row.ratio <= GOAL
            missed += row.goal and not ok
            verdict = "(context)" if not row.goal else "ok" if ok else "MISSED"
            print(f"{row.operation:<38} {row.median:9.2f} {row.p95:8.2f}  {row.baseline:<33} "
                  f"{row.base_median:9.3f} {row.base_p95:7.3f} {row.ratio:5.1f}x  {verdict}")
        for row in result.rows:
            if row.note:
                print(f"  {row.operation}: {row.note}")
        for check in result.checks:
            print(f"  {check}")
        print("  SQL statements per request (before_cursor_execute):")
        for label, statements in result.statements.items():
            print(f"    {label}: {len(statements)}")
            for statement in statements:
                print(f"      - {statement[:150]}{'...' if len(statement) > 150 else ''}")
        for label, text in result.profiles.items():
            print(f"  cProfile, {samples} requests, {label}:")
            print("\n".join("    " + line for line in text.strip().splitlines()))
    return missed


def report_lifecycle(args, hist, results) -> int:
    """Print the lifecycle pass's tables; return how many goals it misses."""
    from benchmarks.lifecycle import GOAL as PASS_GOAL, MEMORY_GOAL_MB, print_ratio_table

    _visits, samples, warmup = sizes(args, "lifecycle")
    c = hist.counts
    print()
    print(f"ClubCRM lifecycle benchmark: {c['member']:,} people ({c['open leads']:,} open leads in lead cycles of the "
          f"last 60 days, {c['leads']:,} older leads; {c['regulars']:,} "
          f"regulars, {c['faders']:,} faders, {c['silents']:,} gone silent lately, {c['nevers']:,} never "
          f"came), {c['membership']:,} memberships, {c['freeze']:,} freezes, {c['visit']:,} visits over "
          f"two years, {c['package']:,} packages, {c['club_session']:,} sessions, {c['booking']:,} "
          f"bookings, {c['staff_contact']:,} staff contacts, {c['touchpoint']:,} earlier touchpoints; "
          f"{samples} samples after {warmup} warm-up")
    print("Pass: engine.run(now, dry_run=True) in an app context, then rollback; baseline: two raw SQL "
          "statements (text(), CTEs) computing the same per-member and per-open-lead facts, every row fetched; "
          "interleaved.")
    print("Memory: fresh spawned processes; 'before' is the RSS just before the run (interpreter, app, one "
          "query), 'peak' the RSS high-water mark during it (VmHWM reset before the run; resident memory, "
          "so C allocations count too).")
    missed = 0
    for result in results:
        missed += not print_ratio_table(result.engine, result.passes, result.baseline, result.ratio, PASS_GOAL)
        print()
        header = (f"{'fresh process':<28} {'seconds':>8} {'before MB':>10} {'peak MB':>8} {'growth MB':>10} "
                  f"{'rows/touchpoints':>17} {'statements':>11}  goal peak <{MEMORY_GOAL_MB} MB")
        print(header)
        print("-" * len(header))
        for child in result.children:
            verdict = ""
            if child.what == "dry run":
                ok = child.peak_mb < MEMORY_GOAL_MB
                missed += not ok
                verdict = "ok" if ok else "MISSED"
            print(f"{child.what:<28} {child.seconds:8.2f} {child.rss_before_mb:10.0f} {child.peak_mb:8.0f} "
                  f"{child.growth_mb:10.0f} {child.touchpoints:17,} {child.statements:11}  {verdict}")
        timed = {child.what: child.seconds for child in result.children}
        if timed.get("writing pass") and timed.get("baseline + the same writes"):
            ratio = timed["writing pass"] / timed["baseline + the same writes"]
            ok = ratio <= PASS_GOAL
            missed += not ok
            print(f"  writing pass / (baseline + the same writes) (fresh processes, one run each): {ratio:.2f}x  "
                  f"goal <={PASS_GOAL:g}x {'ok' if ok else 'MISSED'}; against the read-only baseline: "
                  f"{timed['writing pass'] / timed['baseline']:.2f}x")
        for check in result.checks:
            print(f"  {check}")
        planned = result.planned
        print("  plan of a dry run (tool: sms / task / held_out / skipped):")
        for tool in sorted({t for t, _c in planned}):
            cells = " / ".join(f"{planned[(tool, k)]:,}" for k in ("sms", "task", "held_out", "skipped"))
            print(f"    {tool:<18} {cells}")
        print(f"  SQL statements per dry run (before_cursor_execute): {len(result.statements)}")
        for statement in result.statements:
            print(f"      - {statement[:150]}{'...' if len(statement) > 150 else ''}")
        if result.phases:
            print("  parts of one dry run, timed apart (no profiler):")
            for name, took in result.phases:
                print(f"    {name:<100} {took:7.3f} s")
        if result.profile:
            print("  cProfile of one dry run:")
            print("\n".join("    " + line for line in result.profile.strip().splitlines()))
    return missed


def server_version(cluster) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=clubcrm dbname=postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
