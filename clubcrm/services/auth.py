"""Logins: create staff, log in with throttling that tells nothing, change a password, switch a login off.

A login attempt is two steps with a commit between them (see login_throttle.record): begin_login() records
it, finish_login() decides it. Unknown, switched-off, throttled and wrong-password attempts all run exactly
one password hash check and get the same answer, so neither the reply nor its timing says which it was.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubcrm.errors import InvalidInput, NotAllowed, NotFound
from clubcrm.extensions import db
from clubcrm.models import ROLES, Club, Staff
from clubcrm.services import audit, login_sessions, login_throttle, passwords
from clubcrm.services.club_closing import refuse_if_closed
from clubcrm.services.login_throttle import Device

WRONG = _l("Wrong email or password.")


def _by_email(email: str) -> Staff | None:
    return db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))


def create_staff(email: str, role: str, password: str, club_id: int | None, name: str = "",
                 is_trainer: bool = False, locale: str | None = None, actor: Staff | None = None) -> Staff:
    """Create a login; desk and manager logins belong to one club, an owner's may span all."""
    email = (email or "").strip().lower()
    if "@" not in email:
        raise InvalidInput("email", _l("This is not an email address."))
    if role not in ROLES:
        raise InvalidInput("role", _l("Choose desk, manager or owner."))
    passwords.check_new(password, "password", email)
    if club_id is not None and db.session.get(Club, club_id) is None:
        raise InvalidInput("club", _l("No such club."))
    if club_id is None and role != "owner":
        raise InvalidInput("club", _l("Desk and manager logins belong to one club."))
    if _by_email(email) is not None:
        raise InvalidInput("email", _l("This email already has a login."), code="duplicate")
    staff = Staff(email=email, role=role, club_id=club_id, name=name or email.split("@")[0],
                  password_hash=passwords.make_hash(password), is_trainer=is_trainer, locale=locale)
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "create", "staff", staff.id, club_id=club_id, after={"email": email, "role": role})
    return staff


@dataclass(frozen=True)
class Attempt:
    """A login attempt recorded by begin_login, to be decided by finish_login."""

    id: int
    client: str
    account: str
    staff_id: int | None
    # None for an unknown or switched-off login: the dummy hash is checked instead.
    password_hash: str | None
    # The device cookie's id when this device has logged in to this account before.
    trusted_device: str | None


def begin_login(email: str, client_address: str | None, device: Device | None) -> Attempt:
    """Record a login attempt (counted as failed until decided); the caller commits before finish_login."""
    email = (email or "").strip().lower()
    staff = _by_email(email)
    usable = staff is not None and staff.active
    trusted = device.nonce if device and usable and staff.id in device.staff_ids else None
    client, account = login_throttle.client_key(client_address), login_throttle.account_key(email)
    attempt_id = login_throttle.record(client, account, trusted)
    return Attempt(attempt_id, client, account, staff.id if usable else None,
                   staff.password_hash if usable else None, trusted)


def finish_login(attempt: Attempt, password: str) -> Staff:
    """Return the staff if the password is right and the attempt is within the limits; else refuse, always
    with the same words on the same field, after the same work."""
    throttled = login_throttle.is_throttled(attempt.client, attempt.account, attempt.trusted_device)
    matched = passwords.verify(attempt.password_hash, password)
    if throttled:
        login_throttle.forget(attempt.id)
        raise InvalidInput("password", WRONG, code="wrong")
    if not matched:
        raise InvalidInput("password", WRONG, code="wrong")
    login_throttle.succeeded(attempt.client, attempt.account, attempt.trusted_device)
    staff = db.session.get(Staff, attempt.staff_id)
    if staff.club is not None:   # an owner works in every club; a closed club's staff no longer log in
        refuse_if_closed(staff.club, "email")
    return staff


def begin_password_change(staff: Staff, current: str, new: str, repeat: str, client_address: str | None,
                          device: Device | None) -> Attempt:
    """Check the new password's rules, then record the current password's check as a login attempt (the caller
    commits before change_password): guessing the current password on an unattended browser is throttled too."""
    passwords.check_new(new, "new_password", staff.email)
    if new != repeat:
        raise InvalidInput("repeat_password", _l("The two new passwords differ."))
    if new == current:
        raise InvalidInput("new_password", _l("The new password must differ from the current one."))
    return begin_login(staff.email, client_address, device)


def change_password(staff: Staff, attempt: Attempt, current: str, new: str) -> int:
    """Set the new password if the current one is right; end every login session of STAFF (the caller opens a
    new one for this device) and return how many were ended."""
    try:
        finish_login(attempt, current)
    except InvalidInput:
        raise InvalidInput("current_password", _l("This is not your current password.")) from None
    staff.password_hash = passwords.make_hash(new)
    staff.must_change_password = False   # a password set by a manager is now the person's own
    db.session.flush()
    audit.record(staff, "update", "staff", staff.id, club_id=staff.club_id, after={"password": "changed"})
    return login_sessions.end_all(staff, "password")


def set_active(actor: Staff | None, staff: Staff, active: bool) -> int:
    """Switch a login on or off; switching it off ends its login sessions at once. Return how many ended."""
    ended = 0
    if staff.active != active:
        staff.active = active
        db.session.flush()
        audit.record(actor, "update", "staff", staff.id, club_id=staff.club_id, before={"active": not active},
                     after={"active": active})
    if not active:
        ended = login_sessions.end_all(staff, "deactivated")
    return ended


def switch_login(actor: Staff, staff_id: int, active: bool) -> int:
    """Switch a login of the actor's club on or off (ending its sessions when off); return how many ended."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.club_id is None or not actor.sees_club(staff.club_id):
        raise NotFound("staff_id", _l("No such login."))
    refusal = switch_refusal(actor, staff)
    if refusal is not None:
        raise NotAllowed("staff_id", refusal)
    return set_active(actor, staff, active)


def switch_refusal(actor: Staff, staff: Staff):
    """Why ACTOR may not switch STAFF's login on or off (None: they may); the settings page shows no button then."""
    if staff.id == actor.id:
        return _l("You cannot switch off your own login.")
    if staff.role == "owner" and actor.role != "owner":
        return _l("Only an owner can switch an owner's login on or off.")
    return None
