"""Why the programme's line of the honesty check sits where it does: its units, arm by arm, inside the simulator.

    python -m benchmarks.honesty_units [--members 3000] [--days 365] [--seed 1] [--workdir DIR]

Simulates one club year (as `make honesty` does, SQLite, END of benchmarks.honesty) and, for the programme's
units (one per member and calendar year of its draw: the member's first decided cycle of it), prints per arm:
how many, the mean on-time chance without tools (year.Settled.base), the plan mix, the share of first cycles,
the share reached by any tool, the renewal rate the report reads and the one the simulator decided, and the
truth's mean per unit. Then: whether the report's units (tools._compared) and the truth's (truth.compute) are the
same cycles in the same arms, whether the report's "renewed" agrees with the simulator's decision for each, and
whether the renewals the simulator decided match what its truth's model expects of them (all decided cycles:
a calibration of the truth). Figures from this run are quoted in truth.py's docstring.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from benchmarks.honesty import END, ROOT


def _simulate(members: int, days: int, seed: int, path: Path):
    """Run the simulation on a fresh SQLite file at PATH, noting each decided cycle's renewal as the simulator
    decided it (Year._settle is wrapped, not changed). Returns (result, cfg, decisions); the app context stays
    open for the analysis."""
    from flask_migrate import upgrade

    from clubcrm.app import create_app
    from clubcrm.simulation import SimConfig, simulate
    from clubcrm.simulation import year as sim_year

    decisions: dict[int, dict] = {}
    settle = sim_year.Year._settle

    def noting(self, cycle, renewed):
        decisions[cycle.id] = {"renewed": bool(renewed), "on_time": cycle.u < cycle.p_on_time,
                               "plan": cycle.plan, "starts_on": cycle.starts_on}
        return settle(self, cycle, renewed)

    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    ctx = app.app_context()
    ctx.push()
    upgrade(directory=str(ROOT / "migrations"))
    cfg = SimConfig(members=members, days=days, seed=seed, end=END)
    sim_year.Year._settle = noting
    try:
        result = simulate(cfg)
    finally:
        sim_year.Year._settle = settle
    return result, cfg, decisions


def _alone(s) -> float:
    """Settled cycle S's renewal chance without any tool: on time, else late."""
    from clubcrm.simulation.truth import _late

    on = min(1.0, max(0.0, s.base))
    return on + _late(on, s.late, 0.0)


