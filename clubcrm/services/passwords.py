"""Passwords: the rules a new one must meet, hashing, and the one hash check every login attempt runs.

The list of common passwords (clubcrm/data/common_passwords.txt) is the first 10,000 lines, most common
first, of django/contrib/auth/common-passwords.txt.gz as shipped in Django 5.2.19 on PyPI (BSD licence):
20,000 passwords compiled by Royce Williams from public breach corpora, lower-cased and de-duplicated.
Regenerate with `pip download --no-deps django==5.2.19`, then
`unzip -p django-*.whl django/contrib/auth/common-passwords.txt.gz | zcat | head -10000`.
"""
import secrets
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from clubcrm.errors import InvalidInput

MIN_LENGTH = 10
# Longer is refused too: hashing a megabyte-long "password" is work anyone could ask of the server.
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, lower-cased."""
    return frozenset(line.strip().lower() for line in COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
                     if line.strip())


def check_new(password: str | None, field: str = "password", email: str = "") -> str:
    """Return PASSWORD if it may be set, else refuse naming FIELD and the reason."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(field, _l("A password needs at least %(count)d characters.", count=MIN_LENGTH),
                           code="too_short")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(field, _l("A password can have at most %(count)d characters.", count=MAX_LENGTH),
                           code="too_long")
    folded = password.strip().lower()
    if folded in common_passwords():
        raise InvalidInput(field, _l("This password is on the list of the 10,000 most common passwords, which "
                                     "attackers try first: choose another."), code="common")
    if email and folded in {email.strip().lower(), email.strip().lower().split("@")[0]}:
        raise InvalidInput(field, _l("A password must not be the email address."), code="is_email")
    return password


def make_hash(password: str) -> str:
    """Hash PASSWORD with the configured method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def dummy_hash(method: str) -> str:
    """Return a hash of a random password made with METHOD: checked when there is no real hash to check, so that
    an unknown or switched-off login costs the same work as a real one."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def verify(password_hash: str | None, password: str | None) -> bool:
    """Check PASSWORD against PASSWORD_HASH, or against the dummy hash when there is none (an unknown login):
    one hash computation whatever the case, so the answer's timing tells nothing."""
    checked = password_hash or dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    return check_password_hash(checked, password or "") and password_hash is not None
