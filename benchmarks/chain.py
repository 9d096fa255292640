"""The benches on a 20-club chain with a million members (`make bench-chain`).

    python -m benchmarks.chain [--workdir DIR] [--members 1000000] [--clubs 20] [--visits N] [--keep]
                               [--samples 1] [--url URL] [--only lifecycle,reports,external]

* the data: benchmarks/chain_data.py in a durable (fsync on) cluster kept in WORKDIR; a database generated before
  with the same parameters (its `bench_chain` marker) is reused, any other is generated again;
* the lifecycle pass, as the worker runs it (engine.run), for the biggest club and for the whole chain: a dry
  pass, the day's first writing pass and the same-day rerun (which must plan nothing), beside the lifecycle
  benchmark's raw facts query (benchmarks/lifecycle.py's BASELINE, once per club). The writing passes' rows are
  deleted afterwards (every row whose id is above the ids before the pass), so the kept data stays as generated;
* the reports the pages compute, for the owner's chain scope and for the biggest club, each call timed in a
  fresh session: the renewal report, the per-tool table, the KPIs (base growth, visits per week, cohorts,
  contact coverage, the at-risk list up to 50,000 members, lead conversion, lead processing, average sale);
* EXTERNAL: other benches that take a loaded database's URL (the desk over real HTTP, the stored report
  aggregates), run as subprocesses with the chain's URL when their module is present.

Without --keep the cluster folder is removed at the end; `make bench-chain` keeps it (regenerating takes
minutes). Remove it with `rm -rf /var/tmp/clubcrm-bench-chain` (or the --workdir given).
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta

import psycopg

from benchmarks import chain_data
from benchmarks.chain_data import NOW, BenchCluster, Params

# Benches run on the chain's database as subprocesses: (title, module, arguments). {url} is the chain's
# postgresql:// URL, {club} the biggest club's id, {email}/{password} a desk login of that club. A module not
# present (yet) is reported and skipped.
EXTERNAL: list[tuple[str, str, list[str]]] = [
    ("desk over real HTTP, biggest club", "benchmarks.desk_http",
     ["--url", "{url}", "--club-id", "{club}", "--email", "{email}", "--password", "{password}"]),
    ("stored report aggregates", "benchmarks.report_views", ["--url", "{url}"]),
]
AT_RISK_LIMIT = 50_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chain", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=chain_data.DEFAULT_WORKDIR)
    parser.add_argument("--url", help="a PostgreSQL database to use instead of the kept cluster (superuser)")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--clubs", type=int, default=20)
    parser.add_argument("--visits", type=int, help="default: 30 per member")
    parser.add_argument("--seed", type=int, default=Params.seed)
    parser.add_argument("--samples", type=int, default=1, help="timed runs of each report and dry pass")
    parser.add_argument("--report-timeout", type=int, default=300,
                        help="seconds one report statement may run (PostgreSQL's statement_timeout); 0: none")
    parser.add_argument("--keep", action="store_true", help="keep the cluster folder (and its data)")
    parser.add_argument("--only", default="lifecycle,reports,external",
                        help="comma-separated: lifecycle, reports, external")
    args = parser.parse_args(argv)
    if args.visits is None:
        args.visits = args.members * 30
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    return args


def ensure_data(dsn: str, admin_dsn: str | None, params: Params) -> tuple[str, float]:
    """Reuse the database at DSN when its marker says it holds PARAMS' chain, else generate it; return what was
    done and the seconds it took."""
    found = chain_data.marker(dsn)
    if found == params.as_dict():
        return f"reused (generated before with {found})", 0.0
    if admin_dsn is None:
        raise SystemExit(f"the database holds {found or 'no complete chain'}; give an empty one to generate into")
    print(f"generating the chain ({params.as_dict()}); found: {found or 'nothing complete'}", flush=True)
    start = time.perf_counter()
    chain_data.create_database(admin_dsn)
    load = chain_data.generate(dsn, params, log=lambda line: print(line, flush=True))
    print(chain_data.report(load, params), flush=True)
    return "generated", time.perf_counter() - start


# ---------------------------------------------------------------- keeping the data as generated


def id_marks(conn) -> tuple[dict[str, int], dict[str, int]]:
    """(max id of every table with an id column, row count of every other table) in the public schema."""
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
    with_id = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id'"
    ).fetchall()}
    ids = {t: conn.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0] for t in tables if t in with_id}
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables if t not in with_id}
    return ids, counts


def undo_writes(dsn: str, marks: tuple[dict[str, int], dict[str, int]]) -> list[str]:
    """Delete the rows written since MARKS (ids above them); return what could not be undone."""
    ids, counts = marks
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")   # any order: the rows go together
        for table, top in ids.items():
            conn.execute(f'DELETE FROM "{table}" WHERE id > %s', (top,))
        _, now_counts = id_marks(conn)
    return [f"{t}: {counts.get(t)} -> {n} rows" for t, n in now_counts.items() if counts.get(t) != n]


# ---------------------------------------------------------------- lifecycle


def lifecycle(url: str, dsn: str, club_ids: list[int], label: str, samples: int) -> list[str]:
    """Time the raw facts query, a dry pass, the day's first writing pass and the rerun for CLUB_IDS."""
    from benchmarks.apps import app_and_core
    from benchmarks.lifecycle import BASELINE, baseline_params
    from clubcrm import clock
    from clubcrm.extensions import db
    from clubcrm.lifecycle import engine

    lines = []
    clock.set_now(NOW)
    try:
        with app_and_core(url) as (app, core):
            base, dry = [], []
            for _ in range(samples):
                start = time.perf_counter()
                rows = 0
                with core.connect() as conn:
                    for club_id in club_ids:
                        rows += len(conn.execute(BASELINE, {**baseline_params(NOW), "club": club_id}).fetchall())
                base.append(time.perf_counter() - start)
                with app.app_context():
                    start = time.perf_counter()
                    planned = len(engine.run(NOW, club_ids=club_ids, dry_run=True).touchpoints)
                    dry.append(time.perf_counter() - start)
                    db.session.rollback()
                    db.session.remove()
            with psycopg.connect(dsn) as conn:
                marks = id_marks(conn)
            try:
                with app.app_context():
                    start = time.perf_counter()
                    written = len(engine.run(NOW, club_ids=club_ids).touchpoints)
                    db.session.commit()
                    first = time.perf_counter() - start
                    db.session.remove()
                with app.app_context():
                    start = time.perf_counter()
                    rerun = len(engine.run(NOW, club_ids=club_ids).touchpoints)
                    db.session.commit()
                    again = time.perf_counter() - start
                    db.session.remove()
            finally:
                left = undo_writes(dsn, marks)
    finally:
        clock.set_now(None)
    b, d = statistics.median(base), statistics.median(dry)
    lines.append(f"lifecycle, {label}: raw facts query {b:.2f} s ({rows:,} member rows); dry pass {d:.2f} s "
                 f"({planned:,} planned, {d / b:.2f}x the raw query)")
    lines.append(f"lifecycle, {label}: first writing pass {first:.2f} s ({written:,} touchpoints, "
                 f"{first / b:.2f}x the raw query); same-day rerun {again:.2f} s ({rerun:,} planned, "
                 f"{again / first:.0%} of the first pass)")
    if rerun:
        lines.append(f"PROBLEM: the rerun planned {rerun:,} touchpoints again")
    if left:
        lines.append("PROBLEM: rows not undone (the kept data changed): " + "; ".join(left))
    return lines


