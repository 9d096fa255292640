"""Settings for managers: the club, its opening hours, its plans and packages, its staff logins."""
from babel.dates import get_day_names
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.settings import (ClubForm, LostReasonForm, MemberPageForm, OpeningHoursForm, PlanForm,
                                       PlanPriceForm, ServiceForm, SmsTestForm, StaffForm, StaffPasswordForm)
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.extensions import db
from clubcrm.formatting import money
from clubcrm.models import Plan, Service, Staff
from clubcrm.services import auth, lead_cycles, settings, staff_admin
from clubcrm.services import opening_hours as club_hours
from clubcrm.sms import test_message

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _day_names() -> dict[int, str]:
    """The weekdays (0 = Monday) named in the reader's language, as a list's heading says them."""
    names = get_day_names("wide", context="stand-alone", locale=str(get_locale()))
    return {day: name[:1].upper() + name[1:] for day, name in names.items()}


def _page(club, forms: dict | None = None, status: int = 200):
    forms = {"club": ClubForm(formdata=None, obj=club), "member_page": MemberPageForm(formdata=None, obj=club),
             "plan": PlanForm(formdata=None),
             "service": ServiceForm(formdata=None), "staff": StaffForm(formdata=None),
             "sms_test": SmsTestForm(formdata=None), "lost_reason": LostReasonForm(formdata=None), **(forms or {})}
    if "hours" not in forms:   # a refused form shows what was typed; else the stored hours
        forms["hours"] = OpeningHoursForm(formdata=None, data=club_hours.form_values(club_hours.week_of(club)))
    with unit_of_work():   # the club's first look at its lost reasons seeds the defaults
        reasons = [(r, lead_cycles.reason_label(r)) for r in lead_cycles.lost_reasons(club.id)]
    plans = db.session.scalars(select(Plan).where(Plan.club_id == club.id).order_by(Plan.duration_days))
    services = db.session.scalars(select(Service).where(Service.club_id == club.id).order_by(Service.name))
    staff = db.session.scalars(select(Staff).where(Staff.club_id == club.id).order_by(Staff.name))
    return render_template("settings/index.html", club=club, forms=forms, plans=list(plans), day_names=_day_names(),
                           sms=test_message.status(club, current_app.config),
                           services=list(services), staff=list(staff), lost_reasons=reasons,
                           may_switch=lambda login: auth.switch_refusal(current_user, login) is None,
                           may_reset=lambda login: staff_admin.reset_refusal(current_user, login) is None), status


def _submit(key: str, form, action, message: str, anchor: str | None = None):
    club = current_club()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                action(club)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("settings.index", _anchor=anchor))
    return _page(club, {key: form}, 422)


@bp.get("/")
@role_required("manager")
def index():
    """Show the club's settings."""
    return _page(current_club())


@bp.post("/club")
@role_required("manager")
def club():
    """Save the club's details."""
    form = ClubForm()
    return _submit("club", form, lambda c: settings.update_club(current_user, c, form.data), _("Saved."))


@bp.post("/member-page")
@role_required("manager")
def member_page():
    """Switch the member page on or off and set how late members may cancel a booking there."""
    form = MemberPageForm()
    return _submit("member_page", form, lambda c: settings.update_member_page(current_user, c, form.data), _("Saved."),
                   "member-page")


@bp.post("/opening-hours")
@role_required("manager")
def opening_hours():
    """Save the club's opening hours."""
    form = OpeningHoursForm()
    return _submit("hours", form, lambda c: club_hours.update(current_user, c, form.data),
                   _("Opening hours saved."), anchor="hours")


@bp.post("/plans")
@role_required("manager")
def add_plan():
    """Add a plan."""
    form = PlanForm()
    return _submit("plan", form, lambda c: settings.add_plan(current_user, c, form.data), _("Plan added."))


@bp.post("/plans/<id:plan_id>/price")
@role_required("manager")
def plan_price(plan_id: int):
    """Change a plan's price for new sales."""
    form = PlanPriceForm()
    club = current_club()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                plan = settings.set_plan_price(current_user, club, plan_id, form.price.data)
                message = _("%(plan)s now costs %(price)s for new sales; sold memberships keep their price.",
                            plan=plan.name, price=money(plan.price_minor, plan.currency))
        except NotFound:
            abort(404)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("settings.index") + "#plans")
    return _page(club, {"plan_price": form, "plan_price_id": plan_id}, 422)


