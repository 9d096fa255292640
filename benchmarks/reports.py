"""The renewal report a manager opens, over a year of 100,000 cycles, beside one raw SQL statement with the same counts.

* report: `renewal_report(scope)` + `tool_report(scope)` in an app context (what the renewals page runs), for
  the year up to today;
* baseline: ONE statement (CTEs, `text()`, the same text on SQLite and PostgreSQL, no date arithmetic in SQL:
  every boundary is a parameter) computing the counts the report rests on: cycles, renewed and pending per
  plan and first/later cycle, and from the assignment log the cycles whose renewal window has closed per tool,
  arm (held out, assigned) and renewal, with how many assigned ones the tool got through to; a UNION ALL of the
  two groupings, every row fetched. The tool report's activity and cost parts (messages, calls, bookings,
  replies, spend) and its inference have no counterpart in it.

Before timing, the report's numbers are checked against the baseline's and against the generated data's.
Samples alternate (report, baseline, report, baseline...) after warm-up rounds, so both see the same caches
and the same machine load.
"""
import gc
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Date, bindparam, event, text

from benchmarks import reports_data
from benchmarks.apps import app_and_core
from benchmarks.dataset import CLUB_ID
from benchmarks.lifecycle import Series, _in, print_ratio_table
from clubcrm.extensions import db
from clubcrm.models import SPOKEN
from clubcrm.reports.renewals import renewal_report
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import tool_report

GOAL = 2.0

# A contract's last day is `ends_on`, or the day before `cancelled_on` when it was cut short; one cancelled on or
# before its start was refunded: no cycle, no renewal, not an earlier contract. Without date arithmetic in SQL,
# "last day >= D" reads "cancelled_on >= D + 1" for a contract cut short (the *_next parameters).
RUNS_OUT = "(k.cancelled_on IS NULL OR k.cancelled_on > k.ends_on)"
CUT_SHORT = "k.cancelled_on <= k.ends_on"
BASELINE_SQL = f"""
WITH kept AS (
    SELECT m.id, m.plan_id, m.ends_on, m.cancelled_on,
           row_number() OVER (PARTITION BY m.member_id ORDER BY m.starts_on, m.id) AS nth,
           CASE WHEN m.id IN (SELECT r.renews_id FROM membership r
                              WHERE r.club_id = :club AND r.renews_id IS NOT NULL
                                AND (r.cancelled_on IS NULL OR r.cancelled_on > r.starts_on))
                THEN 1 ELSE 0 END AS renewed
    FROM membership m
    WHERE m.club_id = :club AND (m.cancelled_on IS NULL OR m.cancelled_on > m.starts_on)
),
cycles AS (
    SELECT k.id, k.plan_id, CASE WHEN k.nth = 1 THEN 1 ELSE 0 END AS first, k.renewed,
           CASE WHEN k.renewed = 0 AND (({RUNS_OUT} AND k.ends_on >= :since)
                                        OR ({CUT_SHORT} AND k.cancelled_on >= :since_next))
                THEN 1 ELSE 0 END AS pending,
           CASE WHEN ({RUNS_OUT} AND k.ends_on >= :since) OR ({CUT_SHORT} AND k.cancelled_on >= :since_next)
                THEN 0 ELSE 1 END AS closed
    FROM kept k
    WHERE ({RUNS_OUT} AND k.ends_on BETWEEN :start AND :end)
       OR ({CUT_SHORT} AND k.cancelled_on BETWEEN :start_next AND :end_next)
),
per_cycle AS (
    -- tool_id + 0: SQLite (no statistics) would look each assignment's touchpoints up by tool_id, as the product did
    SELECT a.membership_id, a.tool_key,
           CASE WHEN a.held THEN 'held' ELSE 'assigned' END AS arm,
           CASE WHEN NOT a.held AND EXISTS (
                    SELECT 1 FROM touchpoint t
                    WHERE t.membership_id = a.membership_id AND t.tool_id + 0 = a.tool_id
                      AND (t.status = 'sent' OR (t.status = 'done' AND t.outcome IN ({_in(SPOKEN)}))))
                THEN 1 ELSE 0 END AS reached
    FROM assignment a
    WHERE a.tool_key <> 'programme' AND a.membership_id IN (SELECT id FROM cycles WHERE closed = 1)
)
SELECT 'cycles' AS part, plan_id, first, CAST(NULL AS VARCHAR(32)) AS tool, CAST(NULL AS VARCHAR(8)) AS arm,
       CAST(NULL AS INTEGER) AS renewed, count(*) AS n, sum(renewed) AS renewed_n, sum(pending) AS pending_n,
       CAST(NULL AS INTEGER) AS reached_n
FROM cycles
GROUP BY plan_id, first
UNION ALL
SELECT 'tools', NULL, NULL, p.tool_key, p.arm, c.renewed, count(*), NULL, NULL, sum(p.reached)
FROM per_cycle p JOIN cycles c ON c.id = p.membership_id
GROUP BY p.tool_key, p.arm, c.renewed
"""
BASELINE = text(BASELINE_SQL).bindparams(
    *(bindparam(name, type_=Date) for name in ("start", "end", "start_next", "end_next", "since", "since_next")))


