"""Who may open what: role guards and the current club."""
from functools import wraps

from flask import abort, session
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
    """Return the club the logged-in staff works in; an owner picks one (the first by default)."""
    if current_user.club_id is not None:
        return current_user.club
    chosen = session.get("club_id")
    club = db.session.get(Club, chosen) if isinstance(chosen, int) else None
    if club is None:
        club = db.session.scalar(db.select(Club).order_by(Club.id).limit(1))
    if club is None:
        abort(404)
    return club


def clubs_to_choose() -> list[Club]:
    """Return the clubs an owner can switch between (empty for everyone else)."""
    if not current_user.is_authenticated or current_user.club_id is not None:
        return []
    return list(db.session.scalars(db.select(Club).order_by(Club.name)))
