"""Logins: create staff, check passwords, lock an account after repeated failures."""
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from clubcrm.clock import utcnow
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.models import ROLES, Club, Staff
from clubcrm.services import audit

MIN_PASSWORD = 8


def create_staff(email: str, role: str, password: str, club_id: int | None, name: str = "",
                 is_trainer: bool = False, locale: str | None = None, actor: Staff | None = None) -> Staff:
    """Create a login; desk and manager logins belong to one club, an owner's may span all."""
    email = (email or "").strip().lower()
    if "@" not in email:
        raise InvalidInput("email", _l("This is not an email address."))
    if role not in ROLES:
        raise InvalidInput("role", _l("Choose desk, manager or owner."))
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("password", _l("A password needs at least 8 characters."))
    if club_id is not None and db.session.get(Club, club_id) is None:
        raise InvalidInput("club", _l("No such club."))
    if club_id is None and role != "owner":
        raise InvalidInput("club", _l("Desk and manager logins belong to one club."))
    if db.session.scalar(select(Staff.id).where(func.lower(Staff.email) == email)):
        raise InvalidInput("email", _l("This email already has a login."), code="duplicate")
    hashed = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    staff = Staff(email=email, role=role, club_id=club_id, name=name or email.split("@")[0],
                  password_hash=hashed, is_trainer=is_trainer, locale=locale)
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "create", "staff", staff.id, club_id=club_id, after={"email": email, "role": role})
    return staff


def authenticate(email: str, password: str) -> Staff:
    """Return the staff whose email and password match; count failures and lock after too many."""
    email = (email or "").strip().lower()
    staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))
    now = utcnow()
    wrong = InvalidInput("password", _l("Wrong email or password."))
    if staff is None or not staff.active:
        raise wrong
    # Count the attempt before the slow hash check, in one UPDATE that holds the row until the caller
    # commits: parallel guesses wait in line and each sees the count the previous one left.
    db.session.execute(update(Staff).where(Staff.id == staff.id)
                       .values(failed_logins=Staff.failed_logins + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(staff)
    if staff.locked_until is not None and staff.locked_until > now:
        raise NotAllowed("email", _l("Too many failed logins: try again in a minute."), code="locked")
    if not check_password_hash(staff.password_hash, password or ""):
        if staff.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            staff.locked_until = now + timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
            staff.failed_logins = 0
        raise wrong
    staff.failed_logins = 0
    staff.locked_until = None
    return staff
