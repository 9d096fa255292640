"""`clubcrm setup` (the first club and owner from the shell, with flags or prompts) and `clubcrm setup-code`."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from clubcrm import setup_code
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, InvalidInput
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.services import clubs, first_run

# What to ask for each field, and whether it may stay empty.
PROMPTS = {
    "club_name": ("Club name", True),
    "country": ("Country (ISO code, e.g. FI)", True),
    "timezone": ("Time zone (IANA, e.g. Europe/Helsinki)", True),
    "currency": ("Currency (ISO 4217, e.g. EUR)", True),
    "locale": (f"Default language ({', '.join(SUPPORTED_LOCALES)})", True),
    "phone": ("The club's phone (optional)", False),
    "owner_email": ("Owner's email (the first login)", True),
    "owner_password": ("Owner's password", True),
    "owner_name": ("Owner's name (optional)", False),
}


def flag(field: str) -> str:
    """The command line flag of a setup field."""
    return "--" + field.replace("_", "-")


def _ask(field: str) -> str:
    label, required = PROMPTS[field]
    if field == "owner_password":
        return click.prompt(label, hide_input=True, confirmation_prompt=True)
    return click.prompt(label, default=None if required else "", show_default=False)


def _has_club() -> bool:
    try:
        return clubs.any_club()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(f"Cannot read the database ({type(error).__name__}): is it reachable, and has "
                                   f"`clubcrm db upgrade` run?") from None


def _refuse_if_set_up() -> None:
    if _has_club():
        db.session.rollback()
        raise click.ClickException("ClubCRM is already set up: this database holds a club, and setup changed "
                                   "nothing. Add more clubs under Settings → Clubs or with `clubcrm club add`.")


@click.command("setup")
@click.option("--club-name", "club_name", help="The club's name.")
@click.option("--country", help="ISO 3166 country code of the club's phone numbers, e.g. FI.")
@click.option("--timezone", help="IANA time zone, e.g. Europe/Helsinki.")
@click.option("--currency", help="ISO 4217 currency code, e.g. EUR.")
@click.option("--locale", help=f"Default language: one of {', '.join(SUPPORTED_LOCALES)}.")
@click.option("--phone", help="The club's phone number (optional).")
@click.option("--owner-email", "owner_email", help="Email of the first owner login.")
@click.option("--owner-password", "owner_password", help="Its password (at least 10 characters, not a common one).")
@click.option("--owner-name", "owner_name", help="The owner's name shown in the app (optional).")
@with_appcontext
def setup_command(**given: str | None) -> None:
    """Set up an empty installation: its first club (with the default lifecycle tools and rules) and owner
    login, in one transaction. Without flags it asks for each value."""
    _refuse_if_set_up()
    # No flag at all: ask for everything. Some flags: ask (on a terminal) only for the missing required ones.
    interactive = all(value is None for value in given.values())
    values = dict(given)
    for field, (_label, required) in PROMPTS.items():
        if values[field] is not None:
            continue
        if interactive or (required and sys.stdin.isatty()):
            values[field] = _ask(field)
        elif required:
            raise click.UsageError(f"Missing option '{flag(field)}'.")
        else:
            values[field] = ""
    while True:
        try:
            with unit_of_work():
                club, owner = first_run.set_up(values)
            break
        except InvalidInput as error:
            if not interactive or error.field not in PROMPTS:
                raise click.BadParameter(f"{error} Nothing was written.",
                                         param_hint=f"'{flag(error.field or 'club_name')}'") from None
            click.echo(f"{error}", err=True)   # ask again for the value refused, keep the others
            values[error.field] = _ask(error.field)
        except DomainError as error:   # a club appeared meanwhile (another setup): nothing of ours was kept
            raise click.ClickException(f"{error} Nothing was written.") from None
    setup_code.discard(setup_code.path(current_app))   # the browser's way in is closed now
    public = current_app.config.get("PUBLIC_URL")
    login = f"{public}/login" if public else "/login on this server's address"
    click.echo(f"Set up ClubCRM: club '{club.name}' (id {club.id}; {club.country}, {club.timezone}, "
               f"{club.currency}, default language {club.default_locale}) with its default lifecycle tools and "
               f"rules, and the owner login {owner.email} (id {owner.id}).")
    click.echo("Next steps:")
    click.echo(f"  1. Start the server and the worker (README, 'Production'); log in at {login} "
               f"as {owner.email}.")
    click.echo("  2. Work through the getting-started checklist on the home page: plans, packages and services, "
               "staff logins (Settings), the SMS sender, importing members, the lifecycle rules.")


@click.command("setup-code")
@with_appcontext
def setup_code_command() -> None:
    """Print the one-time code that /setup asks for (while the database holds no club)."""
    file = setup_code.path(current_app)
    if _has_club():
        setup_code.discard(file)
        raise click.ClickException("ClubCRM is already set up: this database holds a club, so there is no setup "
                                   "code any more. Log in at /login.")
    click.echo(setup_code.current(file))
    click.echo(f"(from {file}) Open /setup in a browser and enter it, or run `clubcrm setup` here instead.",
               err=True)
