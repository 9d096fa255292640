"""Adaptation check: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, in_window
from clubcrm.lifecycle.tools.base import EARLY, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def adaptation_check(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if in_window(days, rule.days, rule.window_days) and ctx.visits_cycle < (rule.threshold or 0):
        return Fired(0, {"days_since_start": days, "visits_cycle": ctx.visits_cycle})
    return None


TOOL = ToolSpec(
    key="adaptation_check",
    name=_l("Adaptation check"),
    effect=1.0,
    rules=(
        DefaultRule("adaptation_14", "adaptation_check", "adaptation_check", EARLY, "task", 25, days=14,
                    window_days=3, threshold=4),
        DefaultRule("adaptation_30", "adaptation_check", "adaptation_check", EARLY, "task", 26, days=30,
                    window_days=3, threshold=8),
    ),
    rule_names={
        "adaptation_14": _l("Adaptation check at day 14"),
        "adaptation_30": _l("Adaptation check at day 30"),
    },
    triggers={
        "adaptation_check": Trigger(adaptation_check, ("days", "window_days", "threshold"),
            _l("On this day after the start, if the member has fewer visits than the threshold.")),
    },
)
