"""Member pages: the card and its panels, a new lead, editing details, check-in, logging a contact."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.access import current_club, role_required
from blueprints.desk import check_in_and_report
from blueprints.forms import show_error
from blueprints.forms.members import LostForm, MemberForm, NewLeadForm, reason_choices
from blueprints.forms.sales import CancelForm, FreezeForm, OverrideForm, PackageSaleForm, SellForm, UnitsForm
from blueprints.forms.choices import fill_choices
from blueprints.forms.tasks import ContactForm, SmsForm
from blueprints.member_page import render_page, speak_as_member
from clubcrm.clock import local_today, utcnow
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, InvalidInput, NotFound
from clubcrm.services import auth, cards, consent, lead_cycles, member_links, members, overrides, sessions, tasks
from clubcrm.sms import outbox, screen

bp = Blueprint("members", __name__, url_prefix="/members")


def load_member(member_id: int):
    """Return the member or 404 when this login may not see them."""
    try:
        return members.get_for(current_user, member_id)
    except NotFound:
        abort(404)


@bp.route("/new", methods=["GET", "POST"])
@role_required("desk", "manager")
def new():
    """Register a lead with where they came from; a lost lead who asks again gets a new lead cycle."""
    club = current_club()
    form = NewLeadForm(locale=club.default_locale)
    known = None
    if form.validate_on_submit():
        chosen = (request.form.get("use_member") or "").strip()    # the known person the desk chose to use
        use_member_id = int(chosen) if chosen.isascii() and chosen.isdigit() else None
        try:
            with unit_of_work():
                inquiry = members.take_inquiry(current_user, club, form.values(), offer_known=True,
                                               use_member_id=use_member_id)
                member = inquiry.member
        except members.KnownPerson as error:
            known = error.member
        except DomainError as error:
            show_error(form, error)
        else:
            if inquiry.known:
                flash(_("%(name)s is already known: here is their card.", name=member.full_name), "success")
            elif inquiry.new_cycle:
                flash(_("%(name)s asked again: a new lead cycle is open for them.", name=member.full_name),
                      "success")
            else:
                flash(_("%(name)s is registered as a lead.", name=member.full_name), "success")
            return redirect(url_for("members.card", member_id=member.id))
    elif form.is_submitted():
        the_rest_of(form, club)
    status = 409 if known is not None else 422 if form.errors else 200
    return render_template("members/form.html", form=form, member=None, known=known), status


def the_rest_of(form: MemberForm, club, member_id: int | None = None) -> None:
    """A member form refused by its own checks (a date that is no date, say): show what the service would refuse
    in the other fields too, so that every error is on the page at once."""
    refused = set(form.errors)
    data = {name: (None if name in refused else value) for name, value in form.values().items()}
    if "first_name" in refused:
        data["first_name"] = "-"     # its own error is shown; do not add "Enter a first name" to it
    for error in members.problems(club, data, member_id):
        if error.field not in refused:
            show_error(form, error)


@bp.get("/<id:member_id>")
@role_required("desk", "manager")
def card(member_id: int):
    """Show the member card; ?sell=checkin opens the sell form set to check the member in (a refused check-in's
    "Sell and check in"), ?sell=task&task=ID opens it to record that Today task's "Renewed" with the sale."""
    offer = request.args.get("sell")
    if offer == "checkin":
        return render_card(member_id, opened=("sell", SellForm(formdata=None, check_in=True)))
    if offer == "task":
        task_id = request.args.get("task", "")
        task = int(task_id) if task_id.isdigit() and int(task_id) < 2**31 else None
        return render_card(member_id, opened=("sell", SellForm(formdata=None, task_id=task)))
    if request.args.get("open") == "override" and current_user.has_role("desk", "manager"):
        return render_card(member_id, opened=("override", OverrideForm(formdata=None)))
    return render_card(member_id)


# The card's forms: each is rendered only when its section is opened (a fragment the page fetches), or when a
# refused submission puts it back with its errors. (class, keyword arguments, roles that may use it)
CARD_FORMS = {
    "sell": (SellForm, {}, ("desk", "manager")),
    "package": (PackageSaleForm, {}, ("desk", "manager")),
    "freeze": (FreezeForm, {}, ("desk", "manager")),
    "cancel": (CancelForm, {}, ("manager",)),
    "redeem": (UnitsForm, {"prefix": "redeem"}, ("desk", "manager")),
    "grant": (UnitsForm, {"prefix": "grant"}, ("manager",)),
    "contact": (ContactForm, {}, ("desk", "manager")),
    "sms": (SmsForm, {}, ("desk", "manager")),
    "override": (OverrideForm, {}, ("desk", "manager")),
}


def load_card(member_id: int):
    """Return the member and their memberships (one statement), or 404 when this login may not see them."""
    try:
        return cards.load(current_user, member_id)
    except NotFound:
        abort(404)


