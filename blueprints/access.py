"""Who may open what: role guards and the current club."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from clubcrm.extensions import db
from clubcrm.models import Club


def role_required(*roles: str):
    """Let in logged-in staff holding one of ROLES (owners always); others get 403."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def current_club() -> Club:
    """Return the club the logged-in staff works in (an owner without a club: the first club)."""
    if current_user.club_id is not None:
        return current_user.club
    club = db.session.scalar(db.select(Club).order_by(Club.id).limit(1))
    if club is None:
        abort(404)
    return club
