"""First-visit call: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, in_window
from clubcrm.lifecycle.tools.base import EARLY, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def no_first_visit(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if in_window(days, rule.days, rule.window_days) and ctx.visits_cycle == 0:
        return Fired(0, {"days_since_start": days, "visits_cycle": 0})
    return None


TOOL = ToolSpec(
    key="first_visit_call",
    name=_l("First-visit call"),
    effect=2.0,
    rules=(
        DefaultRule("no_first_visit", "first_visit_call", "no_first_visit", EARLY, "task", 15, days=7, window_days=6),
    ),
    rule_names={
        "no_first_visit": _l("No first visit: staff call"),
    },
    triggers={
        "no_first_visit": Trigger(no_first_visit, ("days", "window_days"),
                                  _l("Fires this many days after the start if the member has not visited yet.")),
    },
)
