"""`clubcrm club add|list`: the clubs of the chain from the shell, checked as Settings → Clubs checks them."""
import click
from flask.cli import with_appcontext

from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError

# The flag that carries each field of clubs.checked_details (the same flags as `clubcrm setup`).
FLAGS = {"name": "--club-name", "timezone": "--timezone", "currency": "--currency", "country": "--country",
         "default_locale": "--locale", "phone": "--phone"}


@click.group("club")
def club_group() -> None:
    """Clubs of the chain."""


@club_group.command("add")
@click.option("--club-name", "name", required=True, help="The club's name.")
@click.option("--country", required=True, help="ISO country code for phone numbers, e.g. FI.")
@click.option("--timezone", required=True, help="IANA time zone, e.g. Europe/Helsinki.")
@click.option("--currency", required=True, help="ISO 4217 currency code, e.g. EUR.")
@click.option("--locale", "default_locale", required=True, help="Default language: en, de, ru, fi, sl or sk.")
@click.option("--phone", default="", help="The club's phone number (optional).")
@with_appcontext
def add_command(**data) -> None:
    """Add a club with its default lifecycle tools and rules."""
    from clubcrm.services import clubs

    try:
        with unit_of_work():
            club = clubs.create(None, data)
            club_id, name = club.id, club.name
    except DomainError as error:
        raise click.BadParameter(str(error), param_hint=FLAGS.get(error.field, error.field)) from None
    click.echo(f"Added club {name} (id {club_id}). Next: `clubcrm create-staff EMAIL --role manager "
               f"--club {club_id} --password ...`, then its plans on Settings.")


@club_group.command("list")
@with_appcontext
def list_command() -> None:
    """Print every club: id, name, time zone, currency, status."""
    from clubcrm.services import club_closing, club_edit

    rows = [(str(row.club.id), row.club.name, row.club.timezone, row.club.currency,
             (f"closed from {row.club.closed_on.isoformat()}" if club_closing.is_closed(row.club) else
              f"closing on {row.club.closed_on.isoformat()}" if row.club.closed_on else "open"))
            for row in sorted(club_edit.listing(), key=lambda row: row.club.id)]
    header = ("id", "name", "timezone", "currency", "status")
    widths = [max(len(value) for value in column) for column in zip(header, *rows, strict=False)]
    for line in (header, *rows):
        click.echo("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())
