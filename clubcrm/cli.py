"""The `clubcrm` command: Flask's commands (db, run, shell) plus ClubCRM's own."""
import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError


def main() -> None:
    """Run the `clubcrm` command line."""
    from clubcrm.app import create_app

    FlaskGroup(create_app=lambda: create_app(), help="ClubCRM: a CRM for fitness clubs.")()


def register(app: Flask) -> None:
    """Attach ClubCRM's commands to APP."""
    app.cli.add_command(create_staff_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(simulate_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(lifecycle_group)
    app.cli.add_command(sms_group)
    app.cli.add_command(check_command)
    # Commands kept beside what they run (imported here: they need the app's models).
    from clubcrm.backup import backup_command, restore_command
    from clubcrm.cli_api import api_token_command
    from clubcrm.cli_clubs import club_group
    from clubcrm.imports.cli import import_group
    from clubcrm.setup_cli import setup_code_command, setup_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(api_token_command)
    app.cli.add_command(import_group)
    app.cli.add_command(club_group)
    app.cli.add_command(setup_command)
    app.cli.add_command(setup_code_command)


@click.command("create-staff")
@click.argument("email")
@click.option("--role", type=click.Choice(["desk", "manager", "owner"]), required=True)
@click.option("--password", required=True, help="At least 10 characters, not a common password.")
@click.option("--club", "club_id", type=int, default=None, help="Club id (owners may omit it).")
@click.option("--name", default="", help="Name shown in the app.")
@with_appcontext
def create_staff_command(email: str, role: str, password: str, club_id: int | None, name: str) -> None:
    """Create a staff login."""
    from clubcrm.services.auth import create_staff

    try:
        with unit_of_work():
            staff = create_staff(email, role, password, club_id, name=name)
    except DomainError as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
    click.echo(f"Created {staff.role} login {staff.email} (id {staff.id}).")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has a club.")
@click.option("--members", default=320, show_default=True, help="How many people to create.")
@click.option("--seed", default=7, show_default=True)
@with_appcontext
def demo_command(if_empty: bool, members: int, seed: int) -> None:
    """Load the demo club and print its logins."""
    from clubcrm import demo

    if not demo.is_empty():
        if if_empty:
            click.echo("The database already holds a club; demo data not loaded.")
            print_logins()
            return
        raise click.ClickException("The database already holds a club; use an empty database.")
    with unit_of_work():
        club = demo.load(members_count=members, seed=seed)
    click.echo(f"Loaded the demo club '{club.name}' with {members} people.")
    print_logins()


@click.command("simulate")
@click.option("--members", default=2000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="How many people (leads included).")
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3660))
@click.option("--seed", default=1, show_default=True)
@click.option("--end", "end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The last simulated day (default: today).")
@with_appcontext
def simulate_command(members: int, days: int, seed: int, end) -> None:
    """Simulate a club's history through the real lifecycle engine, day by day, into an empty database; then
    print what each tool was set to add to renewals beside what the report measures."""
    from clubcrm import demo
    from clubcrm.simulation import SimConfig, simulate
    from clubcrm.simulation.check import check

    if not demo.is_empty():
        raise click.ClickException("The database already holds a club; use an empty database.")
    cfg = SimConfig(members=members, days=days, seed=seed, end=end.date() if end else None)

    def progress(day) -> None:
        if day.day == 1:
            click.echo(f"  {day.isoformat()}")

    result = simulate(cfg, progress=progress)
    counts = result.counts
    click.echo(f"Simulated '{result.club.name}' from {result.first} to {result.last}: {members} people, "
               f"{counts.cycles_ended} cycles ended ({counts.renewed_on_time} renewed on time, "
               f"{counts.renewed_late} late), {counts.visits} visits, {result.touchpoints} touchpoints, "
               f"{counts.sms} SMS delivered ({counts.sms_failed} not), {counts.calls} calls, "
               f"{counts.opt_outs} opt-outs.")
    click.echo("Renewed per plan (decided cycles): " + ", ".join(
        f"{plan} {renewed}/{n} ({renewed / n:.0%})" for plan, (n, renewed) in counts.by_plan.items() if n))
    click.echo(f"{'tool':18} {'set':>6} {'truth':>6} {'measured':>9} {'interval':>16}  verdict")
    for c in check(result, cfg.effects):
        interval = f"[{c.low * 100:+.1f}, {c.high * 100:+.1f}]" if c.low is not None else ""
        measured = f"{c.difference * 100:+.1f}" if c.difference is not None else ""
        truth = f"{c.truth * 100:+.1f}" if c.truth is not None else ""
        configured = f"{c.configured * 100:+.1f}" if c.configured is not None else ""
        alarm = "  SAMPLE-RATIO ALARM" if c.srm_alarm else ""
        click.echo(f"{c.tool:18} {configured:>6} {truth:>6} {measured:>9} {interval:>16}  {c.verdict}{alarm}")
    print_logins()