# ---------------------------------------------------------------- reports


def report_calls():
    from clubcrm.reports import activity, kpis
    from clubcrm.reports.renewals import renewal_report
    from clubcrm.reports.tools import tool_report

    return [
        ("renewal report", renewal_report),
        ("per-tool table", tool_report),
        ("KPI base growth", activity.base_growth),
        ("KPI visits per week", activity.visits_per_week),
        ("KPI cohort retention", activity.cohort_retention),
        ("KPI contact coverage", activity.contact_coverage),
        ("KPI at risk (all)", lambda scope: activity.at_risk(scope, limit=AT_RISK_LIMIT)),
        ("KPI lead conversion", kpis.lead_conversion),
        ("KPI lead processing", kpis.lead_processing),
        ("KPI average sale", kpis.average_sale),
    ]


def reports(url: str, scopes: list[tuple[str, tuple[int, ...]]], samples: int, timeout: int) -> list[str]:
    """Time each report function the pages call, for each scope, in a fresh session each time; a statement
    running over TIMEOUT seconds is cancelled and the call shown as "> TIMEOUT s"."""
    from sqlalchemy import text

    from benchmarks.apps import app_and_core
    from clubcrm import clock, statement_timeout
    from clubcrm.extensions import db
    from clubcrm.reports.scope import Scope

    today = NOW.date()
    lines = [f"{'report (the year to ' + today.isoformat() + ')':<34}"
             + "".join(f"{label:>22}" for label, _ids in scopes)]
    clock.set_now(NOW)
    try:
        with app_and_core(url) as (app, _core):
            totals = [0.0] * len(scopes)
            missed = [0] * len(scopes)
            for name, call in report_calls():
                cells = []
                for n, (_label, club_ids) in enumerate(scopes):
                    scope = Scope(club_ids, today - timedelta(days=364), today, today)
                    times = []
                    for _ in range(samples):
                        with app.app_context():
                            db.session.execute(text(f"SET statement_timeout = {timeout * 1000}"))
                            start = time.perf_counter()
                            try:
                                call(scope)
                                times.append(time.perf_counter() - start)
                            except Exception as error:   # noqa: BLE001 - one failing report must not hide the rest
                                timed_out = statement_timeout.is_timeout(error)
                                cells.append(f"> {timeout} s (timeout)" if timed_out else type(error).__name__)
                                missed[n] += 1
                                if not timed_out:
                                    print(f"{name}: {error!r}"[:2000], flush=True)
                                db.session.rollback()
                                break
                            finally:
                                db.session.remove()
                    if times:
                        seconds = statistics.median(times)
                        totals[n] += seconds
                        cells.append(f"{seconds:.2f} s")
                lines.append(f"{name:<34}" + "".join(f"{c:>22}" for c in cells))
                print(lines[-1], flush=True)
            cells = [f"{t:.2f} s" + (f" + {m} unfinished" if m else "") for t, m in zip(totals, missed, strict=True)]
            lines.append(f"{'all of them':<34}" + "".join(f"{c:>22}" for c in cells))
    finally:
        clock.set_now(None)
    return lines