@bp.post("/services")
@role_required("manager")
def add_service():
    """Add a package."""
    form = ServiceForm()
    return _submit("service", form, lambda c: settings.add_service(current_user, c, form.data),
                   _("Package added."))


@bp.post("/lost-reasons")
@role_required("manager")
def add_lost_reason():
    """Add a lost reason of the club's own."""
    form = LostReasonForm()
    return _submit("lost_reason", form, lambda c: lead_cycles.add_reason(current_user, c, form.label.data),
                   _("Reason added."))


@bp.post("/staff")
@role_required("manager")
def add_staff():
    """Create a desk or manager login for this club."""
    form = StaffForm()
    return _submit("staff", form,
                   lambda c: auth.create_staff(form.email.data, form.role.data, form.password.data, c.id,
                                               name=form.name.data, is_trainer=form.is_trainer.data,
                                               actor=current_user),
                   _("Login created."))


@bp.post("/staff/<id:staff_id>/active/<int(min=0, max=1):active>")
@role_required("manager")
def toggle_staff(staff_id: int, active: int):
    """Switch a login off (1: on again); switching off ends its sessions at once."""
    try:
        with unit_of_work():
            ended = auth.switch_login(current_user, staff_id, bool(active))
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Login switched on.") if active else
              ngettext("Login switched off; %(num)d session ended.", "Login switched off; %(num)d sessions ended.",
                       ended), "success")
    return redirect(url_for("settings.index"))


@bp.post("/staff/<id:staff_id>/password")
@role_required("manager")
def reset_staff_password(staff_id: int):
    """Set a new password for a login, to be changed at its next login; its sessions end at once."""
    form = StaffPasswordForm()
    # No form validation here: the service checks the login first (another club's: 404), then names the password's
    # fault; CSRFProtect has checked the token already.
    try:
        with unit_of_work():
            ended = staff_admin.reset_password(current_user, staff_id, form.password.data or "")
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("settings.index", _anchor="staff"))
    flash(ngettext("Password set; it must be changed at the next login. %(num)d session ended.",
                   "Password set; it must be changed at the next login. %(num)d sessions ended.", ended), "success")
    return redirect(url_for("settings.index", _anchor="staff"))


@bp.post("/staff/<id:staff_id>/trainer/<int(min=0, max=1):trainer>")
@role_required("manager")
def set_trainer(staff_id: int, trainer: int):
    """Mark a login as a trainer (1) or not (0)."""
    try:
        with unit_of_work():
            staff_admin.set_trainer(current_user, staff_id, bool(trainer))
    except NotFound:
        abort(404)
    return redirect(url_for("settings.index", _anchor="staff"))


@bp.post("/<kind>/<id:item_id>/active/<int(min=0, max=1):active>")
@role_required("manager")
def toggle(kind: str, item_id: int, active: int):
    """Stop (0) or resume (1) selling a plan or package; switch a lost reason off (0) or on (1)."""
    if kind == "lost-reasons":
        try:
            with unit_of_work():
                lead_cycles.set_reason_active(current_user, current_club(), item_id, bool(active))
        except NotFound:
            abort(404)
        return redirect(url_for("settings.index") + "#lost-reasons")
    model = {"plans": Plan, "services": Service}.get(kind)
    item = db.session.get(model, item_id) if model else None
    if item is None or item.club_id != current_club().id:
        abort(404)
    with unit_of_work():
        settings.set_active(current_user, item, bool(active))
    return redirect(url_for("settings.index"))


@bp.post("/sms/test")
@role_required("manager")
def sms_test():
    """Send a test SMS to a staff phone now, from the club's sender, and say what Twilio answered."""
    form = SmsTestForm()
    club = current_club()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                sid = test_message.send_test(current_user, club, form.phone.data, current_app.config)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Test SMS accepted by Twilio (%(sid)s): check the phone.", sid=sid), "success")
            return redirect(url_for("settings.index") + "#sms")
    return _page(club, {"sms_test": form}, 422)
