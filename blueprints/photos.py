"""Member photos: upload or take one with the desk's camera (static/js/photo.js), remove it, and serve it to the
member's club's staff only (never cached by a shared cache)."""
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.access import role_required
from blueprints.members import load_member
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.services import photos

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
        flash(_("Photo: %(reason)s", reason=str(error.message)), "danger")
        if request.headers.get("X-Requested-With") == "fetch":
            return {"error": str(error.message)}, 422
        return redirect(url_for("members.card", member_id=member_id))
    if request.headers.get("X-Requested-With") == "fetch":
        return {"ok": True}, 200
    flash(_("Photo saved."), "success")
    return redirect(url_for("members.card", member_id=member_id))


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
