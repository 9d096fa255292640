"""`clubcrm api-token EMAIL`: print a new API token for a staff login."""
import click
from flask.cli import with_appcontext

from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError


@click.command("api-token")
@click.argument("email")
@click.option("--label", default="", help="What will use it (turnstile, website form); at most 80 characters.")
@with_appcontext
def api_token_command(email: str, label: str) -> None:
    """Print a new API token for the login EMAIL (shown once; revoke it under API tokens in the app)."""
    from clubcrm.services import api_tokens

    try:
        with unit_of_work():
            token = api_tokens.issue(api_tokens.staff_by_email(email), label)
    except DomainError as error:
        hint = "EMAIL" if error.field == "email" else f"--{error.field}"
        raise click.BadParameter(str(error), param_hint=hint) from None
    click.echo(token)
