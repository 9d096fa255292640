"""The worker: one APScheduler BlockingScheduler in a process of its own (never inside the web app).

Each job is app context + unit of work + one idempotent service call, so a duplicate or late fire changes
nothing. On PostgreSQL a second worker waits on an advisory lock as a standby.
"""
import logging
from collections.abc import Callable
from contextlib import contextmanager

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select, text

from clubcrm.clock import utcnow
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.heartbeat import fail_stalled_imports

log = logging.getLogger("clubcrm.worker")
# pg_advisory_lock key of the one active worker ("ClubCRM" in ASCII).
ADVISORY_LOCK_KEY = 0x436C756243524D
JOB_DEFAULTS = {
    "coalesce": True,            # a backlog of missed fires runs once
    "max_instances": 1,
    "misfire_grace_time": 3600,  # the 3.x default of 1 s would silently skip a late nightly job
}


def lifecycle_pass() -> str:
    """Plan today's touchpoints in every club."""
    from clubcrm.lifecycle import engine

    plan = engine.run(utcnow())
    return f"{len(plan.touchpoints)} touchpoints planned"


def sms_dispatch() -> str:
    """Send the outbox's due messages (each step commits on its own: see clubcrm/sms/dispatch.py)."""
    from clubcrm.sms.sending import dispatch_now

    return str(dispatch_now(utcnow()))


def housekeeping() -> str:
    """Mark the no-shows of every ended session, expire the tasks nobody closed, close stale import jobs."""
    from flask import current_app

    from clubcrm.clock import local_date
    from clubcrm.imports import jobs as imports
    from clubcrm.models import Club
    from clubcrm.services.sessions import mark_no_shows
    from clubcrm.services.tasks import expire_overdue

    now = utcnow()
    marked = expired = 0
    for club in db.session.scalars(select(Club)):
        marked += mark_no_shows(club, now)
        expired += expire_overdue(club, local_date(now, club.timezone))
    # Uploaded files hold personal data: none stays for a preview nobody confirmed or an import that died.
    previews, stopped = imports.expire_stale(imports.upload_folder(current_app))
    return (f"{marked} bookings marked no-show, {expired} overdue tasks expired, "
            f"{previews} import previews expired, {stopped} stopped imports closed")


def job(app: Flask, work: Callable[[], str]) -> Callable[[], None]:
    """Wrap WORK in an app context and a unit of work, logging what it did or why it failed."""
    def run() -> None:
        with app.app_context():
            try:
                with unit_of_work():
                    log.info("%s: %s", work.__name__, work())
            except Exception:
                log.exception("%s failed; it runs again at its next fire", work.__name__)
    run.__name__ = work.__name__
    return run


def build(app: Flask, run_now: bool = True, scheduler_class: type = BlockingScheduler):
    """Build the scheduler with the jobs' fixed ids; the lifecycle pass also runs at start."""
    scheduler = scheduler_class(job_defaults=JOB_DEFAULTS, timezone="UTC")
    first = {"next_run_time": utcnow()} if run_now else {}
    scheduler.add_job(job(app, lifecycle_pass), IntervalTrigger(hours=1), id="lifecycle",
                      replace_existing=True, **first)
    scheduler.add_job(job(app, sms_dispatch), IntervalTrigger(minutes=1), id="sms_dispatch",
                      replace_existing=True)
    scheduler.add_job(job(app, housekeeping), CronTrigger(hour=2, minute=30), id="housekeeping",
                      replace_existing=True)
    scheduler.add_job(job(app, fail_stalled_imports), IntervalTrigger(minutes=1), id="import_heartbeat",
                      replace_existing=True)
    return scheduler


@contextmanager
def leadership(app: Flask):
    """Hold PostgreSQL's advisory lock while working, so that a second worker waits as a standby."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        log.info("waiting for the worker lock (another worker may be active)")
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()


def serve(app: Flask) -> None:
    """Run the worker until interrupted."""
    with leadership(app):
        scheduler = build(app)
        log.info("worker started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