def render_card(member_id: int, failed: tuple[str, object] | None = None,
                opened: tuple[str, object] | None = None):
    """Render the member card; FAILED = (name, form) puts a submitted form back, open, with its errors; OPENED =
    (name, form) shows a form open, as the card's link that asked for it (prefilled)."""
    member, history, sells_packages = load_card(member_id)
    today = local_today(member.club.timezone)
    data = cards.build(member, today, history, sells_packages)
    forms = {}
    shown = failed or opened
    if shown is not None:
        forms[shown[0]] = shown[1]
        fill_choices(forms, data)
    status = 422 if failed is not None else 200
    return render_template("members/card.html", card=data, today=today, forms=forms,
                           open_form=shown[0] if shown else None,
                           lifecycle_name=once_per_page(current_app.jinja_env.globals["lifecycle_name"])), status


def once_per_page(name):
    """Remember NAME's answers for one page: a long history names the same few tools, rules and statuses in
    dozens of rows, and each lookup goes through the translations."""
    seen: dict[tuple, str] = {}

    def named(*key) -> str:
        if key not in seen:
            seen[key] = name(*key)
        return seen[key]

    return named


def fragment(member, template: str, title: str, **context):
    """Render a card panel or form: bare for the card's script (?partial=1), else as a page of its own (no
    script: the panel's link opens it)."""
    context.update(m=member, title=title, inner=template)
    return render_template(template if request.args.get("partial") else "members/fragment.html", **context)


@bp.get("/<id:member_id>/forms/<form_name>")
@role_required("desk", "manager")
def form(member_id: int, form_name: str):
    """Show one of the card's forms, when its section is opened."""
    if form_name not in CARD_FORMS:
        abort(404)
    name = form_name
    form_class, options, roles = CARD_FORMS[name]
    if not current_user.has_role(*roles):
        abort(403)
    member, history, _sells = load_card(member_id)
    today = local_today(member.club.timezone)
    data = cards.head(member, today, history)
    if name == "redeem":
        data.packages = cards.balances(member.id)
    forms = {name: form_class(formdata=None, **options)}
    fill_choices(forms, data)
    return fragment(member, "members/_form.html", form_title(name, data), forms=forms, name=name)


def form_title(name: str, data) -> str:
    """Name a card form as its section's summary does."""
    if name == "sell":
        return _("Renew") if data.renewable else _("Sell a membership")
    return {"package": _("Sell a package"), "freeze": _("Freeze"), "cancel": _("Cancel a membership"),
            "redeem": _("Redeem"), "grant": _("Grant free units"), "contact": _("Log a contact"),
            "sms": _("Send an SMS"), "override": _("Let in once")}[name]


@bp.get("/<id:member_id>/audit")
@role_required("desk", "manager")
def audit_panel(member_id: int):
    """Show the member's audit trail (the card's panel, fetched when opened)."""
    member = load_member(member_id)
    return fragment(member, "members/_audit.html", _("Audit trail"),
                    events=cards.audit_trail(member.id))


@bp.get("/<id:member_id>/messages")
@role_required("desk", "manager")
def messages_panel(member_id: int):
    """Show the member's last SMS (the card's panel, fetched when opened)."""
    member = load_member(member_id)
    return fragment(member, "members/_messages.html", _("Messages"),
                    messages=cards.last_messages(member.id))


@bp.get("/<id:member_id>/bookings")
@role_required("desk", "manager")
def bookings_panel(member_id: int):
    """Show the member's upcoming and past bookings (the card's panel, fetched when the card opens)."""
    member = load_member(member_id)
    upcoming, past = sessions.bookings_of_member(member.id, utcnow())
    return fragment(member, "members/_bookings.html", _("Bookings"), upcoming=upcoming, past=past)


@bp.get("/<id:member_id>/member-page")
@role_required("desk", "manager")
def page_preview(member_id: int):
    """Show the member's own page as they see it from their latest SMS link, in their language: nothing is
    recorded and nothing can be pressed (what a member on the phone is looking at; the demo's way to see it)."""
    found = member_links.preview(load_member(member_id))
    if found is None:
        abort(404)
    note = _("Preview for staff: this is the page as the member sees it from their latest text. Nothing here is "
             "recorded, and its buttons do nothing.")   # in the staff's language, the page in the member's
    speak_as_member(found)
    return render_page(found, "preview", preview=note)


@bp.get("/<id:member_id>/lead")
@role_required("desk", "manager")
def lead_panel(member_id: int):
    """Show the member's lead cycles, the open one's stage and the form that marks it lost (the card's panel)."""
    return render_lead_panel(load_member(member_id))


def render_lead_panel(member, form: LostForm | None = None):
    """Render the lead panel; FORM: a refused "lost" form, with its errors (422)."""
    with unit_of_work():   # the club's first look at its lost reasons seeds the defaults
        choices = lead_cycles.reason_choices(member.club_id)
    found = lead_cycles.cycles_of(member.id)
    stages = lead_cycles.stages_of(member.club_id, [c.id for c in found])
    if form is None:
        form = LostForm(formdata=None)
    form.reason.choices = reason_choices(choices)
    page = fragment(member, "members/_lead.html", _("Lead"), cycles=found, stages=stages, lost_form=form,
                    reason_name=lambda code: lead_cycles.lost_reason_name(member.club_id, code))
    return page, 422 if form.errors else 200


