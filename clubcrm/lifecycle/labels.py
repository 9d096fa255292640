"""Names people read for the lifecycle's codes: stages, tools, rules, facts, outcomes, skip reasons."""
from flask_babel import lazy_gettext as _l

STAGE_NAMES = {
    "lead": _l("lead"), "adaptation": _l("adaptation"), "active": _l("active use"),
    "pre_renewal": _l("before renewal"), "frozen": _l("frozen"), "lapsed": _l("lapsed"), "lost": _l("lost"),
}

TOOL_NAMES = {
    "welcome": _l("Welcome"), "first_visit_call": _l("First-visit call"), "trial_session": _l("Trial session"),
    "adaptation_check": _l("Adaptation check"), "class_invitation": _l("Class and event invitation"),
    "silence": _l("Silence nudge"), "milestone": _l("Visit milestones"), "birthday": _l("Birthday greeting"),
    "seasonal": _l("Seasonal promotion"), "package_offer": _l("Package offer"),
    "renewal_offer": _l("Renewal offer"), "freeze_end": _l("Freeze ending"), "win_back": _l("Win-back"),
    "club_news": _l("Club news"), "reply": _l("Members' replies"),
}

RULE_NAMES = {
    "welcome": _l("Welcome message after the start"),
    "no_first_visit": _l("No first visit: staff call"),
    "trial_invite": _l("Trial session invitation in weeks 1–2"),
    "adaptation_14": _l("Adaptation check at day 14"),
    "adaptation_30": _l("Adaptation check at day 30"),
    "class_invite": _l("Gym-only member: class or event invitation"),
    "silence_sms": _l("No visits for a while: SMS"),
    "silence_call": _l("No visits for longer: staff call"),
    "milestone_10": _l("10th visit"), "milestone_50": _l("50th visit"), "milestone_100": _l("100th visit"),
    "birthday": _l("Birthday"),
    "season_newyear": _l("New year campaign"), "season_spring": _l("Spring campaign"),
    "season_autumn": _l("Autumn campaign"),
    "low_balance": _l("Package balance running low"),
    "package_expiring": _l("Package expiring unused"),
    "renewal_45": _l("Renewal offer"), "renewal_14": _l("Renewal reminder"),
    "renewal_call_3": _l("Renewal call"),
    "freeze_ended": _l("Back from a freeze"),
    "win_back_7": _l("Win-back a week after the end"), "win_back_30": _l("Win-back call a month after the end"),
    "keep_in_touch": _l("Keep in touch (club news)"),
    "member_replied": _l("Member replied by SMS"),
}

# What the number fields mean for each trigger, shown beside them in the rule form.
TRIGGER_HELP = {
    "days_since_start": _l("Fires on this day after the start, or within the window after it."),
    "no_first_visit": _l("Fires this many days after the start if the member has not visited yet."),
    "trial_invite": _l("From this day after the start, if no trial session is booked and one has free places."),
    "adaptation_check": _l("On this day after the start, if the member has fewer visits than the threshold."),
    "gym_only": _l("From this day after the start, if the member booked no class or event for threshold days."),
    "silence": _l("After this many days without a visit."),
    "visits_milestone": _l("When the visits of this membership reach the threshold."),
    "birthday": _l("On the member's birthday."),
    "season": _l("Once a year, inside the campaign window."),
    "low_balance": _l("When a package balance falls to the threshold or below."),
    "package_expiring": _l("This many days before a package with units left expires."),
    "days_to_end": _l("This many days before the membership ends, if no renewal is sold."),
    "freeze_ended": _l("This many days after a freeze ends."),
    "days_since_end": _l("This many days after the membership ended, if it was not renewed."),
    "pacing": _l("When the cycle is behind its minimum of contacts and nobody was in touch for this many days."),
    "member_replied": _l("When a member answers an SMS with anything but STOP, START, HELP or YES."),
}

FACT_NAMES = {
    "days_since_start": _l("days since the start"), "visits_cycle": _l("visits this membership"),
    "trial_booked": _l("trial session booked"), "days_since_class": _l("days since the last class"),
    "visits_30": _l("visits in 30 days"), "days_silent": _l("days without a visit"),
    "last_visit": _l("last visit"), "birthday": _l("birthday"), "season": _l("campaign window"),
    "service": _l("service"), "balance": _l("balance"), "expires_on": _l("expires on"),
    "days_to_end": _l("days until the membership ends"), "ends_on": _l("membership ends on"),
    "freeze_ended": _l("freeze ended on"),
    "days_since_end": _l("days since the end"), "contacts_in_cycle": _l("contacts this membership"),
    "days_quiet": _l("days without a contact"), "instead_of_sms": _l("a call instead of an SMS"),
    "reply": _l("the member's SMS"),
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
}

TASK_KIND_NAMES = {
    "call_back": _l("Call"), "congratulate": _l("Congratulate"), "invite": _l("Invite"),
    "offer_renewal": _l("Offer renewal"),
}

OUTCOME_NAMES = {
    "reached": _l("Reached"), "no_answer": _l("No answer"), "booked": _l("Booked a session"),
    "renewed": _l("Renewed"), "declined": _l("Declined"),
}


def name(table: dict, code: str | None) -> str:
    """The translated name of CODE in TABLE (the code itself if unknown)."""
    return str(table.get(code, code)) if code else ""
