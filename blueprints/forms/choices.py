"""Fill the member card's select boxes with the club's plans, services and the member's contracts."""
from flask_babel import gettext as _
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.formatting import day, money
from clubcrm.models import Plan
from clubcrm.services import packages
from clubcrm.services.cards import MemberCard


def fill_choices(forms: dict, card: MemberCard) -> None:
    """Offer only what this member and club can use, in the forms FORMS holds (the card renders only the forms
    that are open, so only their choices are read)."""
    club_id = card.member.club_id
    if "sell" in forms:
        plans = db.session.scalars(select(Plan).where(Plan.club_id == club_id, Plan.active)
                                   .order_by(Plan.duration_days, Plan.name))
        forms["sell"].plan_id.choices = [
            (p.id, f"{p.name} — {money(p.price_minor, p.currency)}") for p in plans
        ]
        current = card.standing.membership
        if current is not None and forms["sell"].plan_id.data is None:
            forms["sell"].plan_id.data = current.plan_id  # a renewal is usually the same plan again
    if "package" in forms or "grant" in forms:
        services = packages.active_services(club_id)
        if "package" in forms:
            forms["package"].service_id.choices = [
                (s.id, _("%(units)s × %(name)s — %(price)s", units=s.package_units, name=s.name,
                         price=money(s.price_minor, s.currency))) for s in services
            ]
        if "grant" in forms:
            forms["grant"].service_id.choices = [(s.id, s.name) for s in services]
    if "redeem" in forms:
        forms["redeem"].service_id.choices = [(p.service_id, f"{p.service.name} ({p.balance})")
                                              for p in card.redeemable]
    contract_choices = [(m.id, f"{m.plan.name}: {day(m.starts_on)} – {day(m.ends_on)}")
                        for m in card.open_contracts]
    for name in ("freeze", "cancel"):
        if name in forms:
            forms[name].membership_id.choices = contract_choices
