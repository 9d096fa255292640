"""`make bench`: generate a club, load it into SQLite and PostgreSQL, time the desk against Core baselines.

    python -m benchmarks [--members 100000] [--visits 1000000] [--samples 200] [--warmup 20]
                         [--engines sqlite,postgresql] [--profile] [--strict] [--workdir DIR]
"""
import argparse
import gc
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing, contextmanager
from datetime import UTC, datetime

GOAL = 3.0
ENGINES = ("sqlite", "postgresql")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="timed samples per operation")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds before the samples")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated: sqlite, postgresql (default: both)")
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--profile", action="store_true", help="also cProfile search and check-in requests")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio misses the goal")
    parser.add_argument("--workdir", help="where the SQLite file goes (default: a temporary folder)")
    parser.add_argument("--analyze-sqlite", action="store_true",
                        help="run ANALYZE on the SQLite file after loading (the app never does)")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown or not args.engines:
        parser.error(f"--engines takes {', '.join(ENGINES)}; got {args.engines}")
    return args


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
    from benchmarks import dataset, desk
    from tests.conftest import migrate_to_head

    phases = Phases()
    workdir = args.workdir or tempfile.mkdtemp(prefix="clubcrm-bench-")
    os.makedirs(workdir, exist_ok=True)
    cluster = None
    urls: dict[str, str] = {}
    results = []
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        with phases(f"generate {args.members:,} members, {args.visits:,} visits"):
            ds = dataset.generate(args.members, args.visits, now, seed=args.seed)
        print("   " + ", ".join(f"{k}={v:,}" for k, v in ds.counts.items()), flush=True)
        if "sqlite" in args.engines:
            path = os.path.join(workdir, "bench.db")
            if os.path.exists(path):
                os.remove(path)
            urls["sqlite"] = f"sqlite:///{path}"
            with phases("sqlite: migrate to head"):
                migrate_to_head(urls["sqlite"])
            with phases("sqlite: bulk load (executemany, one transaction)"):
                dataset.load(urls["sqlite"], ds)
            if args.analyze_sqlite:
                with phases("sqlite: ANALYZE"), closing(sqlite3.connect(path)) as conn:
                    conn.execute("ANALYZE")
                    conn.commit()
        if "postgresql" in args.engines:
            from tests.postgres import Cluster

            with phases("postgresql: start throwaway cluster (fsync=off)"):
                cluster = Cluster().start()
                urls["postgresql"] = cluster.create_database("bench")
            with phases("postgresql: migrate to head"):
                migrate_to_head(urls["postgresql"])
            with phases("postgresql: bulk load (COPY) + VACUUM ANALYZE"):
                dataset.load(urls["postgresql"], ds)
        # A million row tuples would make every full collection slow: keep them out of the timings.
        ds.drop_rows()
        gc.collect()
        gc.freeze()
        for engine in args.engines:
            with phases(f"{engine}: measure ({args.warmup} warm-up + {args.samples} samples per operation)"):
                results.append(desk.run(engine, urls[engine], ds, args.samples, args.warmup,
                                        profile=args.profile))
        missed = report(args, ds, results, cluster, phases)
    finally:
        if cluster is not None:
            cluster.stop()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if args.strict and missed else 0


def report(args, ds, results, cluster, phases: Phases) -> int:
    """Print the tables; return how many ratios miss the goal."""
    print()
    print("=" * 110)
    print(f"ClubCRM desk benchmark: {ds.counts['members']:,} members, {ds.counts['visits']:,} visits, "
          f"{ds.counts['memberships']:,} memberships; {args.samples} samples after {args.warmup} warm-up")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}"
          + (f", PostgreSQL {server_version(cluster)} (throwaway cluster on loopback: fsync=off, "
             "synchronous_commit=off, full_page_writes=off)" if cluster else ""))
    if "sqlite" in args.engines:
        print("SQLite: file database, WAL, synchronous=NORMAL (the app's settings), "
              + ("ANALYZE run after loading (--analyze-sqlite)." if args.analyze_sqlite
                 else "no ANALYZE (the app never runs it)."))
    print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + " (other processes on the machine skew absolute times; ratios are interleaved)")
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
            print(f"  cProfile, {args.samples} requests, {label}:")
            print("\n".join("    " + line for line in text.strip().splitlines()))
    print()
    print("Wall time per phase:")
    for name, took in phases.done:
        print(f"  {name:<70} {took:7.1f} s")
    print(f"  {'total':<70} {phases.total():7.1f} s")
    print(f"Goal (each median within {GOAL:g}x of its baseline): "
          + ("met" if not missed else f"MISSED by {missed} row(s)"))
    return missed


def server_version(cluster) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=clubcrm dbname=postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