def print_logins() -> None:
    """Print the demo logins."""
    from clubcrm.demo import DEMO_LOGINS, DEMO_PASSWORD

    click.echo("Demo logins (password: %s):" % DEMO_PASSWORD)
    for email, role, _name in DEMO_LOGINS:
        click.echo(f"  {role:8} {email}")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the scheduler: the lifecycle pass hourly, housekeeping nightly."""
    import logging

    from flask import current_app

    from clubcrm import worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    worker.serve(current_app._get_current_object())


@click.group("lifecycle")
def lifecycle_group() -> None:
    """The lifecycle engine."""


@lifecycle_group.command("run")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Plan as of this date (YYYY-MM-DD) instead of now.")
@click.option("--dry-run", is_flag=True, help="Print the plan and write nothing.")
@click.option("--club", "club_ids", type=int, multiple=True, help="Only this club (repeatable).")
@with_appcontext
def lifecycle_run_command(as_of, dry_run: bool, club_ids: tuple[int, ...]) -> None:
    """Run one lifecycle pass and print the plan by tool and stage."""
    from datetime import UTC, datetime, time

    from clubcrm.clock import utcnow
    from clubcrm.extensions import db
    from clubcrm.lifecycle import engine, report

    now = datetime.combine(as_of.date(), time(12), UTC) if as_of else utcnow()
    if club_ids:
        from sqlalchemy import select

        from clubcrm.models import Club

        missing = set(club_ids) - set(db.session.scalars(select(Club.id).where(Club.id.in_(club_ids))))
        if missing:
            raise click.BadParameter(f"no club with id {', '.join(map(str, sorted(missing)))}",
                                     param_hint="--club")
    if dry_run:
        table = report.plan_table(engine.run(now, list(club_ids) or None, dry_run=True))
        db.session.rollback()  # the defaults a club may have been given on the way
    else:
        with unit_of_work():
            table = report.plan_table(engine.run(now, list(club_ids) or None))
    click.echo(table)



@click.group("sms")
def sms_group() -> None:
    """The SMS outbox."""


@sms_group.command("dispatch")
@click.option("--now", "now_text", default=None, help="Act as if it were this instant (ISO 8601, e.g. "
              "2026-03-10T09:00:00+02:00); for operators and tests.")
@click.option("--limit", default=200, show_default=True, help="Most messages to send in this run.")
@with_appcontext
def sms_dispatch_command(now_text: str | None, limit: int) -> None:
    """Send the outbox's due messages once and print what happened."""
    from datetime import datetime

    from clubcrm.clock import utcnow
    from clubcrm.sms import sending

    try:
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-03-10T09:00:00+02:00", param_hint="--now") from None
    if now.tzinfo is None:
        raise click.BadParameter("give a time zone offset, e.g. +02:00 or Z", param_hint="--now")
    click.echo(str(sending.dispatch_now(now, limit=limit)))


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the database's invariants; list each problem by ids and exit 1, or say there are none."""
    from clubcrm.extensions import db
    from clubcrm.integrity import problems

    try:
        found = problems()
    finally:
        db.session.rollback()   # read only: end the transaction the checks opened
    if not found:
        click.echo("No problems found.")
        return
    for problem in found:
        click.echo(str(problem))
    click.echo(f"{len(found)} problem(s) found.", err=True)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
