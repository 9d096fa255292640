"""The getting-started checklist on the home page: each open step with the page that does it, and its dismissal."""
from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.access import current_club, role_required
from clubcrm.db import unit_of_work
from clubcrm.services import checklist

bp = Blueprint("checklist", __name__, url_prefix="/checklist")

# What each step asks for, why, and the page (endpoint, anchor) that does it.
STEPS = {
    "plans": (_l("Add your plans"), _l("The memberships the desk sells: length, visits, price."),
              "settings.index", "plans"),
    "services": (_l("Add packages and services"), _l("Personal training and other services sold in units."),
                 "settings.index", "packages"),
    "staff": (_l("Add staff logins"), _l("A desk login for each person at the front desk."),
              "settings.index", "staff"),
    "sms": (_l("Set the SMS sender"), _l("The Twilio account and the number or messaging service SMS go out from."),
            "outbox.index", None),
    "import": (_l("Import your members"), _l("Bring your member list over from a spreadsheet."),
               "imports.index", None),
    "lifecycle": (_l("Review the lifecycle rules"), _l("Which contacts the club makes with its members, and when."),
                  "lifecycle.index", None),
}


def steps_for(viewer, club) -> dict | None:
    """The open steps of the club's checklist as the home page shows them, or None when it shows none."""
    found = checklist.for_viewer(viewer, club, current_app.config)
    if found is not None and not found.open_items:
        with unit_of_work():   # the first view of a finished list marks it finished
            checklist.mark_finished(viewer, club)
        found = None
    if found is None:
        return None
    steps = []
    for key in found.open_items:
        title, hint, endpoint, anchor = STEPS[key]
        url = url_for(endpoint, _anchor=anchor)
        if key == "sms" and viewer.has_role("owner"):   # the club's own sender is set on its page, by owners
            url = url_for("clubs.edit", club_id=club.id)
        steps.append({"key": key, "title": title, "hint": hint, "url": url})
    return {"steps": steps, "left": len(steps), "total": found.total, "sms": found.sms}


@bp.post("/<item>/dismiss")
@role_required("manager")
def dismiss(item: str):
    """Take a step off the club's checklist."""
    with unit_of_work():
        checklist.dismiss(current_user, current_club(), item)
    flash(_("Taken off the checklist."), "success")
    return redirect(url_for("desk.index"))