def baseline_params(scope: Scope, window_after: int) -> dict:
    """The report's boundaries for the baseline: the period and the start of the renewal window still open."""
    since = scope.today - timedelta(days=window_after)
    return {"club": CLUB_ID, "start": scope.start, "end": scope.end, "start_next": scope.start + timedelta(days=1),
            "end_next": scope.end + timedelta(days=1), "since": since, "since_next": since + timedelta(days=1)}


# Comparable numbers: ("total",) / ("plan", id) / ("cycle", "first"|"later") -> (cycles, renewed, pending);
# ("tool", key) -> (assigned, assigned renewed, held out, held out renewed, received, received renewed).
def _tools_from(tally: dict) -> dict:
    """(tool, arm, renewed) -> (cycles, reached) into the per-tool numbers."""
    def n(tool: str, arm: str, renewed: int | None = None, what: int = 0) -> int:
        return sum(tally.get((tool, arm, r), (0, 0))[what] for r in ((0, 1) if renewed is None else (renewed,)))

    return {("tool", tool): (n(tool, "assigned"), n(tool, "assigned", 1), n(tool, "held"), n(tool, "held", 1),
                             n(tool, "assigned", what=1), n(tool, "assigned", 1, what=1))
            for tool in reports_data.TOOLS}


def _cycles_from(tally: dict) -> dict:
    """(plan id, first) -> (cycles, renewed, pending) into totals by plan, by first/later cycle and in all."""
    sums: dict = defaultdict(lambda: [0, 0, 0])
    for (plan, first), values in tally.items():
        for key in (("total",), ("plan", plan), ("cycle", "first" if first else "later")):
            for i, value in enumerate(values):
                sums[key][i] += int(value or 0)
    return {key: tuple(values) for key, values in sums.items()}


def numbers_of_report(renewals, tools) -> dict:
    out = {("total",): (renewals.total.cycles, renewals.total.renewed, renewals.total.pending)}
    out.update({("plan", row.key): (row.cycles, row.renewed, row.pending) for row in renewals.by_plan})
    out.update({("cycle", row.key): (row.cycles, row.renewed, row.pending) for row in renewals.by_cycle})
    for item in tools.tools:
        c = item.comparison
        out["tool", item.tool] = ((c.exposed_n, c.exposed_renewed, c.held_n, c.held_renewed) if c else (0, 0, 0, 0)) + (
            item.received, item.received_renewed)
    return out


def numbers_of_baseline(rows) -> dict:
    cycles, tools = {}, defaultdict(lambda: [0, 0])
    for part, plan, first, tool, arm, renewed, n, renewed_n, pending_n, reached_n in rows:
        if part == "cycles":
            cycles[plan, first] = (n, renewed_n, pending_n)
        else:
            tools[tool, arm, renewed][0] += n
            tools[tool, arm, renewed][1] += int(reached_n or 0)
    return _cycles_from(cycles) | _tools_from(tools)


def numbers_of_data(data: reports_data.ReportData) -> dict:
    return _cycles_from(data.by_plan) | _tools_from(data.by_tool)


