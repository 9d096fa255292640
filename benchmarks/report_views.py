"""The report pages read from stored partial aggregates (issue 15), on one generated club, on each engine.

    python -m benchmarks.report_views [--members 100000] [--visits N] [--samples 5] [--warmup 1]
                                      [--engines postgresql,sqlite] [--seed N]

Two comparisons, each against a same-run baseline doing the same work, samples interleaved after warm-up:

* snapshot view: GET /reports/club (the KPI page, default period: the year up to today, all plans) and
  GET /reports/renewals through the app's test client, logged in as a manager, against reading the scope's stored
  counts with one raw query (the rows the KPI page sums). Goal: within 2x. Both pages read stored figures only
  (the renewals page its stored per-tool table, computed by the worker first, as at night). A web worker keeps a
  page's rendered charts and tables while the figures are the same (blueprints/report_bodies.py), so a snapshot
  view is one after the first; the first view after a recompute (the kept bodies forgotten before each sample) is
  shown beside it, without a goal.
* fresh computation: the worker's refresh of the club's scope (clubcrm.reports.refresh.recompute: every KPI and
  renewal figure for all history, all plans, written), against hand-written SQL reading the same facts grouped as
  far as SQL takes them (memberships, visits per week and plan, leads with their first contact, sales per day,
  cycles per last day), without Python and without writing. Goal: within 2x.

The data is the lifecycle benchmark's two years of one club (benchmarks/lifecycle_data.py: 30 visits a member by
default). Run at 100,000 members by `make bench` once registered (benchmarks/__main__.py is the lead's).
"""
import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

MANAGER_EMAIL = "bench-manager@example.com"
MANAGER_PASSWORD = "bench-manager-pass-2026"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_views", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--visits", type=int, help="default: 30 per member")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--engines", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--profile", action="store_true", help="print where one refresh spends its time")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not args.engines or set(args.engines) - {"postgresql", "sqlite"}:
        parser.error("--engines takes postgresql, sqlite")
    args.analyze_sqlite = False   # prepare_engines reads it
    return args


def baseline_sql(dialect: str, tz: str) -> list[str]:
    """The facts the refresh aggregates, read with plain SQL and grouped in the database where SQL can."""
    if dialect == "postgresql":
        week = f"date_trunc('week', v.checked_in_at AT TIME ZONE '{tz}')"
        day = "(({col}) AT TIME ZONE '" + tz + "')::date"
    else:   # SQLite has no zones: UTC days (a cheaper grouping than the product's, which is exact)
        week = "date(v.checked_in_at, 'weekday 0', '-6 days')"
        day = "date({col})"
    took = "(m.cancelled_on IS NULL OR m.cancelled_on > m.starts_on)"
    return [
        "SELECT m.id, m.member_id, m.plan_id, m.renews_id, m.starts_on, m.ends_on, m.cancelled_on FROM membership m "
        f"WHERE m.club_id = 1 AND {took} ORDER BY m.member_id, m.starts_on, m.id",
        f"SELECT {week} AS week, m.plan_id, count(*) FROM visit v JOIN member p ON p.id = v.member_id "
        "LEFT JOIN membership m ON m.id = v.membership_id WHERE p.club_id = 1 GROUP BY 1, 2",
        f"SELECT {day.format(col='p.created_at')} AS day, count(*), "
        "count(CASE WHEN p.converted_at IS NOT NULL THEN 1 END), min(c.first) FROM member p LEFT JOIN "
        "(SELECT member_id, min(created_at) AS first FROM staff_contact GROUP BY member_id) c ON c.member_id = p.id "
        "WHERE p.club_id = 1 GROUP BY 1",
        f"SELECT {day.format(col='m.sold_at')} AS day, m.plan_id, m.currency, count(*), sum(m.price_minor) "
        f"FROM membership m WHERE m.club_id = 1 AND {took} GROUP BY 1, 2, 3",
        "SELECT m.plan_id, m.ends_on, count(*), sum(CASE WHEN EXISTS (SELECT 1 FROM membership r WHERE r.renews_id "
        "= m.id) THEN 1 ELSE 0 END) FROM membership m WHERE m.club_id = 1 GROUP BY 1, 2",
    ]


