"""Names people read for the codes we store: roles, stages, audit actions."""
from flask_babel import lazy_gettext as _l

from clubcrm.i18n import LOCALE_NAMES

ROLE_NAMES = {"desk": _l("desk"), "manager": _l("manager"), "owner": _l("owner")}

STATE_NAMES = {
    "lead": _l("lead"),
    "active": _l("active"),
    "frozen": _l("frozen"),
    "expired": _l("expired"),
    "cancelled": _l("cancelled"),
    "future": _l("starts later"),
    "none": _l("no membership"),
}

# Why a check-in was refused (CheckinRefused codes), as the overrides report names a member's standing.
REFUSAL_NAMES = {
    "no_membership": _l("no membership"),
    "not_started": _l("membership not started"),
    "expired": _l("membership expired"),
    "cancelled": _l("membership cancelled"),
    "frozen": _l("membership frozen"),
    "visit_limit": _l("all visits used"),
    "active": _l("active"),
}

ACTION_NAMES = {
    "create": _l("created"),
    "update": _l("changed"),
    "sell": _l("sold"),
    "renew": _l("renewed"),
    "freeze": _l("froze"),
    "cancel": _l("cancelled"),
    "grant": _l("granted units"),
    "redeem": _l("redeemed units"),
    "give_back": _l("gave back a unit (booking cancelled)"),
    "close_call": _l("recorded a call"),
    "unfreeze": _l("ended a freeze"),
    "close_task": _l("closed a task"),
    "retry_task": _l("will call again"),
    "retry_sms": _l("queued an SMS to be sent again"),
    "send_sms": _l("wrote an SMS"),
    "cancel_sms": _l("cancelled a waiting SMS"),
    "test_sms": _l("sent a test SMS"),
    "consent_request": _l("asked the member's phone to confirm SMS consent"),
    "log_contact": _l("logged a contact"),
    "gdpr_export": _l("downloaded the member's data (GDPR)"),
    "erase": _l("erased the member's personal data (GDPR)"),
    "export": _l("downloaded an export"),
    "override": _l("let the member in once (manager's approval)"),
    "open_lead_cycle": _l("opened a new lead cycle"),
    "lose_lead": _l("marked the lead lost"),
    "assign_lead": _l("assigned the lead"),
    "merge_members": _l("merged two records of one person"),
    "time_out_leads": _l("closed lead cycles without a sale as lost"),
}

# Where a lead came from (lead_cycle.source, member.source).
LEAD_SOURCE_NAMES = {
    "walk_in": _l("walk-in"), "phone": _l("phone call"), "web_form": _l("web form"), "referral": _l("referral"),
    "campaign": _l("campaign"), "import": _l("import"), "other": _l("other"),
}
# Where a lead cycle stands (services/lead_cycles.stages_of).
LEAD_STAGE_NAMES = {
    "new": _l("new"), "contacted": _l("contacted"), "trial_booked": _l("trial booked"),
    "trial_attended": _l("trial attended"), "won": _l("won"), "lost": _l("lost"),
}
# The default lost reasons' labels (a club's own reasons carry their label).
LOST_REASON_NAMES = {
    "price": _l("price"), "distance": _l("distance"), "schedule": _l("schedule"),
    "other_club": _l("chose another club"), "no_answer": _l("no answer"), "not_interested": _l("not interested"),
    # Not a reason staff choose: the newer of two open cycles closed by a merge of two records (services/merge.py).
    "merged": _l("merged with another record"),
}


def lead_source_name(code: str) -> str:
    return str(LEAD_SOURCE_NAMES.get(code, code))


def lead_stage_name(code: str) -> str:
    return str(LEAD_STAGE_NAMES.get(code, code))


CONSENT_SOURCE_NAMES = {
    "desk": _l("at the desk"), "web_form": _l("web form"), "api": _l("API"), "import": _l("import"),
    "sms": _l("by SMS (STOP/START)"), "sms_confirmation": _l("confirmed by SMS (YES)"), "erasure": _l("data erased"),
    "member_page": _l("on the member's page"),
}


