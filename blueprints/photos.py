"""Member photos: upload or take one with the desk's camera (static/js/photo.js), remove it, and serve it to the
member's club's staff only (never cached by a shared cache)."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.access import role_required
from blueprints.members import load_member
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, InvalidInput, NotFound
from clubcrm.services import members, photos

bp = Blueprint("photos", __name__, url_prefix="/members/<id:member_id>")


@bp.post("/photo")
@role_required("desk", "manager")
def upload(member_id: int):
    """Set the member's photo from the uploaded file (a camera snapshot arrives the same way)."""
    member = load_member(member_id)
    file = request.files.get("photo")
    data = file.read(photos.MAX_BYTES + 1) if file is not None else b""
    try:
        with unit_of_work():
            photos.save(current_user, member, data)
    except DomainError as error:
        return refused(member_id, error)
    if request.headers.get("X-Requested-With") == "fetch":
        return {"ok": True}, 200
    flash(_("Photo saved."), "success")
    return redirect(url_for("members.card", member_id=member_id))


def refused(member_id: int, error: DomainError):
    """Back to the card with the refusal flashed (naming the photo); the camera's fetch gets it as JSON, 422."""
    flash(_("Photo: %(reason)s", reason=str(error.message)), "danger")
    if request.headers.get("X-Requested-With") == "fetch":
        return {"error": str(error.message)}, 422
    return redirect(url_for("members.card", member_id=member_id))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A file past the request's budget (blueprints/request_budget.py), stopped before the view ran: the same
    refusal as a file just over the limit, on the card, rather than a bare 413 page. Only for staff who may upload
    a photo of this member; everyone else, and the routes here that take no file, get the error page as before.
    Nothing here may raise (an error inside an error handler would become a 500)."""
    member_id = (request.view_args or {}).get("member_id")
    allowed = (request.endpoint == "photos.upload" and current_user.is_authenticated
               and current_user.has_role("desk", "manager"))
    if not allowed:
        return render_template("errors/error.html", code=413, error=error), 413
    try:
        members.get_for(current_user, member_id)
    except NotFound:   # another club's member: 404, as for any other request about them
        return render_template("errors/error.html", code=404, error=None), 404
    return refused(member_id, InvalidInput("photo", photos.too_large_message()))


@bp.post("/photo/delete")
@role_required("desk", "manager")
def delete(member_id: int):
    """Remove the member's photo."""
    member = load_member(member_id)
    with unit_of_work():
        removed = photos.remove(current_user, member)
    flash(_("Photo removed.") if removed else _("There was no photo."), "success" if removed else "info")
    return redirect(url_for("members.card", member_id=member_id))


@bp.get("/photo.jpg")
@role_required("desk", "manager")
def show(member_id: int):
    """The member's photo, to their own club's staff only."""
    member = load_member(member_id)
    try:
        photo = photos.for_staff(current_user, member)
    except NotFound:
        abort(404)
    response = Response(photo.image, mimetype=photo.content_type)
    # Personal data: kept by this browser only, and asked again after an hour (a new photo has a new ?v=).
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