def run(engine: str, url: str, samples: int, warmup: int,
        profile: bool = False) -> list[tuple[str, list[float], list[float], str]]:
    """Time each comparison on ENGINE; return (label, product, baseline, baseline's name) rows."""
    from sqlalchemy import text

    from benchmarks.apps import app_and_core
    from benchmarks.dataset import CLUB_ID
    from clubcrm import clock
    from clubcrm.db import unit_of_work
    from clubcrm.extensions import db
    from clubcrm.models import Club
    from clubcrm.reports import refresh
    from clubcrm.services.auth import create_staff

    rows = []
    with app_and_core(url) as (app, core), app.app_context():
        with unit_of_work():
            create_staff(MANAGER_EMAIL, "manager", MANAGER_PASSWORD, CLUB_ID)
        club = db.session.get(Club, CLUB_ID)
        key = refresh.scope_key((CLUB_ID,))
        client = app.test_client()
        if client.post("/login", data={"email": MANAGER_EMAIL, "password": MANAGER_PASSWORD}).status_code != 302:
            raise SystemExit("login failed")
        # Before any refresh: the page answers "being computed" at once.
        start = time.perf_counter()
        first = client.get("/reports/club")
        computing = time.perf_counter() - start
        if b"data-report-computing" not in first.data:
            raise SystemExit("the page computed instead of saying 'being computed'")
        print(f"   {engine}: first view, no figures yet: {computing * 1000:.1f} ms ('being computed')", flush=True)

        queries = baseline_sql(core.dialect.name, club.timezone)
        fresh, raw = [], []
        for i in range(warmup + samples):
            db.session.rollback()
            gc.collect()
            t = time.perf_counter()
            with unit_of_work():
                stored = refresh.recompute(key, clock.utcnow())
            if i >= warmup:
                fresh.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            with core.connect() as connection:
                for sql in queries:
                    connection.execute(text(sql)).fetchall()
            if i >= warmup:
                raw.append(time.perf_counter() - t)
        print(f"   {engine}: {stored:,} rows stored per refresh", flush=True)
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            with unit_of_work():
                profiler.runcall(refresh.recompute, key, clock.utcnow())
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        rows.append(("fresh computation (refresh)", fresh, raw, "hand-written SQL, same facts"))

        row = refresh.stored((CLUB_ID,))
        today = row.as_of
        # The per-tool table of the renewals page's default period, computed as the worker does at night.
        from clubcrm.reports import tool_tables

        with unit_of_work():
            tool_tables.renewed(row, clock.utcnow())
        for due in tool_tables.due():
            with unit_of_work():
                tool_tables.compute(due, clock.utcnow())
        read = text("SELECT plan_id, figure, day, k, value FROM report_count WHERE refresh_id = :id "
                    "AND plan_id IN (0) AND day BETWEEN :first AND :last")
        window = {"id": row.id, "first": (today - timedelta(days=364)).replace(day=1), "last": today}
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(client.get, "/reports/club")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        # A page's charts and tables are rendered once per generation of the figures and kept by the web worker
        # (blueprints/report_bodies.py): "snapshot view" is a view after the first; "first view" forgets the kept
        # bodies before each sample, as the first view after the night's recompute is (shown, not judged).
        from blueprints import report_bodies

        for label, path, forget in (("KPI page, snapshot view", "/reports/club", False),
                                    ("renewals page, snapshot view", "/reports/renewals", False),
                                    ("KPI page, first view", "/reports/club", True),
                                    ("renewals page, first view", "/reports/renewals", True)):
            page, one = [], []
            for i in range(warmup + samples):
                db.session.rollback()
                if forget:
                    report_bodies.forget()
                t = time.perf_counter()
                answer = client.get(path)
                if i >= warmup:
                    page.append(time.perf_counter() - t)
                if answer.status_code != 200 or b"data-computed-at" not in answer.data:
                    raise SystemExit(f"{path}: {answer.status_code}")
                t = time.perf_counter()
                with core.connect() as connection:
                    connection.execute(read, window).fetchall()
                if i >= warmup:
                    one.append(time.perf_counter() - t)
            rows.append((label, page, one, "one raw query of the stored counts" + (" (no goal)" if forget else "")))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, os.getcwd())
    from benchmarks import dataset, lifecycle_data
    from benchmarks.__main__ import Phases, prepare_engines

    visits = args.visits if args.visits is not None else 30 * args.members
    phases = Phases()
    workdir = tempfile.mkdtemp(prefix="clubcrm-bench-report-views-")
    cluster = None
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        if "postgresql" in args.engines:
            from benchmarks.durable_pg import DurableCluster

            with phases("postgresql: start throwaway cluster (durable: fsync on; the refresh writes)"):
                cluster = DurableCluster().start()
        with phases(f"report views: generate {args.members:,} members, {visits:,} visits over two years"):
            hist = lifecycle_data.generate(args.members, visits, now, seed=args.seed)
        print("   " + ", ".join(f"{k}={v:,}" for k, v in hist.counts.items()), flush=True)
        urls = prepare_engines(args, "bench_report_views", workdir, cluster, phases,
                               lambda url: dataset.load_rows(url, hist.head, hist.tables))
        hist.drop_rows()
        gc.collect()
        gc.freeze()
        measured = {}
        missed = 0
        for engine in args.engines:
            with phases(f"{engine}: report views: measure ({args.warmup} warm-up + {args.samples} samples)"):
                measured[engine] = run(engine, urls[engine], args.samples, args.warmup, args.profile)
        print()
        print(f"Report views from stored aggregates: {hist.counts.get('member', 0):,} members, "
              f"{hist.counts.get('membership', 0):,} memberships, {hist.counts.get('visit', 0):,} visits; medians "
              f"(p95) of {args.samples} samples after {args.warmup} warm-up, interleaved.")
        print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        for engine, rows in measured.items():
            print()
            print(f"[{engine}]")
            header = f"{'operation':<30} {'product ms':>16} {'baseline ms':>16} {'ratio':>7}  goal  baseline"
            print(header)
            print("-" * (len(header) + 30))
            for label, product, baseline, name in rows:
                p, b = statistics.median(product), statistics.median(baseline)
                p95 = sorted(product)[max(0, round(0.95 * len(product)) - 1)]
                b95 = sorted(baseline)[max(0, round(0.95 * len(baseline)) - 1)]
                ratio = p / b if b else float("inf")
                judged = not name.endswith("(no goal)")
                verdict = ("met" if ratio <= 2 else "MISSED") if judged else "  - "
                print(f"{label:<30} {p * 1000:8.1f} ({p95 * 1000:6.1f}) {b * 1000:8.1f} ({b95 * 1000:6.1f}) "
                      f"{ratio:6.1f}x  {verdict:<6}  {name}")
                missed += judged and ratio > 2
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return missed   # rows that missed their goal (make bench counts them)


if __name__ == "__main__":
    main()
