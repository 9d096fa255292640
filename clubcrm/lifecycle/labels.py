"""Names people read for the lifecycle's codes: stages, tools, rules, facts, outcomes, skip reasons."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.tools import RULE_NAMES, TOOL_FACT_NAMES, TOOL_NAMES, TRIGGER_SPECS

__all__ = ["CHANNEL_NAMES", "FACT_NAMES", "OUTCOME_NAMES", "RULE_NAMES", "SKIP_REASONS", "STAGE_NAMES", "STATUS_NAMES",
           "TASK_KIND_NAMES", "TOOL_NAMES", "TRIGGER_HELP", "name"]

STAGE_NAMES = {
    "lead": _l("lead"), "adaptation": _l("adaptation"), "active": _l("active use"),
    "pre_renewal": _l("before renewal"), "frozen": _l("frozen"), "lapsed": _l("lapsed"), "lost": _l("lost"),
}

# What the number fields mean for each trigger, shown beside them in the rule form (each tool's module says).
TRIGGER_HELP = {name: spec.help for name, spec in TRIGGER_SPECS.items()}

# Facts several tools' triggers (or the planner) record; each tool names its own (tools/).
FACT_NAMES = {
    "days_since_start": _l("days since the start"), "visits_cycle": _l("visits this membership"),
    "instead_of_sms": _l("a call instead of an SMS"),
    **TOOL_FACT_NAMES,
}

CHANNEL_NAMES = {"sms": _l("SMS"), "task": _l("staff task")}

STATUS_NAMES = {
    "planned": _l("planned"), "held_out": _l("control group (not contacted)"), "skipped": _l("skipped"),
    "done": _l("done"),
    "sent": _l("sent"), "failed": _l("failed"), "expired": _l("expired (nobody called)"),
}

SKIP_REASONS = {
    "no_consent": _l("no SMS consent"), "budget": _l("contact budget used up"),
    "sms_cap": _l("an SMS went out only days ago"), "talked": _l("staff spoke with the member days ago"),
    "club_closed": _l("club closed"),
    "cancelled": _l("SMS cancelled by staff"),
    "frozen": _l("membership frozen"),
    "reached": _l("the lead was reached already"), "lead_closed": _l("the lead's cycle closed"),
}

TASK_KIND_NAMES = {
    "call_back": _l("Call"), "congratulate": _l("Congratulate"), "invite": _l("Invite"),
    "offer_renewal": _l("Offer renewal"),
    # What a member asked for on their page in answer to a renewal offer (clubcrm.services.member_page_answers).
    "call_me": _l("Asked to be called about renewing"), "at_desk": _l("Will renew at the desk"),
}

OUTCOME_NAMES = {
    "reached": _l("Reached"), "no_answer": _l("No answer"), "booked": _l("Booked a session"),
    "renewed": _l("Renewed"), "declined": _l("Declined"),
}


def name(table: dict, code: str | None) -> str:
    """The translated name of CODE in TABLE (the code itself if unknown)."""
    return str(table.get(code, code)) if code else ""
