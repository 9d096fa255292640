"""Lead first call: a staff call to a new lead, planned the moment the lead arrives and due one opening hour later."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Fired, in_window
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def lead_new(rule: Rule, ctx) -> Fired | None:
    """A lead nobody has reached yet, within the first days of the cycle (a lead imported weeks after it came is
    not called as if new). The task is due one opening hour after the lead came (lifecycle/lead_planner.py)."""
    days = ctx.days_since_start
    if ctx.reached or not in_window(days, rule.days, rule.window_days):
        return None
    return Fired(0, {"days_since_start": days, "source": ctx.cycle.source}, due_at=ctx.first_call_due)


TOOL = ToolSpec(
    key="lead_first_call",
    name=_l("Lead: first call"),
    effect=8.0,
    rules=(
        DefaultRule("lead_first_call", "lead_first_call", "lead_new", LEAD, "task", 5, days=0, window_days=2),
    ),
    rule_names={
        "lead_first_call": _l("New lead: call within an opening hour"),
    },
    triggers={
        "lead_new": Trigger(lead_new, ("days", "window_days"),
            _l("Fires when a lead arrives (the call is due one opening hour later) and, while nobody has reached "
               "them, for this many more days.")),
    },
    fact_names={
        "source": _l("where the lead came from"),
    },
)
