"""The one-time setup code of an installation without a club: whoever opens /setup first must also be able to
read this server's files (or its log), so a stranger who reaches a fresh server first cannot take it over.

One code per installation, in a 0600 file written once atomically (private_once): every gunicorn worker reads
the same code, and the file is deleted once a club exists."""
import hmac
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from clubcrm.private_files import private_once

# 32 symbols without the look-alikes 0/O and 1/I: read off a terminal and typed by a person.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Four groups of five: 100 bits, beyond any guessing even without the throttle.
GROUPS, GROUP_LENGTH = 4, 5
# app.extensions' key remembering that this process has logged the code.
ANNOUNCED = "clubcrm.setup_code_announced"


def path(app: Flask) -> Path:
    """The setup code's file: SETUP_CODE_FILE, else instance/setup-code."""
    return Path(app.config.get("SETUP_CODE_FILE") or Path(app.instance_path) / "setup-code")


def _make() -> bytes:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return ("-".join(groups) + "\n").encode()


def current(file: Path) -> str:
    """Return the setup code, making it first if there is none (once, for every process alike)."""
    return private_once(file, _make).decode().strip()


def _folded(code: str) -> bytes:
    # Case, spaces and dashes do not matter: people retype codes in groups, in lower case.
    return "".join(code.split()).replace("-", "").upper().encode()


def matches(file: Path, typed: str | None) -> bool:
    """Tell whether TYPED is the setup code (in constant time; no code file means no match)."""
    if not typed or not file.exists():
        return False
    return hmac.compare_digest(_folded(typed), _folded(current(file)))


def discard(file: Path) -> None:
    """Delete the setup code: the installation has a club, so it opens nothing any more."""
    file.unlink(missing_ok=True)


def announce(app: Flask) -> str | None:
    """Log the setup code if the database holds no club (at every start of a server process, so a restarted
    server's log shows it again); delete a leftover code if it holds one. Return the code logged, if any."""
    from clubcrm.extensions import db
    from clubcrm.services.clubs import any_club

    with app.app_context():
        try:
            has_club = any_club()
        except SQLAlchemyError as error:   # not migrated yet, or the database is away: the pages will say
            app.logger.warning("Could not tell whether ClubCRM is set up: %s", error)
            return None
        finally:
            db.session.remove()
    if has_club:
        discard(path(app))
        return None
    return log_code(app)


def log_code(app: Flask) -> str:
    """Log the setup code with what to do with it, and remember that this process has; return the code."""
    file = path(app)
    code = current(file)
    app.extensions[ANNOUNCED] = True
    app.logger.warning("ClubCRM has no club yet. Open /setup in a browser and enter the setup code %s "
                       "(also in %s; `clubcrm setup-code` prints it), or run `clubcrm setup` on this server.",
                       code, file)
    return code
