"""Names people read for the codes we store: roles, stages, audit actions."""
from flask_babel import lazy_gettext as _l

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

ACTION_NAMES = {
    "create": _l("created"),
    "update": _l("changed"),
    "sell": _l("sold"),
    "renew": _l("renewed"),
    "freeze": _l("froze"),
    "cancel": _l("cancelled"),
    "grant": _l("granted units"),
    "redeem": _l("redeemed units"),
}


def role_name(code: str) -> str:
    return str(ROLE_NAMES.get(code, code))


def state_name(code: str) -> str:
    return str(STATE_NAMES.get(code, code))


def action_name(code: str) -> str:
    return str(ACTION_NAMES.get(code, code))
