"""A pass's plan as a plain-text table by tool and stage, for the command line."""
from collections import Counter

from clubcrm.lifecycle.defaults import TOOLS
from clubcrm.lifecycle.engine import Plan
from clubcrm.models import STAGES

COLUMNS = ("sms", "task", "held_out", "skipped")


def plan_table(plan: Plan) -> str:
    """Render PLAN: one block per club, a row per (tool, stage) with counts per channel or status."""
    lines = []
    for club_plan in plan.clubs:
        verb = "would plan" if plan.dry_run else "planned"
        lines.append(f"{club_plan.club.name} (club {club_plan.club.id}), {club_plan.day.isoformat()}: "
                     f"{verb} {len(club_plan.planned)} touchpoints")
        counts = Counter((p.tool.key, p.stage, p.channel if p.status == "planned" else p.status)
                         for p in club_plan.planned)
        if not counts:
            continue
        header = f"  {'tool':18} {'stage':12}" + "".join(f"{c:>9}" for c in COLUMNS) + f"{'total':>7}"
        lines.append(header)
        lines.append("  " + "-" * (len(header) - 2))
        keys = sorted({(tool, stage) for tool, stage, _ in counts},
                      key=lambda k: (_order(TOOLS, k[0]), _order(STAGES, k[1])))
        for tool, stage in keys:
            cells = [counts[(tool, stage, c)] for c in COLUMNS]
            lines.append(f"  {tool:18} {stage:12}" + "".join(f"{n:>9}" for n in cells) + f"{sum(cells):>7}")
        totals = [sum(n for (_t, _s, c), n in counts.items() if c == col) for col in COLUMNS]
        lines.append(f"  {'all':18} {'':12}" + "".join(f"{n:>9}" for n in totals) + f"{sum(totals):>7}")
    return "\n".join(lines)


def _order(sequence: tuple[str, ...], item: str) -> int:
    return sequence.index(item) if item in sequence else len(sequence)