@bp.post("/<id:member_id>/lost")
@role_required("desk", "manager")
def mark_lost(member_id: int):
    """Close the lead's open cycle as lost, with one of the club's reasons."""
    member = load_member(member_id)
    form = LostForm()
    form.reason.choices = reason_choices(lead_cycles.reason_choices(member.club_id))
    if form.validate_on_submit():
        try:
            with unit_of_work():
                lead_cycles.mark_lost(current_user, member, form.reason.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("%(name)s is marked as a lost lead.", name=member.full_name), "success")
            return redirect(url_for("members.card", member_id=member.id))
    return render_lead_panel(load_member(member_id), form)


@bp.get("/<id:member_id>/consents")
@role_required("desk", "manager")
def consent_panel(member_id: int):
    """Show the member's consent history (the card's panel, fetched when opened)."""
    member = load_member(member_id)
    return fragment(member, "members/_consents.html", _("Consent history"),
                    consents=consent.history(member.id))


@bp.route("/<id:member_id>/edit", methods=["GET", "POST"])
@role_required("desk", "manager")
def edit(member_id: int):
    """Change a member's details."""
    member = load_member(member_id)
    form = MemberForm(obj=member)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                members.update(current_user, member, form.values())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("members.card", member_id=member.id))
    elif form.is_submitted():
        the_rest_of(form, member.club, member.id)
    return render_template("members/form.html", form=form, member=member), 422 if form.errors else 200


@bp.post("/<id:member_id>/checkin")
@role_required("desk", "manager")
def check_in(member_id: int):
    """Check the member in from their card."""
    member = load_member(member_id)  # held: the session's identity map keeps only weak references
    return check_in_and_report(member.id)


def run_on_card(member, name: str, form, action, success, anchor: str = ""):
    """Validate FORM, run ACTION(today) in one transaction, flash SUCCESS(result) and go back to the card
    (at ANCHOR); or show the card again with FORM (named NAME) and its errors."""
    if form.validate_on_submit():
        try:
            with unit_of_work():
                result = action(local_today(member.club.timezone))
        except DomainError as error:
            show_error(form, error)
        else:
            flash(success(result), "success")
            return redirect(url_for("members.card", member_id=member.id) + anchor)
    return render_card(member.id, failed=(name, form))


@bp.get("/<id:member_id>/contacts", endpoint="back_from_contact")
@bp.get("/<id:member_id>/sms", endpoint="back_from_sms")
@role_required("desk", "manager")
def back_to_card(member_id: int):
    """Send a reload of a card form's address back to the member card."""
    return redirect(url_for("members.card", member_id=member_id))


@bp.post("/<id:member_id>/contacts")
@role_required("desk", "manager")
def log_contact(member_id: int):
    """Log a call or talk with the member that no task asked for."""
    member = load_member(member_id)
    form = ContactForm()
    return run_on_card(member, "contact", form,
                       lambda _today: tasks.log_contact(current_user, member, form.outcome.data, form.note.data),
                       lambda _contact: _("Contact logged."))


@bp.post("/<id:member_id>/sms")
@role_required("desk", "manager")
def send_sms(member_id: int):
    """Queue an SMS to the member; the dispatcher sends it in waking hours."""
    member = load_member(member_id)
    form = SmsForm()
    return run_on_card(member, "sms", form,
                       lambda _today: outbox.queue_from_staff(current_user, member, form.body.data, utcnow()),
                       lambda _message: _("The SMS is queued; it goes out in waking hours."), anchor="#sms")


@bp.post("/<id:member_id>/let-in")
@role_required("desk", "manager")
def let_in(member_id: int):
    """Let a refused member in once: a manager approves on this screen with their own password (throttled as a
    login), giving the reason; audited and listed in the overrides report."""
    member = load_member(member_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        return render_card(member.id, failed=("override", form))
    # The password check counts as a login attempt, committed before it is decided: guesses are throttled.
    with unit_of_work():
        attempt = auth.begin_login(form.approver_email.data, request.remote_addr, None)
    try:
        with unit_of_work():
            try:
                approver = auth.finish_login(attempt, form.password.data)
            except DomainError:
                raise InvalidInput("password", _("Wrong manager's email or password.")) from None
            result = overrides.let_in_once(current_user, load_member(member_id), approver, form.reason.data)
            name = result.member.full_name
    except DomainError as error:
        show_error(form, error)
        return render_card(member_id, failed=("override", form))
    if result.repeated:
        flash(_("%(name)s is already checked in.", name=name), "info")
    else:
        flash(_("%(name)s let in once, approved by %(manager)s.", name=name, manager=approver.name), "success")
    return redirect(url_for("members.card", member_id=member_id))


@bp.post("/<id:member_id>/sms/<id:message_id>/cancel")
@role_required("desk", "manager")
def cancel_sms(member_id: int, message_id: int):
    """Cancel an SMS to the member that still waits in the queue (audited)."""
    member = load_member(member_id)
    try:
        with unit_of_work():
            screen.cancel(current_user, message_id, member.id)
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("The SMS is cancelled: it will not be sent."), "success")
    return redirect(url_for("members.card", member_id=member.id) + "#sms")
