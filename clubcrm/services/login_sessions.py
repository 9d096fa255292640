"""Login sessions: each login is a row that every request checks, so that logging out really ends it.

The session cookie carries a random id; only its SHA-256 is stored. A session ends at logout, from the
"Signed-in devices" page, when the password changes or the login is switched off, after LOGIN_IDLE_HOURS
without a request, and LOGIN_MAX_DAYS after it began, whatever happens.
"""
import hashlib
import logging
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import NotFound
from clubcrm.extensions import db
from clubcrm.models import LoginSession, Staff
from clubcrm.services.club_closing import is_closed

log = logging.getLogger(__name__)

# last_seen_at is written at most this often: a page and its live search must not each be a write.
TOUCH_EVERY = timedelta(minutes=1)
# Ended and expired rows are kept this long (the devices page and the audit trail need no older ones).
KEEP_ENDED = timedelta(days=30)
MAX_TOKEN_LENGTH = 100

# (pattern, name), first match wins: Edge and Opera also say Chrome, Chrome also says Safari.
_BROWSERS = [(r"Edg(e|A|iOS)?/", "Edge"), (r"OPR/|Opera", "Opera"), (r"SamsungBrowser/", "Samsung Internet"),
             (r"Firefox/|FxiOS/", "Firefox"), (r"Chrome/|CriOS/|Chromium/", "Chrome"), (r"Safari/", "Safari"),
             (r"^curl/", "curl"), (r"^python-", "Python")]
_SYSTEMS = [(r"Windows", "Windows"), (r"iPhone|iPad|iPod", "iOS"), (r"Android", "Android"), (r"CrOS", "ChromeOS"),
            (r"Mac OS X|Macintosh", "macOS"), (r"Linux", "Linux")]


def summarize(user_agent: str | None) -> str:
    """Return "Browser · System" read roughly from a User-Agent header (good enough to tell devices apart)."""
    agent = (user_agent or "")[:500]
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, agent)), "")
    return " · ".join(part for part in (browser, system) if part)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a session id is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(staff: Staff, user_agent: str | None, address: str | None) -> str:
    """Open a login session for STAFF and return its id for the cookie (never stored as is)."""
    now = utcnow()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.staff_id == staff.id,
            or_(LoginSession.ended_at < now - KEEP_ENDED, LoginSession.last_seen_at < now - KEEP_ENDED))
        .execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(staff_id=staff.id, token_hash=hash_token(token), created_at=now, last_seen_at=now,
                                client_summary=summarize(user_agent)[:80], client_address=(address or "")[:64]))
    db.session.flush()
    return token


# Every page's first statement: built once (not per request, with its cache key), the hash a parameter.
_BY_TOKEN = (select(LoginSession).options(joinedload(LoginSession.staff))
             .where(LoginSession.token_hash == bindparam("token_hash")))


def check(token: str | None) -> tuple[LoginSession | None, bool]:
    """Return the live session behind TOKEN (or None) and whether the check wrote anything the caller must commit.

    One indexed query loads the session with its staff; a session found dead is ended on the spot."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None, False
    row = db.session.scalar(_BY_TOKEN, {"token_hash": hash_token(token)})
    if row is None or row.ended_at is not None:
        return None, False
    now = utcnow()
    reason = _dead(row, now)
    if reason:
        _end(row, reason, now)
        return None, True
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.flush()
        return row, True
    return row, False


def _dead(row: LoginSession, now) -> str | None:
    """Tell why a session may no longer be used, or None if it may."""
    config = current_app.config
    if not row.staff.active:
        return "deactivated"
    if row.staff.club is not None and is_closed(row.staff.club):
        return "club_closed"
    if now - row.created_at >= timedelta(days=config["LOGIN_MAX_DAYS"]):
        return "expired"
    if now - row.last_seen_at >= timedelta(hours=config["LOGIN_IDLE_HOURS"]):
        return "idle"
    return None


def _end(row: LoginSession, reason: str, now) -> None:
    row.ended_at, row.end_reason = now, reason
    db.session.flush()
    log.info("login sessions ended: 1 (%s)", reason)


def end_token(token: str | None, reason: str = "logout") -> bool:
    """End the session behind TOKEN (logging out); tell whether one was live."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    result = db.session.execute(
        update(LoginSession).where(LoginSession.token_hash == hash_token(token), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason).execution_options(synchronize_session=False))
    log.info("login sessions ended: %d (%s)", result.rowcount, reason)
    return result.rowcount > 0


def end_all(staff: Staff, reason: str) -> int:
    """End every live session of STAFF at once; return how many were ended."""
    result = db.session.execute(
        update(LoginSession).where(LoginSession.staff_id == staff.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason).execution_options(synchronize_session=False))
    log.info("login sessions ended: %d (%s)", result.rowcount, reason)
    return result.rowcount


def end_one(staff: Staff, session_id: int) -> LoginSession:
    """End one of STAFF's own sessions; anyone else's is simply not found."""
    row = db.session.get(LoginSession, session_id)
    if row is None or row.staff_id != staff.id or row.ended_at is not None:
        raise NotFound("session_id", _l("This device is not signed in."))
    _end(row, "ended", utcnow())
    return row


def live_for(staff: Staff) -> list[LoginSession]:
    """Return STAFF's sessions still usable now, the most recently used first."""
    config, now = current_app.config, utcnow()
    rows = db.session.scalars(
        select(LoginSession).where(
            LoginSession.staff_id == staff.id, LoginSession.ended_at.is_(None),
            LoginSession.created_at > now - timedelta(days=config["LOGIN_MAX_DAYS"]),
            LoginSession.last_seen_at > now - timedelta(hours=config["LOGIN_IDLE_HOURS"]))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc()))
    return list(rows)
