"""Statistical honesty of the per-tool renewal statistics, on simulated club years (part of `make bench`).

    python -m benchmarks.honesty [--members 20000] [--days 365] [--seeds 1,2,3] [--jobs 2] [--workdir DIR]

Each seed simulates a club (SQLite, the real lifecycle engine day by day) and runs the renewal report over its
span; per (tool, seed) it prints the effect the simulator put in, the report's difference and 95% interval,
and whether the interval covers it. It passes (exit 0) when at least 90% of the (tool, seed) pairs with an
interval are covered, no zero-effect tool is called "helps", and the naive rate of the renewal offer differs
from its measured effect by more than 20 points.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COVERAGE_GOAL = 0.90
END = date(2026, 11, 22)


def run_seed(members: int, days: int, seed: int, workdir: str, keep: bool = False) -> dict:
    """Simulate one club year on a fresh SQLite file; return its checks as plain dicts, and timings."""
    from flask_migrate import upgrade

    from clubcrm.app import create_app
    from clubcrm.extensions import db
    from clubcrm.simulation import SimConfig, simulate
    from clubcrm.simulation.check import check

    path = Path(workdir) / f"honesty-{members}-{seed}.db"
    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        cfg = SimConfig(members=members, days=days, seed=seed, end=END)
        started = time.perf_counter()
        result = simulate(cfg, commit=True)
        simulated = time.perf_counter() - started
        rows = [asdict(c) | {"covered": c.covered} for c in check(result, cfg.effects)]
        counts = asdict(result.counts)
        db.session.remove()
        db.engine.dispose()
    if not keep:
        path.unlink(missing_ok=True)
    return {"seed": seed, "seconds": simulated, "counts": counts, "checks": rows}


def _pts(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f}"


def report(results: list[dict]) -> bool:
    print(f"{'tool':18} {'seed':>4} {'put in':>7} {'truth':>7} {'with':>6} {'held':>5} {'measured':>9} "
          f"{'95% interval':>17} {'covered':>8} {'verdict':>12} {'naive':>6}")
    pairs = covered = 0
    wrong_helps, naive_gaps = [], []
    for result in sorted(results, key=lambda r: r["seed"]):
        for c in result["checks"]:
            interval = f"[{_pts(c['low'])}, {_pts(c['high'])}]" if c["low"] is not None else ""
            mark = "" if c["covered"] is None else ("yes" if c["covered"] else "NO")
            naive = "" if c["naive_rate"] is None else f"{c['naive_rate'] * 100:.1f}%"
            print(f"{c['tool']:18} {result['seed']:>4} {_pts(c['configured']):>7} {_pts(c['truth']):>7} "
                  f"{c['assigned']:>6} {c['held']:>5} {_pts(c['difference']):>9} {interval:>17} "
                  f"{mark:>8} {c['verdict']:>12} {naive:>6}")
            if c["covered"] is not None:
                pairs += 1
                covered += bool(c["covered"])
            if c["configured"] == 0 and c["verdict"] == "helps":
                wrong_helps.append((c["tool"], result["seed"]))
            if c["tool"] == "renewal_offer" and c["naive_rate"] is not None and c["difference"] is not None:
                naive_gaps.append(c["naive_rate"] - c["difference"])
    share = covered / pairs if pairs else 0.0
    print()
    for result in sorted(results, key=lambda r: r["seed"]):
        print(f"seed {result['seed']}: simulated in {result['seconds']:.0f} s; {result['counts']}")
    print(f"coverage: {covered} of {pairs} (tool, seed) pairs = {share:.1%} (goal ≥ {COVERAGE_GOAL:.0%})")
    print(f"zero-effect tools called 'helps': {wrong_helps or 'none'}")
    print("renewal offer, naive rate minus measured effect: "
          + ", ".join(f"{gap * 100:.1f} pts" for gap in naive_gaps))
    return share >= COVERAGE_GOAL and not wrong_helps and all(gap > 0.20 for gap in naive_gaps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.honesty", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", help="where the SQLite files go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep each seed's SQLite file in --workdir")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or scratch
        print(f"honesty: {len(seeds)} simulated years of {args.members:,} people, {args.jobs} at a time", flush=True)
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run_seed, [args.members] * len(seeds), [args.days] * len(seeds), seeds,
                                    [workdir] * len(seeds), [args.keep] * len(seeds)))
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
