"""Members' replies: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.tools.base import DefaultRule, ToolSpec, Trigger


TOOL = ToolSpec(
    key="reply",
    name=_l("Members' replies"),
    effect=None,
    rules=(
        # A member's SMS that is no keyword becomes a staff task (clubcrm.sms.inbound): its trigger is no planner
        # trigger, so the engine never fires it; it is a rule so that the task shows on Today like any other.
        DefaultRule("member_replied", "reply", "member_replied", "adaptation,active,pre_renewal,frozen,lapsed,lost",
                    "task", 1),
    ),
    rule_names={
        "member_replied": _l("Member replied by SMS"),
    },
    triggers={
        "member_replied": Trigger(None, (),
                                  _l("When a member answers an SMS with anything but STOP, START, HELP or YES.")),
    },
    fact_names={
        "reply": _l("the member's SMS"),
    },
)
