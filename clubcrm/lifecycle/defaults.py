"""The tools and rules every club starts with, chosen from the research in RETENTION.md (each tool's own module in
clubcrm/lifecycle/tools/ holds its defaults)."""
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.lifecycle.tools import DEFAULT_TEXTS, RULES, TOOLS, DefaultRule
from clubcrm.models import Club, Rule, Tool

__all__ = ["RULES", "TOOLS", "DefaultRule", "ensure"]


def ensure(club: Club) -> None:
    """Give CLUB every default tool and rule it lacks (new defaults reach existing clubs too)."""
    tools = {t.key: t for t in db.session.scalars(select(Tool).where(Tool.club_id == club.id))}
    have = set(db.session.scalars(select(Rule.key).where(Rule.club_id == club.id)))
    for key in TOOLS:
        if key not in tools:
            tools[key] = Tool(club_id=club.id, key=key, enabled=True, holdout_pct=10)
            db.session.add(tools[key])
    db.session.flush()
    for spec in RULES:
        if spec.key in have:
            continue
        db.session.add(Rule(
            club_id=club.id, tool_id=tools[spec.tool].id, key=spec.key, trigger=spec.trigger,
            stages=spec.stages, channel=spec.channel, fallback=spec.fallback, task_kind=spec.task_kind,
            priority=spec.priority, days=spec.days, window_days=spec.window_days, threshold=spec.threshold,
            season_from=spec.season_from, season_to=spec.season_to, enabled=True,
            texts=dict(DEFAULT_TEXTS.get(spec.key, {})),
        ))
    db.session.flush()
