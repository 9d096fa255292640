"""The manager's KPI page computation before and after issue 15, on one generated club (PostgreSQL by default).

    python -m benchmarks.kpi [--members 20000] [--visits N] [--samples 3] [--warmup 1]
                             [--engines postgresql[,sqlite]] [--seed N]

* before: tests/kpi_oracle.py, the direct computation the page ran until issue 15 (every membership into objects
  once per KPI, every visit ever read, weeks x memberships loops, a CASE branch per week and club);
* after: clubcrm.reports.activity, set-based (memberships read once, visits bounded and grouped per week in the
  database).

Both compute the club page's five member-base KPIs (base growth, visits per week, cohorts, contact coverage, the
at-risk list: every member of it, up to 50,000) as the page calls them, for the year up to today: once for all
plans and once for one plan. The data is the lifecycle benchmark's two years of one club
(benchmarks/lifecycle_data.py: 30 visits a member by default, touchpoints, staff contacts, packages). The two
answers are compared first and the run stops if they differ. Each sample runs in a fresh session (nothing
remembered from the one before), samples interleaved (before, after, before, ...) after warm-up rounds, so both
see the same caches and machine load. The lead KPIs of the page (leads, sales) are unchanged by issue 15 and not
timed here.
"""
import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

KPIS = ("base_growth", "visits_per_week", "cohort_retention", "contact_coverage", "at_risk")
# The club page lists every member at risk, a page at a time, up to this many (report_tables.AT_RISK_MOST): both
# sides compute the whole list, names and last visits included.
AT_RISK_LIMIT = 50_000


def call(module, name: str, scope):
    """KPI NAME of SCOPE as the page calls it."""
    if name == "at_risk":
        return module.at_risk(scope, limit=AT_RISK_LIMIT)
    return getattr(module, name)(scope)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kpi", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--visits", type=int, help="default: 30 per member")
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--engines", default="postgresql", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--seed", type=int, default=20260310)
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not args.engines or set(args.engines) - {"postgresql", "sqlite"}:
        parser.error("--engines takes postgresql, sqlite")
    args.analyze_sqlite = False   # prepare_engines reads it
    return args


def compute(module, scope) -> dict[str, list]:
    """The five KPIs of SCOPE as MODULE computes them, each as a list of plain dicts."""
    found = {}
    for name in KPIS:
        result = call(module, name, scope)
        found[name] = [asdict(x) for x in (result if isinstance(result, list) else [result])]
    return found


def run(engine: str, url: str, today, samples: int, warmup: int) -> list[tuple[str, list[float], list[float],
                                                                                dict[str, list[float]]]]:
    """Time before and after on ENGINE for each scope; return (scope label, before, after, after per KPI)."""
    from benchmarks.apps import app_and_core
    from benchmarks.dataset import CLUB_ID
    from clubcrm.extensions import db
    from clubcrm.reports import activity
    from clubcrm.reports.scope import Scope
    from tests import kpi_oracle

    results = []
    with app_and_core(url) as (app, _core), app.app_context():
        for label, plan_id in (("all plans", None), ("one plan (Month)", 1)):
            scope = Scope((CLUB_ID,), today - timedelta(days=364), today, today, plan_id)
            db.session.rollback()
            want = compute(kpi_oracle, scope)
            db.session.rollback()
            got = compute(activity, scope)
            if got != want:
                bad = [name for name in KPIS if got[name] != want[name]]
                raise SystemExit(f"{engine}, {label}: the set-based KPIs differ from the oracle's: {bad}")
            before, after, parts = [], [], {name: [] for name in KPIS}
            for i in range(warmup + samples):
                for module, times in ((kpi_oracle, before), (activity, after)):
                    db.session.rollback()   # a fresh request: nothing remembered, nothing loaded
                    gc.collect()
                    start = time.perf_counter()
                    for name in KPIS:
                        part = time.perf_counter()
                        call(module, name, scope)
                        if module is activity and i >= warmup:
                            parts[name].append(time.perf_counter() - part)
                    if i >= warmup:
                        times.append(time.perf_counter() - start)
            results.append((label, before, after, parts))
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, os.getcwd())
    from benchmarks import dataset, lifecycle_data
    from benchmarks.__main__ import Phases, prepare_engines

    visits = args.visits if args.visits is not None else 30 * args.members
    phases = Phases()
    workdir = tempfile.mkdtemp(prefix="clubcrm-bench-kpi-")
    cluster = None
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        if "postgresql" in args.engines:
            from tests.postgres import Cluster

            with phases("postgresql: start throwaway cluster"):
                cluster = Cluster().start()
        with phases(f"kpi: generate {args.members:,} members, {visits:,} visits over two years"):
            hist = lifecycle_data.generate(args.members, visits, now, seed=args.seed)
        print("   " + ", ".join(f"{k}={v:,}" for k, v in hist.counts.items()), flush=True)
        urls = prepare_engines(args, "bench_kpi", workdir, cluster, phases,
                               lambda url: dataset.load_rows(url, hist.head, hist.tables))
        hist.drop_rows()
        gc.collect()
        gc.freeze()
        measured = {}
        for engine in args.engines:
            with phases(f"{engine}: kpi: measure ({args.warmup} warm-up + {args.samples} samples, interleaved)"):
                measured[engine] = run(engine, urls[engine], hist.today, args.samples, args.warmup)
        print()
        print(f"KPI page computation (base growth, visits per week, cohorts, coverage, at-risk), the year up to "
              f"{hist.today}: {hist.counts.get('member', 0):,} members, {hist.counts.get('membership', 0):,} "
              f"memberships, {hist.counts.get('visit', 0):,} visits; medians of {args.samples} samples after "
              f"{args.warmup} warm-up, interleaved; the answers are equal.")
        print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        for engine, rows in measured.items():
            print()
            print(f"[{engine}]")
            header = f"{'scope':<20} {'before s':>9} {'after s':>8} {'speed-up':>9}   after, per KPI (s)"
            print(header)
            print("-" * (len(header) + 40))
            for label, before, after, parts in rows:
                b, a = statistics.median(before), statistics.median(after)
                per = ", ".join(f"{name} {statistics.median(t):.3f}" for name, t in parts.items())
                print(f"{label:<20} {b:9.3f} {a:8.3f} {b / a:8.1f}x   {per}")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
