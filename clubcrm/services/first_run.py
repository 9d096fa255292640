"""The first run: an installation without a club gets its first club and owner login, once, from `clubcrm setup`
or from /setup with the setup code."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import text, update

from clubcrm import setup_code
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.models import Club, Staff
from clubcrm.services import auth, clubs, login_throttle

# The setup form's fields (the CLI's flags are the same names with dashes) by the service field they fill.
CLUB_FIELDS = {"name": "club_name", "timezone": "timezone", "currency": "currency", "country": "country",
               "default_locale": "locale", "phone": "phone"}
OWNER_FIELDS = {"email": "owner_email", "password": "owner_password", "name": "owner_name"}
FIELDS = ("club_name", "country", "timezone", "currency", "locale", "phone", "owner_email", "owner_password",
          "owner_name")
ALREADY = _l("ClubCRM is already set up: this database holds a club. Add clubs under Settings → Clubs.")
WRONG_CODE = _l("This is not the setup code. Copy it from the server's log or its file instance/setup-code.")
# The throttle counts setup codes under this name, as if it were one more login (no staff email lacks an @).
THROTTLE_ACCOUNT = "setup code"


def _lock_first_run() -> None:
    """Hold the club table against other writers until the transaction ends, so two setups at once run one
    after the other and the second finds the first one's club.

    PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself and with inserts, not with reads; SQLite: a no-op
    UPDATE takes the database's write lock, even on an empty table."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE club IN SHARE ROW EXCLUSIVE MODE"))
    else:
        db.session.execute(update(Club).values(id=Club.id).execution_options(synchronize_session=False))


def _value(data: dict, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def set_up(data: dict) -> tuple[Club, Staff]:
    """Create the first club (with its default lifecycle tools and rules) and its owner login from DATA, keyed
    by FIELDS; refuse if the database already holds a club. The caller commits."""
    _lock_first_run()
    if clubs.any_club():
        raise Conflict(None, ALREADY, code="already_set_up")
    email, owner_name = _value(data, "owner_email").strip(), _value(data, "owner_name").strip()
    # The columns' sizes: create_staff leaves them to the forms, and PostgreSQL would refuse longer ones.
    if len(email) > 254:
        raise InvalidInput("owner_email", _l("An email address has at most 254 characters."))
    if len(owner_name) > 120:
        raise InvalidInput("owner_name", _l("Enter a name of at most 120 characters."))
    with _fields_named(CLUB_FIELDS):
        club = clubs.create(None, {key: _value(data, field) for key, field in CLUB_FIELDS.items()})
    with _fields_named(OWNER_FIELDS):
        owner = auth.create_staff(email, "owner", _value(data, "owner_password"), None, name=owner_name,
                                  locale=club.default_locale)
    return club, owner


@contextmanager
def _fields_named(names: dict[str, str]) -> Iterator[None]:
    """Refuse a service's bad value naming the setup field it came from (the club's `name` is club_name)."""
    try:
        yield
    except InvalidInput as error:
        raise InvalidInput(names.get(error.field, error.field), error.message, error.code) from None


@dataclass(frozen=True)
class CodeAttempt:
    """A setup code typed at /setup, counted as a failure until check_code decides it."""

    id: int
    client: str
    account: str


def begin_code_attempt(client_address: str | None) -> CodeAttempt:
    """Record a setup code attempt as login attempts are (login_throttle); the caller commits before check_code,
    so parallel guesses count each other."""
    client, account = login_throttle.client_key(client_address), login_throttle.account_key(THROTTLE_ACCOUNT)
    return CodeAttempt(login_throttle.record(client, account, None), client, account)


def check_code(attempt: CodeAttempt, code_file: Path, typed: str | None) -> None:
    """Refuse a throttled attempt or a wrong setup code on the field setup_code; a right one is forgotten (it
    uses up no guess, whatever the form's other fields say). The caller commits either way."""
    if login_throttle.is_throttled(attempt.client, attempt.account, None):
        login_throttle.forget(attempt.id)
        minutes = current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"] // 60
        raise InvalidInput("setup_code", _l("Too many wrong setup codes from this address: wait %(minutes)d minutes, "
                                            "or run `clubcrm setup` on the server.", minutes=minutes),
                           code="throttled")
    if not setup_code.matches(code_file, typed):
        raise InvalidInput("setup_code", WRONG_CODE, code="wrong")
    login_throttle.forget(attempt.id)
