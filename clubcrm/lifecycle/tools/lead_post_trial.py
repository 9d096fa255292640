"""Lead post-trial call: the day after a lead attended a trial session (or came in), a staff call to sell."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Fired, in_window
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def lead_after_trial(rule: Rule, ctx) -> Fired | None:
    attended = ctx.trial_attended
    if attended is None or not in_window((ctx.day - attended).days, rule.days, rule.window_days):
        return None
    return Fired(0, {"attended_on": attended.isoformat()})


TOOL = ToolSpec(
    key="lead_post_trial",
    name=_l("Lead: call after the trial"),
    effect=6.0,
    rules=(
        DefaultRule("lead_post_trial", "lead_post_trial", "lead_after_trial", LEAD, "task", 6, days=1,
                    window_days=2),
    ),
    rule_names={
        "lead_post_trial": _l("Lead attended a trial: call the day after"),
    },
    triggers={
        "lead_after_trial": Trigger(lead_after_trial, ("days", "window_days"),
            _l("Fires this many days after the lead attended a trial session or first came in.")),
    },
    fact_names={
        "attended_on": _l("trial attended on"),
    },
)
