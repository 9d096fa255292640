"""The API's JSON shapes of members, memberships, balances and visits (clubcrm/api_schema.py describes them)."""
import math
from datetime import date, datetime

from clubcrm.models import Member, Membership, Package, Visit
from clubcrm.services.contracts import Standing


def instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def number(value: float | None) -> float | None:
    """A float for JSON: None for a missing or non-finite value (JSON has no NaN)."""
    return value if value is not None and math.isfinite(value) else None


def member(m: Member) -> dict:
    return {
        "id": m.id, "club_id": m.club_id, "name": m.full_name, "first_name": m.first_name,
        "last_name": m.last_name, "phone": m.phone, "email": m.email, "card_code": m.card_code,
        "locale": m.locale, "interest": m.interest, "source": m.source, "is_lead": m.is_lead,
        "sms_consent": m.sms_consent, "created_at": instant(m.created_at),
    }


def guest(m: Member) -> dict:
    """Another club's member as a check-in shows them: no contact details."""
    return {"id": m.id, "club_id": m.club_id, "name": m.full_name, "card_code": m.card_code, "guest": True}


def membership(m: Membership | None) -> dict | None:
    if m is None:
        return None
    return {"id": m.id, "plan_id": m.plan_id, "plan": m.plan.name, "starts_on": day(m.starts_on),
            "ends_on": day(m.ends_on), "visit_limit": m.visit_limit, "cancelled_on": day(m.cancelled_on)}


def standing(where: Standing) -> dict:
    return {"state": where.state, "membership": membership(where.membership), "days_left": where.days_left,
            "frozen_until": day(where.freeze.ends_on) if where.freeze is not None else None}


def balances(packages: list[Package]) -> list[dict]:
    return [{"service_id": p.service_id, "service": p.service.name, "balance": p.balance,
             "expires_on": day(p.expires_on)} for p in packages]


def visit(v: Visit) -> dict:
    return {"id": v.id, "member_id": v.member_id, "membership_id": v.membership_id,
            "checked_in_at": instant(v.checked_in_at), "source": v.source}