def differences(name_a: str, a: dict, name_b: str, b: dict) -> list[str]:
    return [f"{' '.join(map(str, key))}: {name_a} {a.get(key)} != {name_b} {b.get(key)}"
            for key in sorted(set(a) | set(b), key=str) if a.get(key) != b.get(key)]


@dataclass
class ReportsResult:
    engine: str
    report: Series | None = None
    baseline: Series | None = None
    baseline_rows: int = 0
    numbers: dict = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    statements: list[tuple[str, int, float]] = field(default_factory=list)   # (SQL, rows, seconds), raw driver
    parts: list[tuple[str, float]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.report.median / self.baseline.median


def open_report(app, scope: Scope):
    """The renewals page's numbers, in an app context of their own."""
    with app.app_context():
        try:
            return renewal_report(scope), tool_report(scope)
        finally:
            db.session.rollback()
            db.session.remove()


def run(engine_name: str, url: str, data: reports_data.ReportData, samples: int, warmup: int) -> ReportsResult:
    """Measure the renewal report on the database at URL (loaded by `reports_data`)."""
    result = ReportsResult(engine_name)
    scope = Scope((CLUB_ID,), data.start, data.end, data.today)
    with app_and_core(url) as (app, core):
        params = baseline_params(scope, app.config["RENEWAL_WINDOW_AFTER_DAYS"])
        def baseline() -> list:
            with core.connect() as conn:
                return conn.execute(BASELINE, params).all()

        # The same numbers three ways, before anything is timed.
        report_numbers = numbers_of_report(*open_report(app, scope))
        rows = baseline()
        base_numbers = numbers_of_baseline(rows)
        wrong = differences("report", report_numbers, "baseline", base_numbers)
        if wrong:
            raise AssertionError(f"{engine_name}: the baseline's counts differ from the report's "
                                 f"({len(wrong)} numbers):\n  " + "\n  ".join(wrong[:30]))
        plans = sum(key[0] == "plan" for key in report_numbers)
        result.checks.append(f"the report's {len(report_numbers)} numbers (total, {plans} plans, first/later: "
                             f"cycles, renewed, pending; 14 tools x 6 counts) equal the baseline's ({len(rows)} rows)")
        wrong = differences("report", report_numbers, "generated", numbers_of_data(data))
        result.checks.append("PROBLEM: the report disagrees with the generated data: " + "; ".join(wrong[:10])
                             if wrong else "and the generated data's (counted as the rows were made)")
        result.numbers = report_numbers

        times, base = [], []
        for i in range(warmup + samples):
            start = time.perf_counter()
            open_report(app, scope)
            r = time.perf_counter() - start
            start = time.perf_counter()
            result.baseline_rows = len(baseline())
            b = time.perf_counter() - start
            if i >= warmup:
                times.append(r)
                base.append(b)
        result.report = Series("renewal report (renewal_report + tool_report)", times)
        result.baseline = Series("raw SQL: 1 statement, same counts", base)
        result.parts = report_parts(app, scope)
        result.statements = timed_statements(app, scope)
    return result


def report_parts(app, scope: Scope) -> list[tuple[str, float]]:
    """The two halves of one report, timed apart."""
    out = []
    with app.app_context():
        for name, call in (("renewal_report(scope)", renewal_report), ("tool_report(scope)", tool_report)):
            start = time.perf_counter()
            call(scope)
            out.append((name, time.perf_counter() - start))
        db.session.rollback()
        db.session.remove()
    return out


def timed_statements(app, scope: Scope) -> list[tuple[str, int, float]]:
    """Every statement of one report, sent again raw through the driver and fetched: their SQL cost alone."""
    captured: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        open_report(app, scope)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    out = []
    with app.app_context():
        connection = db.session.connection().connection.dbapi_connection
        for statement, parameters in captured:
            cursor = connection.cursor()
            start = time.perf_counter()
            cursor.execute(statement, parameters)
            rows = cursor.fetchall() if cursor.description is not None else []   # DDL, INSERT: nothing to fetch
            out.append((" ".join(statement.split()), len(rows), time.perf_counter() - start))
            cursor.close()
        db.session.rollback()
        db.session.remove()
    return out


def measure(args, now: datetime, workdir: str, cluster, phases):
    """Generate the year once, load it on every engine of the run, measure; return (data, results)."""
    from benchmarks.__main__ import prepare_engines, sizes

    _unused, samples, warmup = sizes(args, "reports")
    with phases("reports: generate a year of 100,000 cycles, 1,500,000 touchpoints"):
        start = time.perf_counter()
        data = reports_data.generate(now, seed=args.seed)
        data.counts["generate_seconds"] = time.perf_counter() - start
    print("   " + ", ".join(f"{k}={v:,}" for k, v in data.counts.items() if isinstance(v, int)), flush=True)

    def load(url: str) -> None:
        start = time.perf_counter()
        reports_data.load(url, data)
        data.counts[f"load_seconds_{'sqlite' if url.startswith('sqlite') else 'postgresql'}"] = (
            time.perf_counter() - start)

    urls = prepare_engines(args, "bench_reports", workdir, cluster, phases, load)
    # Millions of row tuples would make every full collection slow: keep them out of the timings.
    data.drop_rows()
    gc.collect()
    gc.freeze()
    results = []
    for engine in args.engines:
        with phases(f"{engine}: reports: measure ({warmup} warm-up + {samples} samples, interleaved)"):
            results.append(run(engine, urls[engine], data, samples, warmup))
    return data, results


def report(args, data: reports_data.ReportData, results: list[ReportsResult]) -> int:
    """Print the renewal report's tables; return how many ratios miss the goal."""
    from benchmarks.__main__ import sizes

    _unused, samples, warmup = sizes(args, "reports")
    c = data.counts
    print()
    print(f"ClubCRM renewal report benchmark: {c['member']:,} members, {c['membership']:,} memberships, "
          f"{c['cycles']:,} cycles ending {data.start}..{data.end} ({c['renewed']:,} renewed, {c['pending']:,} "
          f"pending, {c['first_cycles']:,} first cycles, {c['cycles_cut_short']:,} cut short, "
          f"{c['memberships_refunded']:,} renewals refunded), {c['touchpoint']:,} touchpoints "
          f"({c['held_out']:,} held out), {c['message']:,} messages, {c['club_session']:,} sessions, "
          f"{c['booking']:,} bookings; {samples} samples after {warmup} warm-up")
    print(f"Built in: generate {c['generate_seconds']:.1f} s (once), then per engine (tools and rules by "
          "defaults.ensure, bulk load): " + ", ".join(f"{e} {c[f'load_seconds_{e}']:.1f} s" for e in args.engines
                                                      if f"load_seconds_{e}" in c))
    print("Report: renewal_report(scope) + tool_report(scope) in an app context, one year up to today; baseline: one "
          "raw SQL statement (text(), CTEs, UNION ALL of the two groupings) with the same counts; interleaved.")
    missed = 0
    for result in results:
        missed += not print_ratio_table(result.engine, result.report, result.baseline, result.ratio, GOAL, 48)
        for check in result.checks:
            print(f"  {check}")
        total = result.numbers[("total",)]
        print(f"  report: {total[0]:,} cycles, {total[1]:,} renewed, {total[2]:,} pending; by tool "
              "(assigned/renewed, held out/renewed, got through to/renewed; windows closed):")
        for key in reports_data.TOOLS:
            a, ar, h, hr, got, got_renewed = result.numbers["tool", key]
            print(f"    {key:<18} {a:7,}/{ar:7,}  {h:6,}/{hr:6,}  {got:7,}/{got_renewed:7,}")
        print("  parts of one report, timed apart:")
        for name, took in result.parts:
            print(f"    {name:<40} {took:7.3f} s")
        print(f"  SQL statements per report ({len(result.statements)}), each sent again raw through the driver "
              f"(total {sum(s for _q, _n, s in result.statements):.3f} s):")
        for statement, rows, took in result.statements:
            print(f"    {took:7.3f} s {rows:6,} rows  {statement[:150]}{'...' if len(statement) > 150 else ''}")
    return missed