def consent_source_name(code: str) -> str:
    return str(CONSENT_SOURCE_NAMES.get(code, code))


def role_name(code: str) -> str:
    return str(ROLE_NAMES.get(code, code))


def state_name(code: str) -> str:
    return str(STATE_NAMES.get(code, code))


def action_name(code: str) -> str:
    return str(ACTION_NAMES.get(code, code))


FIELD_NAMES = {
    "first_name": _l("First name"), "last_name": _l("Last name"), "phone": _l("Phone"), "email": _l("Email"),
    "card_code": _l("Card code"), "birth_date": _l("Birth date"), "locale": _l("Language"),
    "interest": _l("Interested in"), "sms_consent": _l("SMS consent"), "plan": _l("Plan"),
    "starts_on": _l("Starts on"), "ends_on": _l("Ends on"), "service": _l("Service"), "units": _l("Units"),
    "balance": _l("Balance"), "reason": _l("Reason"), "cancelled_on": _l("Cancelled on"),
    "frozen_from": _l("First day"), "frozen_to": _l("Last day"), "active": _l("On sale"), "name": _l("Name"),
    "title": _l("Session"), "starts_at": _l("Starts at"), "status": _l("Booking"),
    "outcome": _l("Outcome"), "note": _l("Note"), "task": _l("Task"),
    "source": _l("Source"), "campaign": _l("Campaign"), "lost_reason": _l("Lost reason"),
    "stage": _l("Stage"), "cycles": _l("Lead cycles"), "offered": _l("Offered"),
}
_HIDDEN = {"price_minor", "currency", "renews_id", "days", "role", "trainer_id", "bookings", "capacity",
           "ends_at", "kind"}

BOOKING_STATUS_NAMES = {
    "booked": _l("booked"), "waitlist": _l("on the waiting list"), "attended": _l("attended"),
    "no_show": _l("did not come"), "cancelled": _l("cancelled"),
}


def audit_details(after: dict | None) -> str:
    """Describe an audit event's new values in the reader's language: "Plan: Year; Ends on: 22 Feb 2027"."""
    from datetime import date, datetime

    from clubcrm.formatting import day, moment, money

    if not after:
        return ""
    parts = []
    if after.get("price_minor") is not None and after.get("currency"):
        parts.append(f"{_l('Price')}: {money(after['price_minor'], after['currency'])}")
    for key, value in after.items():
        if key in _HIDDEN or value is None or value == "":
            continue
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                value = day(date.fromisoformat(value))
            except ValueError:
                pass
        elif isinstance(value, str) and len(value) > 18 and value[10] == "T":
            try:
                value = moment(datetime.fromisoformat(value))
            except ValueError:
                pass
        if isinstance(value, bool):
            value = _l("yes") if value else _l("no")
        elif key == "reason":
            value = reason_text(str(value))
        elif key == "locale":
            value = LOCALE_NAMES.get(value, value)
        elif key == "status":
            value = BOOKING_STATUS_NAMES.get(value, value)
        elif key == "source":
            value = LEAD_SOURCE_NAMES.get(value, value)
        elif key == "stage":
            value = LEAD_STAGE_NAMES.get(value, value)
        elif key == "lost_reason":
            value = LOST_REASON_NAMES.get(value, value)
        elif key in ("outcome", "task"):
            from clubcrm.lifecycle.labels import OUTCOME_NAMES, RULE_NAMES

            value = (OUTCOME_NAMES if key == "outcome" else RULE_NAMES).get(value, value)
        parts.append(f"{FIELD_NAMES.get(key, key)}: {value}")
    return "; ".join(parts)


def reason_text(reason: str) -> str:
    """Name the reasons the code stores for ledger rows ("sale", "gift", "plan:Year") in the reader's language."""
    if reason == "sale":
        return str(_l("package sale"))
    if reason == "gift":
        return str(_l("gift"))
    if reason.startswith("plan:"):
        return str(_l("included in %(plan)s", plan=reason.removeprefix("plan:")))
    return reason
