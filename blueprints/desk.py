"""The desk: one search box, and a card scanner that checks a member in on Enter."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import checklist
from blueprints.access import current_club, role_required
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError
from clubcrm.services import checkin, members

bp = Blueprint("desk", __name__)


@bp.get("/")
@role_required("desk", "manager")
def index():
    """Show the search box and, for a query, the members it finds; a new club's managers see its checklist."""
    query = request.args.get("q", "")[:100]
    club = current_club()
    today = local_today(club.timezone)
    found = members.search_with_standing(club, query, today) if query.strip() else []
    if request.args.get("partial"):
        return render_template("desk/_results.html", query=query, found=found, club=club)
    return render_template("desk/index.html", query=query, found=found, club=club,
                           checklist=checklist.steps_for(current_user, club))


@bp.post("/scan")
@role_required("desk", "manager")
def scan():
    """Check in the member whose card was scanned; anything else becomes a search."""
    query = request.form.get("q", "").strip()[:100]
    club = current_club()
    try:
        member = checkin.member_for_card(club, query) if query else None
    except DomainError as error:
        flash(_("Check-in refused: %(reason)s", reason=str(error.message)), "danger refusal")
        member = None
    if member is not None:
        return check_in_and_report(member.id)
    return redirect(url_for("desk.index", q=query))


def check_in_and_report(member_id: int):
    """Check a member in and go to their card with the outcome flashed."""
    try:
        with unit_of_work():
            member = members.get_for(current_user, member_id)
            result = checkin.check_in(current_user, member)
            # Worded before the commit expires the member and the login (reloading both, and the club).
            if result.repeated:
                message = (_("%(name)s is already checked in.", name=member.full_name), "info")
            else:
                message = (_("%(name)s checked in.", name=member.full_name), "success")
    except DomainError as error:
        flash(_("Check-in refused: %(reason)s", reason=str(error.message)), "danger refusal")
        return redirect(url_for("members.card", member_id=member_id))
    flash(*message)
    return redirect(url_for("members.card", member_id=member_id))
