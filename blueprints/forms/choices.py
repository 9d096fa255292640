"""Fill the member card's select boxes with the club's plans, services and the member's contracts."""
from flask_babel import gettext as _
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.formatting import day, money
from clubcrm.models import Plan, Service
from clubcrm.services.cards import MemberCard
from clubcrm.services.contracts import is_live


def fill_choices(forms: dict, card: MemberCard) -> None:
    """Offer only what this member and club can use."""
    club_id = card.member.club_id
    plans = db.session.scalars(select(Plan).where(Plan.club_id == club_id, Plan.active)
                               .order_by(Plan.duration_days, Plan.name))
    forms["sell"].plan_id.choices = [
        (p.id, f"{p.name} — {money(p.price_minor, p.currency)}") for p in plans
    ]
    services = list(db.session.scalars(select(Service).where(Service.club_id == club_id, Service.active)
                                       .order_by(Service.name)))
    forms["package"].service_id.choices = [
        (s.id, _("%(units)s × %(name)s — %(price)s", units=s.package_units, name=s.name,
                 price=money(s.price_minor, s.currency))) for s in services
    ]
    forms["grant"].service_id.choices = [(s.id, s.name) for s in services]
    today = card.standing.today
    forms["redeem"].service_id.choices = [
        (p.service_id, f"{p.service.name} ({p.balance})") for p in card.packages
        if p.balance > 0 and (p.expires_on is None or p.expires_on >= today)
    ]
    current = card.standing.membership
    if current is not None and forms["sell"].plan_id.data is None:
        forms["sell"].plan_id.data = current.plan_id  # a renewal is usually the same plan again
    live = [m for m in card.memberships if is_live(m, card.standing.today)
            and m.ends_on >= card.standing.today]
    contract_choices = [(m.id, f"{m.plan.name}: {day(m.starts_on)} – {day(m.ends_on)}") for m in live]
    forms["freeze"].membership_id.choices = contract_choices
    forms["cancel"].membership_id.choices = contract_choices
