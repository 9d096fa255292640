"""How the simulated club's members stay, beside RETENTION.md (run by hand, not by `make bench`).

    python -m benchmarks.sim_calibration [--members 1000] [--days 365] [--seed 3]

Simulates one club year on a scratch SQLite file and prints, per plan, the share of decided cycles not renewed
(the month plan's is its monthly churn: RETENTION.md gives 3.4-5.5%), split by cycles ending in July-August or
not (the summer dip) and, for members who joined during the simulated span, by their first month's visits (the
early-visit effect: a first visit later than two weeks predicts leaving, more visits in month 1 a renewal).
Renewal is read from the memberships the simulation sold (renews_id), not from the simulator's own counters.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 22)


def early_group(since: date, visits: list[date]) -> str:
    first_month = sorted(v for v in visits if 0 <= (v - since).days < 30)
    if not first_month or (first_month[0] - since).days >= 14:
        return "no visit in first 2 weeks"
    return "4+ visits in first month" if len(first_month) >= 4 else "1-3 visits in first month"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sim_calibration", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from clubcrm.app import create_app
    from clubcrm.extensions import db
    from clubcrm.models import Membership, Plan, Visit
    from clubcrm.simulation import SimConfig, simulate

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/calibration.db"})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            started = time.perf_counter()
            result = simulate(SimConfig(members=args.members, days=args.days, seed=args.seed, end=END))
            seconds = time.perf_counter() - started
            renewed = set(db.session.scalars(select(Membership.renews_id).where(Membership.renews_id.is_not(None))))
            plans = dict(db.session.execute(
                select(Membership.id, Plan.name).join(Plan, Plan.id == Membership.plan_id)).all())
            joined = dict(db.session.execute(
                select(Membership.member_id, func.min(Membership.starts_on)).group_by(Membership.member_id)).all())
            visits: dict[int, list[date]] = defaultdict(list)
            for member_id, at in db.session.execute(select(Visit.member_id, Visit.checked_in_at)):
                visits[member_id].append(at.date())
            groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
            for s in result.settled:
                keys = ["all", "ends in Jul-Aug" if s.ends_on.month in (7, 8) else "ends in other months"]
                if joined[s.member_id] >= result.first:
                    keys.append(early_group(joined[s.member_id], visits[s.member_id]))
                for key in keys:
                    tally = groups[(plans[s.id], key)]
                    tally[0] += 1
                    tally[1] += s.id in renewed
            db.session.remove()
            db.engine.dispose()
    print(f"{args.members:,} people x {args.days} days, seed {args.seed}: simulated in {seconds:.0f} s")
    for (plan, key), (n, kept) in sorted(groups.items()):
        print(f"{plan:10} {key:28} cycles {n:6}  not renewed {1 - kept / n:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
