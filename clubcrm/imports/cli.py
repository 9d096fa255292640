"""`clubcrm import members|memberships|balances|visits FILE`: check or import a spreadsheet from the shell."""
from pathlib import Path

import click
from flask.cli import with_appcontext

# Refused rows printed before "see --report".
SHOWN_REFUSALS = 20


@click.group("import")
def import_group() -> None:
    """Import data from spreadsheets."""


def _club(club_id: int | None):
    """The club to import into: --club, or the only one."""
    from sqlalchemy import select

    from clubcrm.extensions import db
    from clubcrm.models import Club

    if club_id is not None:
        club = db.session.get(Club, club_id)
        if club is None:
            raise click.BadParameter(f"no club with id {club_id}", param_hint="--club")
        return club
    clubs = list(db.session.scalars(select(Club).order_by(Club.id).limit(2)))
    if not clubs:
        raise click.ClickException("There is no club yet.")
    if len(clubs) > 1:
        raise click.BadParameter("several clubs exist: choose one", param_hint="--club")
    return clubs[0]


# What each command's rows are, in its closing line.
NOUNS = {"members": "members", "memberships": "memberships", "balances": "balances", "visits": "visits"}
HELP = {
    "members": "Import members from a CSV file (Excel's too: BOM, semicolons, cp1251 or latin-1).",
    "memberships": "Import current and past memberships (member by card code, phone or email; plan by name; start, "
                   "end, price, frozen until) from another system's CSV file.",
    "balances": "Import package balances (member; service by name; units left; expiry) from another system's CSV "
                "file, each as an opening ledger row.",
    "visits": "Import a visit history (member by card code, phone or email; time) from another system's CSV file.",
}


def _options(command):
    """The options every import command takes."""
    for option in reversed((
        click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--dry-run", is_flag=True, help="Check every row and print the report; write nothing."),
        click.option("--valid-only", is_flag=True, help="Import the valid rows and report the others "
                     "(default: all or nothing)."),
        click.option("--club", "club_id", type=int, default=None, help="Club id (needed when several clubs exist)."),
        click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Write the refused rows to this CSV file."),
        click.option("--encoding", default=None, help="The file's encoding (default: detected)."),
        click.option("--delimiter", default=None,
                     help="; , or tab (default: detected); 'tab' or '\\t' for a tab."),
    )):
        command = option(command)
    return command


def _command(kind: str):
    """The `clubcrm import KIND FILE` command."""
    @import_group.command(kind, help=HELP[kind])
    @_options
    @with_appcontext
    def command(path: Path, dry_run: bool, valid_only: bool, club_id: int | None, report_path: Path | None,
                encoding: str | None, delimiter: str | None) -> None:
        import_file(kind, path, dry_run, valid_only, club_id, report_path, encoding, delimiter)
    command.__name__ = f"import_{kind}_command"
    return command


def import_file(kind: str, path: Path, dry_run: bool, valid_only: bool, club_id: int | None,
                report_path: Path | None, encoding: str | None, delimiter: str | None) -> None:
    """Check or import a file of KIND; exit 1 if an all-or-nothing import refused a row."""
    from flask_babel import force_locale

    from clubcrm.db import unit_of_work
    from clubcrm.errors import DomainError
    from clubcrm.extensions import db
    from clubcrm.imports import report
    from clubcrm.imports.kinds import KINDS, guess
    from clubcrm.imports.reading import read_table
    from clubcrm.imports.run import run
    from clubcrm.private_files import write_private

    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    club = _club(club_id)
    with force_locale("en"):
        try:
            table = read_table(path.read_bytes(), encoding=encoding, delimiter=delimiter)
            fields = guess(KINDS[kind], table.headers)
            shown = {";": "semicolon", ",": "comma", "\t": "tab"}[table.delimiter]
            click.echo(f"Read {path.name}: {table.encoding}, {shown}-separated, {len(table.records)} rows.")
            click.echo("Columns:")
            for header, field in zip(table.headers, fields, strict=True):
                click.echo(f"  {header!r:30} -> {field or '(left out)'}")
            mode = "valid" if valid_only else "all"
            if dry_run:
                result = run(None, club, table, fields, mode=mode, dry_run=True, filename=path.name, kind=kind)
                db.session.rollback()
            else:
                with unit_of_work():
                    result = run(None, club, table, fields, mode=mode, filename=path.name, kind=kind)
        except DomainError as error:
            raise click.BadParameter(str(error), param_hint=f"--{error.field}" if error.field in (
                "encoding", "delimiter") else "FILE") from None
        entries = report.entries(result.checked.refusals)
        for entry in entries[:SHOWN_REFUSALS]:
            click.echo(f"  line {entry['line']}: {entry['field']}: {entry['message']}")
        if len(entries) > SHOWN_REFUSALS:
            click.echo(f"  ... and {len(entries) - SHOWN_REFUSALS} more problems"
                       + ("" if report_path else " (see --report PATH)"))
        if report_path is not None:
            # Like every file an import leaves, readable by the app's account only: it describes members' rows.
            write_private(report_path, "".join(report.to_csv(entries, table.headers, fields, kind)).encode("utf-8"))
            click.echo(f"Report written to {report_path}.")
    valid, refused = len(result.checked.rows), result.refused
    if dry_run:
        click.echo(f"Dry run: {valid} rows would be imported, {refused} refused; nothing was written.")
    elif result.imported:
        click.echo(f"Imported {result.imported} {NOUNS[kind]}; {refused} rows refused.")
    else:
        click.echo(f"Nothing imported: {refused} rows refused (use --valid-only to import the {valid} valid rows).")
    if refused and not dry_run and mode == "all":
        raise SystemExit(1)


import_members_command = _command("members")
import_memberships_command = _command("memberships")
import_balances_command = _command("balances")
import_visits_command = _command("visits")