def analyse(result, cfg, decisions: dict[int, dict]) -> None:
    from sqlalchemy import select

    from clubcrm.extensions import db
    from clubcrm.models import PROGRAMME, Assignment, Membership
    from clubcrm.reports.scope import Scope
    from clubcrm.reports.tools import _compared, _decided
    from clubcrm.simulation.effects import Responses
    from clubcrm.simulation.truth import _added
    from clubcrm.simulation.year import LATE_DAYS

    responses = Responses(cfg)
    settled = {s.id: s for s in result.settled}
    scope = Scope((result.club.id,), result.first, result.last, result.last)
    decided = _decided(scope)
    reported = dict(db.session.execute(select(decided.c.id, decided.c.renewed)).all())
    a = Assignment
    report_units = dict(db.session.execute(
        select(a.membership_id, a.held).select_from(decided).join(a, a.membership_id == decided.c.id)
        .where(a.tool_key == PROGRAMME, _compared(decided))).all())
    closed_by = result.last - timedelta(days=LATE_DAYS + 1)
    window = {i for i, s in settled.items() if result.first <= s.ends_on <= closed_by}
    draws: dict[tuple[int, int], tuple[int, bool]] = {}
    for membership_id, member_id, held, first_on in db.session.execute(
            select(a.membership_id, a.member_id, a.held, a.first_on).where(a.tool_key == PROGRAMME)):
        key = (member_id, first_on.year)
        if membership_id in window and (key not in draws or membership_id < draws[key][0]):
            draws[key] = (membership_id, bool(held))
    truth_units = dict(draws.values())
    first_cycle: dict[int, int] = {}
    for membership_id, member_id in db.session.execute(
            select(Membership.id, Membership.member_id).order_by(Membership.starts_on, Membership.id)):
        first_cycle.setdefault(member_id, membership_id)
    member_of = {i: s.member_id for i, s in settled.items()}

    print(f"decided cycles: the report's {len(reported)}, the truth's {len(window)}; "
          f"in one only: {len(set(reported) ^ window)}")
    common = set(report_units) & set(truth_units)
    moved = sum(report_units[m] != truth_units[m] for m in common)
    print(f"programme units: the report's {len(report_units)}, the truth's {len(truth_units)}; in the report's "
          f"only {len(set(report_units) - set(truth_units))}, in the truth's only "
          f"{len(set(truth_units) - set(report_units))}, in another arm {moved}")
    print(f"\n{'arm':8} {'units':>6} {'base':>6} {'plan M/3M/Y':>15} {'first':>6} {'reached':>8} "
          f"{'renewed (report)':>17} {'(simulator)':>12} {'disagree':>9} {'truth/unit':>11}")
    rates = {}
    for held in (False, True):
        ids = [m for m, h in report_units.items() if h == held]
        n = len(ids)
        if not n:
            continue
        effect = {m: {t: responses.of(settled[m].member_id, t).effect for t in settled[m].reached} for m in ids}
        added = sum(_added(settled[m], effect[m], set(effect[m])) for m in ids) / n
        alone = sum(_alone(settled[m]) for m in ids) / n
        plans = Counter(decisions[m]["plan"] for m in ids)
        rate = sum(reported[m] for m in ids) / n
        rates[held] = (n, rate, added, alone)
        print(f"{'held' if held else 'exposed':8} {n:6} {sum(settled[m].base for m in ids) / n:6.3f} "
              f"{plans[0] / n:5.2f}/{plans[1] / n:4.2f}/{plans[2] / n:4.2f} "
              f"{sum(first_cycle.get(member_of[m]) == m for m in ids) / n:6.1%} "
              f"{sum(bool(settled[m].reached) for m in ids) / n:8.1%} {rate:17.3f} "
              f"{sum(decisions[m]['renewed'] for m in ids) / n:12.3f} "
              f"{sum(bool(reported[m]) != decisions[m]['renewed'] for m in ids):9} {added:+11.4f}")
    if len(rates) == 2:
        (ne, re_, ae, ce), (nh, rh, ah, ch) = rates[False], rates[True]
        se = math.sqrt(re_ * (1 - re_) / ne + rh * (1 - rh) / nh)
        difference, truth, imbalance = re_ - rh, ae - ah, ce - ch
        print(f"report's difference {difference:+.4f} (plain SE {se:.4f}) = truth {truth:+.4f} "
              f"+ the arms' chances without tools apart {imbalance:+.4f} + the draws' luck "
              f"{difference - truth - imbalance:+.4f}; (difference − truth) / SE {(difference - truth) / se:+.2f}")

    # Calibration: the renewals the simulator decided against what the truth's model expects of them, per
    # programme arm (all decided cycles of it, not only the units).
    arm_of = {m: held for m, _member, held, _on in db.session.execute(
        select(a.membership_id, a.member_id, a.held, a.first_on).where(a.tool_key == PROGRAMME))}
    tally: dict[str, list[float]] = {}
    for i in window:
        s = settled[i]
        effect = {t: responses.of(s.member_id, t).effect for t in s.reached}
        on = min(1.0, max(0.0, s.base + sum(e for t, e in effect.items() if s.reached[t])))
        expected = _alone(s) + _added(s, effect, set(effect))
        group = "no programme row" if i not in arm_of else ("held" if arm_of[i] else "exposed")
        for key in (group, "all"):
            t = tally.setdefault(key, [0, 0, 0.0, 0, 0.0, 0.0])
            t[0] += 1
            t[1] += decisions[i]["renewed"]
            t[2] += expected
            t[3] += decisions[i]["on_time"]
            t[4] += on
            t[5] += expected * (1 - expected)
    print("\ndecided cycles: renewals the simulator decided against what the truth's model expects")
    for key, (n, seen, expected, on_time, expected_on_time, variance) in tally.items():
        z = (seen - expected) / math.sqrt(variance) if variance else 0.0
        print(f"  {key:17} {n:6}: renewed on time {on_time / n:.4f} (expected {expected_on_time / n:.4f}), "
              f"renewed {seen / n:.4f} (expected {expected / n:.4f}, z {z:+.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.honesty_units", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", help="keep the SQLite file there (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.workdir or scratch) / f"honesty-units-{args.members}-{args.seed}.db"
        result, cfg, decisions = _simulate(args.members, args.days, args.seed, path)
        analyse(result, cfg, decisions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
