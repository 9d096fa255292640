"""Staff logins managed by a manager (their club's) or an owner (every club): a new password the person must
change at the next login, and the trainer flag. Switching a login off or on is auth.switch_login."""
from flask_babel import lazy_gettext as _l

from clubcrm.errors import NotAllowed, NotFound
from clubcrm.extensions import db
from clubcrm.models import Staff
from clubcrm.services import audit, login_sessions, passwords


def _managed(actor: Staff, staff_id: int) -> Staff:
    """Return the login ACTOR manages, or refuse: another club's is simply not found."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.club_id is None or not actor.sees_club(staff.club_id):
        raise NotFound("staff_id", _l("No such login."))
    return staff


def reset_refusal(actor: Staff, staff: Staff):
    """Why ACTOR may not set STAFF's password (None: they may); the settings page shows no form then."""
    if staff.id == actor.id:
        return _l("Change your own password on the password page.")
    if staff.role == "owner" and actor.role != "owner":
        return _l("Only an owner can set an owner's password.")
    return None


def reset_password(actor: Staff, staff_id: int, new_password: str) -> int:
    """Set a new password for a login of ACTOR's club, to be changed at its next login; end its sessions at once
    (whoever held the old password is out). Return how many sessions ended."""
    staff = _managed(actor, staff_id)
    refusal = reset_refusal(actor, staff)
    if refusal is not None:
        raise NotAllowed("staff_id", refusal)
    passwords.check_new(new_password, "password", staff.email)
    staff.password_hash = passwords.make_hash(new_password)
    staff.must_change_password = True
    db.session.flush()
    audit.record(actor, "update", "staff", staff.id, club_id=staff.club_id,
                 after={"password": "reset", "must_change_password": True})
    return login_sessions.end_all(staff, "password_reset")


def set_trainer(actor: Staff, staff_id: int, is_trainer: bool) -> Staff:
    """Mark a login of ACTOR's club as a trainer (the timetable offers them) or not."""
    staff = _managed(actor, staff_id)
    if staff.is_trainer != is_trainer:
        staff.is_trainer = is_trainer
        db.session.flush()
        audit.record(actor, "update", "staff", staff.id, club_id=staff.club_id, before={"is_trainer": not is_trainer},
                     after={"is_trainer": is_trainer})
    return staff
