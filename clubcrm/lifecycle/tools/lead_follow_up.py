"""Lead follow-up calls: on days 2, 5 and 10 of a lead's cycle, a staff call while nobody has reached the lead."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Fired, in_window
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def lead_not_reached(rule: Rule, ctx) -> Fired | None:
    days = ctx.days_since_start
    if ctx.reached or not in_window(days, rule.days, rule.window_days):
        return None
    return Fired(0, {"days_since_start": days, "reached": False})


TOOL = ToolSpec(
    key="lead_follow_up",
    name=_l("Lead: follow-up calls"),
    effect=4.0,
    rules=(
        DefaultRule("lead_follow_up_2", "lead_follow_up", "lead_not_reached", LEAD, "task", 15, days=2,
                    window_days=1),
        DefaultRule("lead_follow_up_5", "lead_follow_up", "lead_not_reached", LEAD, "task", 16, days=5,
                    window_days=1),
        DefaultRule("lead_follow_up_10", "lead_follow_up", "lead_not_reached", LEAD, "task", 17, days=10,
                    window_days=2),
    ),
    rule_names={
        "lead_follow_up_2": _l("Lead not reached: call on day 2"),
        "lead_follow_up_5": _l("Lead not reached: call on day 5"),
        "lead_follow_up_10": _l("Lead not reached: call on day 10"),
    },
    triggers={
        "lead_not_reached": Trigger(lead_not_reached, ("days", "window_days"),
            _l("Fires on this day of the lead's cycle while no staff contact has reached the lead.")),
    },
    fact_names={
        "reached": _l("reached by staff"),
    },
)
