"""Login throttling (OWASP ASVS 2.2): failed attempts counted per client and per account, in the database.

Limits, each over a sliding window (LOGIN_THROTTLE_WINDOW_SECONDS):
- per client address, across every email typed (LOGIN_FAILURES_PER_CLIENT): one address cannot walk a list;
- per account from one client (LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT): one address cannot guess one password;
- per account from all untrusted clients together (LOGIN_FAILURES_PER_ACCOUNT): many addresses cannot either.
None of them locks the owner out: a device that logged in to the account before carries a signed device cookie,
and its attempts are counted per device instead (LOGIN_FAILURES_PER_DEVICE), whatever strangers do.
Only decided failures are kept; a throttled attempt is not counted again, so hammering the login page earns no
more guesses and a legitimate user behind the same address waits at most one window.
"""
import hashlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, delete, func, or_, select

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import LoginFailure

log = logging.getLogger(__name__)

DEVICE_SALT = "clubcrm-login-device"
# A device cookie remembers this many logins (a shared desk computer is used by several staff).
DEVICE_REMEMBERS = 5


@dataclass(frozen=True)
class Device:
    """A browser that has logged in before: its cookie's random id and the logins it succeeded with."""

    nonce: str
    staff_ids: tuple[int, ...] = field(default=())


def client_key(address: str | None) -> str:
    """Return the key an address is counted under: itself, or the /64 network of an IPv6 address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(email: str | None) -> str:
    """Return the key an email, as typed, is counted under (keyed with the app's secret)."""
    key = hashlib.sha256(("login-throttle:" + current_app.secret_key).encode()).digest()
    return hmac.new(key, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=DEVICE_SALT)


def read_device(cookie: str | None) -> Device | None:
    """Return the device a device cookie names, or None if it is missing, forged or too old."""
    if not cookie or len(cookie) > 500:
        return None
    try:
        data = _serializer().loads(cookie)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    nonce, ids, issued = data.get("n"), data.get("s"), data.get("t")
    if not (isinstance(nonce, str) and isinstance(ids, list) and isinstance(issued, int)
            and all(isinstance(i, int) for i in ids)):
        return None
    max_age = timedelta(days=current_app.config["LOGIN_DEVICE_COOKIE_DAYS"]).total_seconds()
    if utcnow().timestamp() - issued > max_age:
        return None
    return Device(nonce[:32], tuple(ids[:DEVICE_REMEMBERS]))


def device_cookie(device: Device | None, staff_id: int) -> str:
    """Return the device cookie's new value after STAFF_ID logged in on DEVICE (a new device if None)."""
    nonce = device.nonce if device else secrets.token_urlsafe(16)
    ids = [staff_id, *(i for i in (device.staff_ids if device else ()) if i != staff_id)][:DEVICE_REMEMBERS]
    return _serializer().dumps({"n": nonce, "s": ids, "t": int(utcnow().timestamp())})


def record(client: str, account: str, device_nonce: str | None) -> int:
    """Count an attempt as failed until it is decided, and forget attempts older than the window; return its id.

    The caller commits before deciding, so parallel guesses see each other: of N at once, at most a limit's
    worth get a verdict."""
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - _window())
                       .execution_options(synchronize_session=False))
    row = LoginFailure(at=now, client=client, account=account, device=device_nonce)
    db.session.add(row)
    db.session.flush()
    return row.id


def is_throttled(client: str, account: str, device_nonce: str | None) -> bool:
    """Tell whether an attempt (already recorded) goes beyond a limit; DEVICE_NONCE is set for a trusted device."""
    config = current_app.config
    same_client = LoginFailure.client == client
    same_account = LoginFailure.account == account
    counts = db.session.execute(
        select(func.sum(case((same_client, 1), else_=0)),
               func.sum(case((same_client & same_account, 1), else_=0)),
               func.sum(case((same_account & LoginFailure.device.is_(None), 1), else_=0)),
               func.sum(case((same_account & (LoginFailure.device == (device_nonce or "")), 1), else_=0)))
        .where(LoginFailure.at >= utcnow() - _window(), or_(same_client, same_account))
    ).one()
    per_client, per_account_and_client, per_account, per_device = (int(n or 0) for n in counts)
    if device_nonce is not None:
        throttled = per_device > config["LOGIN_FAILURES_PER_DEVICE"]
    else:
        throttled = (per_client > config["LOGIN_FAILURES_PER_CLIENT"]
                     or per_account_and_client > config["LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT"]
                     or per_account > config["LOGIN_FAILURES_PER_ACCOUNT"])
    if throttled:
        log.warning("login attempt throttled: client %s, %s", client,
                    "trusted device" if device_nonce else "untrusted device")
    return throttled


def forget(attempt_id: int) -> None:
    """Drop a throttled attempt: it got no verdict, so it uses up no guess."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id)
                       .execution_options(synchronize_session=False))


def succeeded(client: str, account: str, device_nonce: str | None) -> None:
    """Clear this client's (and device's) failures for an account that it has just logged in to."""
    mine = LoginFailure.client == client
    if device_nonce is not None:
        mine = mine | (LoginFailure.device == device_nonce)
    db.session.execute(delete(LoginFailure).where(LoginFailure.account == account, mine)
                       .execution_options(synchronize_session=False))


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
