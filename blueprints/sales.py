"""Sales at the desk: memberships, renewals, packages, freezes, cancellations, package units."""
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.access import role_required
from blueprints.forms.sales import CancelForm, FreezeForm, PackageSaleForm, SellForm, UnitsForm
from blueprints.members import load_member, run_on_card
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.formatting import day
from clubcrm.services import desk_sale, packages, sales

bp = Blueprint("sales", __name__, url_prefix="/members/<id:member_id>")


@role_required("desk", "manager")
def back_to_card(member_id: int):
    """Send a reload of a form's address (after a refused sale, say) back to the member card."""
    return redirect(url_for("members.card", member_id=member_id))


for _path in ("/sell", "/packages/sell", "/freeze", "/cancel", "/packages/redeem", "/packages/grant"):
    bp.add_url_rule(_path, endpoint="back" + _path.replace("/", "_"), view_func=back_to_card, methods=["GET"])


@bp.post("/sell")
@role_required("desk", "manager")
def sell(member_id: int):
    """Sell or renew a membership; with "check in now", check the member in in the same transaction, and with a
    Today task's id, record its "Renewed" outcome (only now that the sale is made)."""
    member = load_member(member_id)
    form = SellForm()

    def action(today):
        return desk_sale.sell(current_user, member, form.plan_id.data, today, starts_on=form.starts_on.data,
                              check_in=form.check_in.data, task_id=form.task_id.data)

    def sold_message(m) -> str:
        text = (_("Renewal sold: %(plan)s until %(date)s.", plan=m.plan.name, date=day(m.ends_on)) if m.renews_id
                else _("Sold: %(plan)s until %(date)s.", plan=m.plan.name, date=day(m.ends_on)))
        return text + " " + _("%(name)s checked in.", name=member.full_name) if form.check_in.data else text

    return run_on_card(member, "sell", form, action, sold_message)


@bp.post("/packages/sell")
@role_required("desk", "manager")
def sell_package(member_id: int):
    """Sell a service package."""
    member = load_member(member_id)
    form = PackageSaleForm()
    return run_on_card(member, "package", form,
                lambda today: sales.sell_package(current_user, member, form.service_id.data, today),
                lambda entry: ngettext("Package sold: %(num)d unit added.", "Package sold: %(num)d units added.",
                                      entry.units))


@bp.post("/freeze")
@role_required("desk", "manager")
def freeze(member_id: int):
    """Freeze a membership for a number of days."""
    member = load_member(member_id)
    form = FreezeForm()
    return run_on_card(member, "freeze", form,
                lambda today: sales.freeze(current_user, member, form.membership_id.data,
                                           form.starts_on.data, form.ends_on.data, today,
                                           reason=form.reason.data or ""),
                lambda f: _("Frozen from %(start)s to %(end)s; the membership now ends on %(date)s.",
                            start=day(f.starts_on), end=day(f.ends_on), date=day(f.membership.ends_on)))


@bp.post("/freezes/<id:freeze_id>/end")
@role_required("desk", "manager")
def end_freeze(member_id: int, freeze_id: int):
    """End a freeze today (the member came back early)."""
    member = load_member(member_id)
    try:
        with unit_of_work():
            membership = sales.end_freeze(current_user, member, freeze_id, local_today(member.club.timezone))
            message = _("Freeze ended; the membership now ends on %(date)s.", date=day(membership.ends_on))
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(message, "success")
    return redirect(url_for("members.card", member_id=member.id))


@bp.post("/cancel")
@role_required("manager")
def cancel(member_id: int):
    """Cancel a membership."""
    member = load_member(member_id)
    form = CancelForm()
    return run_on_card(member, "cancel", form,
                lambda today: sales.cancel(current_user, member, form.membership_id.data, today,
                                           form.reason.data),
                lambda m: _("Membership cancelled."))


@bp.post("/packages/redeem")
@role_required("desk", "manager")
def redeem(member_id: int):
    """Take units from a member's package."""
    member = load_member(member_id)
    form = UnitsForm(prefix="redeem")
    return run_on_card(member, "redeem", form,
                lambda today: packages.redeem(current_user, member, form.service_id.data, today,
                                              units=form.units.data, reason=form.reason.data or ""),
                lambda entry: _("Redeemed %(units)s.", units=-entry.units))


@bp.post("/packages/grant")
@role_required("manager")
def grant(member_id: int):
    """Give a member free units (managers only)."""
    member = load_member(member_id)
    form = UnitsForm(prefix="grant")

    def action(today):
        service = packages.service_for(member.club_id, form.service_id.data)
        return packages.grant(current_user, member, service, form.units.data, today,
                              reason=form.reason.data or "gift")

    return run_on_card(member, "grant", form, action, lambda entry: _("Granted %(units)s.", units=entry.units))
