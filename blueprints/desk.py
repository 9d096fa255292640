"""The desk: one search box, and a card scanner that checks a member in on Enter."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import checklist
from blueprints.access import current_club, role_required
from clubcrm.clock import local_today, utcnow
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.services import chain, checkin, home, members

bp = Blueprint("desk", __name__)


@bp.get("/")
@role_required("desk", "manager")
def index():
    """Show the search box and, for a query, the members it finds; a new club's managers see its checklist."""
    query = request.args.get("q", "")[:100]
    club = current_club()
    partial = bool(request.args.get("partial"))
    # First: the checklist may commit (its first view of a finished list marks it), which would expire the members
    # found below and have the page reload each one, and its contracts, one query at a time.
    steps = None if partial else checklist.steps_for(current_user, club)
    today = local_today(club.timezone)
    found = members.search_with_standing(club, query, today) if query.strip() else []
    # Other clubs' chain members, by their exact card code or phone only (one who forgot the card).
    guests = chain.find_guests(club, query) if query.strip() else []
    if partial:
        return render_template("desk/_results.html", query=query, found=found, guests=guests, club=club)
    at_home = home_of(club, today) if not query.strip() else None
    return render_template("desk/index.html", query=query, found=found, guests=guests, club=club, checklist=steps,
                           **(at_home or {}))


def home_of(club, today) -> dict:
    """The home page's sections: the desk's for everyone, this week's figures for a manager."""
    return {"home": home.desk_home(club, utcnow(), today),
            "week": home.week_figures(club) if current_user.has_role("manager") else None,
            "week_shown": current_user.has_role("manager")}


@bp.get("/home")
@role_required("desk", "manager")
def home_part():
    """The home page's live part (today's check-ins, in the club now, sessions, calls), which the page's script
    fetches again every half minute."""
    club = current_club()
    return render_template("desk/_home.html", club=club, home=home.desk_home(club, utcnow(),
                                                                              local_today(club.timezone)))


@bp.post("/scan")
@role_required("desk", "manager")
def scan():
    """Check in the member whose card was scanned; anything else becomes a search."""
    query = request.form.get("q", "").strip()[:100]
    club = current_club()
    member = checkin.member_for_card(club, query) if query else None
    if member is not None and member.club_id != club.id:
        # Another club's card: a chain plan lets its holder in here (a guest visit); check_in refuses others.
        return check_in_guest_and_report(club, member.id, scanned=query)
    if member is not None:
        return check_in_and_report(member.id)
    return redirect(url_for("desk.index", q=query))


def check_in_and_report(member_id: int):
    """Check a member in and go to their card with the outcome flashed."""
    try:
        with unit_of_work():
            member = members.get_for(current_user, member_id)
            # At the login's own club (an owner, who works in every club: the member's own club).
            result = checkin.check_in(current_user, member)
            # Worded before the commit expires the member and the login (reloading both, and the club).
            message = checked_in_message(member, result)
    except DomainError as error:
        flash(_("Check-in refused: %(reason)s", reason=str(error.message)), "danger refusal")
        return redirect(url_for("members.card", member_id=member_id))
    flash(*message)
    return redirect(url_for("members.card", member_id=member_id))


def checked_in_message(member, result) -> tuple[str, str]:
    """Word the outcome of a check-in for the flash."""
    if result.repeated:
        return _("%(name)s is already checked in.", name=member.full_name), "info"
    return _("%(name)s checked in.", name=member.full_name), "success"


def check_in_guest_and_report(club, member_id: int, scanned: str = ""):
    """Check in another club's member at CLUB and show the guest view. A scanned card is checked in or refused
    with the reason (a home-only plan: other_club, back at the desk); by id, only a chain guest is found."""
    try:
        with unit_of_work():
            member = (members.holder_of_card(scanned) if scanned
                      else chain.guest_for(current_user, club, member_id))
            result = checkin.check_in(current_user, member, club=club)
            message = checked_in_message(member, result)
    except DomainError as error:
        flash(_("Check-in refused: %(reason)s", reason=str(error.message)), "danger refusal")
        return redirect(url_for("desk.index", q=scanned) if scanned else url_for("desk.guest", member_id=member_id))
    flash(*message)
    return redirect(url_for("desk.guest", member_id=member_id))


@bp.get("/members/<id:member_id>/guest")
@role_required("desk", "manager")
def guest(member_id: int):
    """Show another club's chain member as the desk needs them: name, card, standing, and the check-in."""
    club = current_club()
    if chain.is_own_member(club, member_id):
        return redirect(url_for("members.card", member_id=member_id))
    view = chain.guest_view(chain.guest_for(current_user, club, member_id))
    return render_template("desk/guest.html", guest=view, club=club)


@bp.post("/members/<id:member_id>/guest/checkin")
@role_required("desk", "manager")
def guest_check_in(member_id: int):
    """Check another club's chain member in at this desk."""
    club = current_club()
    if chain.is_own_member(club, member_id):
        return check_in_and_report(member_id)
    chain.guest_for(current_user, club, member_id)   # anyone but a chain guest: 404, as an id nobody has
    return check_in_guest_and_report(club, member_id)
