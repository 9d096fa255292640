"""API tokens: a bearer token per staff login, shown once, stored as its SHA-256, revocable."""
import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubcrm.clock import utcnow
from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import ApiToken, Staff
from clubcrm.services import audit

TOKEN_PREFIX = "ccrm_"
# token_urlsafe(32) is 43 characters; anything much longer is not one of ours and is not looked up.
MAX_TOKEN_LENGTH = 100
MAX_LABEL = 80
# last_used_at is written at most this often per token: a turnstile calling every second must not turn
# every read into a write.
LAST_USED_EVERY = timedelta(minutes=5)


def hash_token(plaintext: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue(staff: Staff, label: str = "", actor: Staff | None = None) -> str:
    """Create a token for STAFF and return its plaintext (the only time anyone sees it)."""
    label = " ".join((label or "").split())
    if len(label) > MAX_LABEL:
        raise InvalidInput("label", _l("A label can have at most 80 characters."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(staff_id=staff.id, token_hash=hash_token(token), prefix=token[:12], label=label,
                   created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(actor or staff, "create", "api_token", row.id, club_id=staff.club_id,
                 after={"prefix": row.prefix, "label": label, "staff": staff.email})
    return token


def authenticate(plaintext: str | None) -> Staff | None:
    """Return the active staff behind an unrevoked token, or None; note when the token was last used."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if row is None or row.revoked_at is not None or not row.staff.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
        db.session.flush()
    return row.staff


def may_manage(acting: Staff, token: ApiToken) -> bool:
    """Tell whether ACTING may see and revoke TOKEN: their own; a manager their club's; an owner every one."""
    if token.staff_id == acting.id:
        return True
    if acting.role == "owner" and acting.club_id is None:
        return True
    return acting.has_role("manager") and acting.club_id is not None and token.staff.club_id == acting.club_id


def visible_to(acting: Staff) -> list[ApiToken]:
    """Return the tokens ACTING may see and revoke, newest first."""
    query = select(ApiToken).join(ApiToken.staff).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if acting.role == "owner" and acting.club_id is None:
        pass
    elif acting.has_role("manager"):
        query = query.where((ApiToken.staff_id == acting.id) | (Staff.club_id == acting.club_id))
    else:
        query = query.where(ApiToken.staff_id == acting.id)
    return list(db.session.scalars(query))


def revoke(acting: Staff, token_id: int) -> ApiToken:
    """Revoke a token for good; another login's token that ACTING may not manage is simply not found."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not may_manage(acting, token):
        raise NotFound("token_id", _l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(acting, "revoke", "api_token", token.id, club_id=token.staff.club_id,
                     after={"prefix": token.prefix, "label": token.label, "staff": token.staff.email})
    return token


def staff_by_email(email: str) -> Staff:
    """Return the login with EMAIL (any case), or refuse naming the field."""
    staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == (email or "").strip().lower()))
    if staff is None:
        raise NotFound("email", _l("No login has this email address."))
    if not staff.active:
        raise InvalidInput("email", _l("This login is switched off."))
    return staff
