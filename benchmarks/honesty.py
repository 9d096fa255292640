"""Statistical honesty of the renewal report on simulated club years (`make honesty`).

    python -m benchmarks.honesty [--members 20000] [--days 365] [--seeds 1,2,3] [--jobs 2] [--workdir DIR]

Each seed simulates a club (SQLite, the real lifecycle engine and SMS dispatcher day by day, the product's default
holdout shares) and runs the renewal report over its span. Per (tool or programme, seed) it prints the mean effect
put in, the simulator's truth (from its own records, never the report's code), the report's difference, the
interval its verdict reads and whether it covers the truth, and the standardised error (difference − truth) / SE.
It exits non-zero when a goal is missed: interval coverage of the truth ≥ 95%, mean standardised error within
±0.1, no sample-ratio alarm (the arms of a correct run are drawn as designed).
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COVERAGE_GOAL = 0.95
BIAS_GOAL = 0.10       # |mean standardised error|
ALARMS_GOAL = 0
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
        result = simulate(cfg)
        simulated = time.perf_counter() - started
        rows = [asdict(c) | {"covered": c.covered, "z": c.z} for c in check(result, cfg.effects)]
        counts = asdict(result.counts)
        db.session.remove()
        db.engine.dispose()
    if not keep:
        path.unlink(missing_ok=True)
    return {"seed": seed, "seconds": simulated, "counts": counts, "checks": rows}


def _pts(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f}"


def report(results: list[dict], coverage_goal: float = COVERAGE_GOAL) -> bool:
    print(f"{'tool':18} {'seed':>4} {'put in':>7} {'truth':>7} {'with':>6} {'held':>5} {'measured':>9} "
          f"{'interval (verdict reads)':>24} {'covered':>8} {'z':>6} {'srm':>4} {'verdict':>12}")
    pairs = covered = alarms = 0
    zs: list[float] = []
    for result in sorted(results, key=lambda r: r["seed"]):
        for c in result["checks"]:
            interval = f"[{_pts(c['low'])}, {_pts(c['high'])}]" if c["low"] is not None else ""
            mark = "" if c["covered"] is None else ("yes" if c["covered"] else "NO")
            z = "" if c["z"] is None else f"{c['z']:+.2f}"
            print(f"{c['tool']:18} {result['seed']:>4} {_pts(c['configured']):>7} {_pts(c['truth']):>7} "
                  f"{c['assigned']:>6} {c['held']:>5} {_pts(c['difference']):>9} {interval:>24} "
                  f"{mark:>8} {z:>6} {'YES' if c['srm_alarm'] else '':>4} {c['verdict']:>12}")
            if c["covered"] is not None:
                pairs += 1
                covered += bool(c["covered"])
            if c["z"] is not None:
                zs.append(c["z"])
            alarms += bool(c["srm_alarm"])
    print()
    for result in sorted(results, key=lambda r: r["seed"]):
        print(f"seed {result['seed']}: simulated in {result['seconds']:.0f} s; {result['counts']}")
        for c in result["checks"]:
            if c["srm_alarm"] or c["tool"] == "programme":
                members = ("" if c["members_held_share"] is None
                           else f"; of its (member, year) draws {c['members_held_share']:.1%} held")
                print(f"  {c['tool']}: held share of cycles {c['held_share']:.1%}, expected "
                      f"{c['expected_share']:.1%}{members}" + (" — SAMPLE-RATIO ALARM" if c["srm_alarm"] else ""))
    share = covered / pairs if pairs else 0.0
    mean_z = sum(zs) / len(zs) if zs else math.nan
    spread = (math.sqrt(sum((z - mean_z) ** 2 for z in zs) / (len(zs) - 1)) / math.sqrt(len(zs))
              if len(zs) > 1 else math.nan)
    goals = [
        (f"interval coverage of the truth: {covered} of {pairs} = {share:.1%}", f"goal ≥ {coverage_goal:.0%}",
         pairs > 0 and share >= coverage_goal),
        (f"mean standardised error (estimate − truth)/SE: {mean_z:+.3f} ± {spread:.3f} over {len(zs)}",
         f"goal within ±{BIAS_GOAL}", bool(zs) and abs(mean_z) <= BIAS_GOAL),
        (f"sample-ratio alarms raised: {alarms}", f"goal {ALARMS_GOAL}", alarms <= ALARMS_GOAL),
    ]
    for figure, goal, met in goals:
        print(f"{figure:70} {goal:18} {'met' if met else 'MISSED'}")
    # The programme's line has the fewest held units (5% of member-years) and weighs as one tool in the mean: say
    # apart what it and the tools contribute (benchmarks.honesty_units traces a programme z far from 0).
    programme = [(r["seed"], c["z"]) for r in sorted(results, key=lambda r: r["seed"]) for c in r["checks"]
                 if c["tool"] == "programme" and c["z"] is not None]
    tools = [c["z"] for r in results for c in r["checks"] if c["tool"] != "programme" and c["z"] is not None]
    if programme:
        print("programme's standardised error per seed: " + ", ".join(f"{seed}: {z:+.2f}" for seed, z in programme))
    if len(tools) > 1:
        mean = sum(tools) / len(tools)
        sd = math.sqrt(sum((z - mean) ** 2 for z in tools) / (len(tools) - 1)) / math.sqrt(len(tools))
        print(f"the tools' mean standardised error without the programme: {mean:+.3f} ± {sd:.3f} over {len(tools)}")
    return all(met for *_, met in goals)


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
        if args.jobs == 1:
            results = [run_seed(args.members, args.days, seed, workdir, args.keep) for seed in seeds]
        else:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(run_seed, [args.members] * len(seeds), [args.days] * len(seeds), seeds,
                                        [workdir] * len(seeds), [args.keep] * len(seeds)))
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