# ---------------------------------------------------------------- the chain


def chain_facts(dsn: str) -> tuple[list[tuple[int, str, int]], int]:
    with psycopg.connect(dsn) as conn:
        clubs = conn.execute("SELECT c.id, c.name, count(m.id) FROM club c LEFT JOIN member m ON m.club_id = c.id "
                             "GROUP BY c.id, c.name ORDER BY c.id").fetchall()
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return clubs, size


def external(url: str, dsn: str, club_id: int) -> list[str]:
    """Run the EXTERNAL benches on the chain; the rows they write (check-ins, logins) are deleted afterwards."""
    lines = []
    values = {"url": chain_data.dsn_of(url), "club": str(club_id), "email": chain_data.DESK_EMAIL,
              "password": chain_data.PASSWORD}
    for title, module, arguments in EXTERNAL:
        if importlib.util.find_spec(module) is None:
            lines.append(f"{title}: {module} not present, skipped")
            continue
        command = [sys.executable, "-m", module, *(a.format(**values) for a in arguments)]
        print(f"\n== {title}: {' '.join(command)}", flush=True)
        with psycopg.connect(dsn) as conn:
            marks = id_marks(conn)
        try:
            code = subprocess.call(command)
        finally:
            left = undo_writes(dsn, marks)
        lines.append(f"{title}: {module} exited {code}")
        if left:
            lines.append("PROBLEM: rows not undone (the kept data changed): " + "; ".join(left))
    return lines


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv=None) -> int:
    args = parse_args(argv)
    params = Params(args.members, args.clubs, args.visits, args.seed)
    cluster = None
    if args.url:
        dsn, admin = chain_data.dsn_of(args.url), None
    else:
        cluster = BenchCluster(args.workdir).start()
        dsn, admin = cluster.dsn(), cluster.dsn("postgres")
    summary = []
    try:
        done, seconds = ensure_data(dsn, admin, params)
        clubs, size = chain_facts(dsn)
        url = chain_data.sqlalchemy_url(dsn if "://" in dsn else chain_data._dsn_url(dsn))
        biggest = max(clubs, key=lambda c: c[2])
        summary.append(f"chain: {len(clubs)} clubs, {sum(c[2] for c in clubs):,} members, database "
                       f"{size / 2**30:.2f} GiB; data {done}" + (f" in {seconds:.0f} s" if seconds else "")
                       + f"; load average {load_average()}")
        all_ids = [c[0] for c in clubs]
        if "lifecycle" in args.only:
            summary += lifecycle(url, dsn, [biggest[0]], f"biggest club ({biggest[2]:,} members)", args.samples)
            print("\n".join(summary[-2:]) + f"   [load {load_average()}]", flush=True)
            summary += lifecycle(url, dsn, all_ids, f"the chain ({len(all_ids)} clubs)", args.samples)
            print("\n".join(summary[-2:]) + f"   [load {load_average()}]", flush=True)
        if "reports" in args.only:
            summary += reports(url, [(f"chain ({len(all_ids)} clubs)", tuple(all_ids)),
                                     (f"club {biggest[0]} ({biggest[2]:,})", (biggest[0],))], args.samples,
                               args.report_timeout)
            summary.append(f"load average after the reports: {load_average()}")
        if "external" in args.only:
            summary += external(url, dsn, biggest[0])
    finally:
        if cluster is not None:
            cluster.stop(remove=not args.keep)
            summary.append(f"cluster {'kept in ' + str(cluster.root) if args.keep else 'removed'}"
                           + (f" (remove: rm -rf {cluster.root})" if args.keep else ""))
    print("\n== bench-chain summary")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
