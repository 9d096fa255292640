"""The worker: one APScheduler BlockingScheduler in a process of its own (never inside the web app).

Each job is app context + unit of work + one idempotent service call, so a duplicate or late fire changes
nothing. Exactly one worker acts per database, on both engines (clubcrm/worker_lock.py: a file lock beside an
SQLite database, an advisory lock on PostgreSQL): a second one waits as a standby. The active worker checks
before each job that it still holds the lock; one that lost it (the lock file removed, the PostgreSQL server
restarted) runs no further job, waits for its running jobs to end and goes back to standby until it can take
the lock again.
"""
import logging
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select

from clubcrm.clock import utcnow
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.heartbeat import fail_stalled_imports

log = logging.getLogger("clubcrm.worker")
# Where serve() keeps this worker's Leadership in app.extensions, for job() to check before each job.
LEADERSHIP = "clubcrm.worker.leadership"
JOB_DEFAULTS = {
    "coalesce": True,            # a backlog of missed fires runs once
    "max_instances": 1,
    "misfire_grace_time": 3600,  # the 3.x default of 1 s would silently skip a late nightly job
}


def lifecycle_pass() -> str:
    """Plan today's touchpoints in every club."""
    from clubcrm.lifecycle import engine

    plan = engine.run(utcnow(), hourly=True)
    return f"{len(plan.touchpoints)} touchpoints planned"


def sms_dispatch() -> str:
    """Send the outbox's due messages (each step commits on its own: see clubcrm/sms/dispatch.py)."""
    from clubcrm.sms.sending import dispatch_now

    return str(dispatch_now(utcnow()))


def housekeeping() -> str:
    """Mark the no-shows of every ended session, expire the tasks nobody closed, expire import previews."""
    from flask import current_app

    from clubcrm.clock import local_date
    from clubcrm.imports import jobs as imports
    from clubcrm.lifecycle import since
    from clubcrm.models import Club
    from clubcrm.services.sessions import mark_no_shows
    from clubcrm.services.tasks import expire_overdue

    now = utcnow()
    marked = expired = 0
    for club in db.session.scalars(select(Club)):
        marked += mark_no_shows(club, now)
        expired += expire_overdue(club, local_date(now, club.timezone))
    # Tasks expired and no-shows leave no news for the hourly pass to find: its next pass plans everyone.
    since.forget()
    # Uploaded files hold personal data: none stays for a preview nobody confirmed (an import that died is closed
    # within minutes by the import_heartbeat job).
    previews = imports.expire_stale(imports.upload_folder(current_app))
    return (f"{marked} bookings marked no-show, {expired} overdue tasks expired, "
            f"{previews} import previews expired")


def lead_timeout() -> str:
    """Close the lead cycles that went LEAD_CYCLE_DAYS without a sale as lost (no answer)."""
    from clubcrm.services.lead_cycles import close_timed_out

    return f"{close_timed_out(utcnow())} lead cycles closed as lost after the timeout"


def report_refresh() -> str:
    """Recompute the stored report figures of every scope that is due, each scope in its own transaction."""
    from clubcrm.reports import refresh, tool_tables

    keys = refresh.due()
    db.session.commit()       # the rows of scopes seen for the first time: a page may say "being computed"
    done = 0
    for key in keys:
        try:
            with unit_of_work():
                refresh.recompute(key, utcnow())
                renewed = refresh.stored(refresh.club_ids_of(key))
                if renewed is not None:
                    tool_tables.renewed(renewed, utcnow())
            done += 1
        except Exception:     # one scope's failure leaves the others' figures to be renewed
            log.exception("report_refresh: scope %s failed; it is tried again at the next fire", key)
    tables = 0
    for key in tool_tables.due():   # the per-tool tables pages asked for, and each renewed scope's default one
        try:
            with unit_of_work():
                tables += tool_tables.compute(key, utcnow())
        except Exception:
            log.exception("report_refresh: tool table %s failed; it is tried again at the next fire", key)
    return f"{done} of {len(keys)} report scopes recomputed, {tables} tool tables"


def job(app: Flask, work: Callable[[], str]) -> Callable[[], None]:
    """Wrap WORK in an app context and a unit of work, logging what it did or why it failed."""
    def run() -> None:
        leadership: Leadership | None = app.extensions.get(LEADERSHIP)
        if leadership is not None and not leadership.begin(work.__name__):
            return
        try:
            with app.app_context():
                try:
                    with unit_of_work():
                        log.info("%s: %s", work.__name__, work())
                except Exception:
                    log.exception("%s failed; it runs again at its next fire", work.__name__)
        finally:
            if leadership is not None:
                leadership.end()
    run.__name__ = work.__name__
    return run


def build(app: Flask, run_now: bool = True, scheduler_class: type = BlockingScheduler):
    """Build the scheduler with the jobs' fixed ids; the lifecycle pass and the report refresh also run at start."""
    scheduler = scheduler_class(job_defaults=JOB_DEFAULTS, timezone="UTC")
    first = {"next_run_time": utcnow()} if run_now else {}
    scheduler.add_job(job(app, lifecycle_pass), IntervalTrigger(hours=1), id="lifecycle",
                      replace_existing=True, **first)
    scheduler.add_job(job(app, sms_dispatch), IntervalTrigger(minutes=1), id="sms_dispatch",
                      replace_existing=True)
    scheduler.add_job(job(app, housekeeping), CronTrigger(hour=2, minute=30), id="housekeeping",
                      replace_existing=True)
    scheduler.add_job(job(app, lead_timeout), CronTrigger(hour=2, minute=45), id="lead_timeout",
                      replace_existing=True)
    scheduler.add_job(job(app, fail_stalled_imports), IntervalTrigger(minutes=1), id="import_heartbeat",
                      replace_existing=True)
    # Every minute: a scope is due when never computed, asked for ("recompute now", an import) or of an earlier
    # local day (the nightly refresh, just after each club's midnight).
    scheduler.add_job(job(app, report_refresh), IntervalTrigger(minutes=1), id="report_refresh",
                      replace_existing=True, **first)
    return scheduler


class Leadership:
    """This worker's hold on the worker lock while its scheduler runs: each job asks it first.

    A job starts only while the lock is still held. The first job to find it lost calls ON_LOST (serve() shuts
    the scheduler down) and no job starts after it; wait_idle() lets the jobs already running end."""

    def __init__(self, lock, on_lost: Callable[[], None]):
        self.lock = lock
        self.on_lost = on_lost
        self.lost = False
        self._running = 0
        self._state = threading.Condition()   # jobs run in the scheduler's threads; the lock's connection is one

    def begin(self, name: str) -> bool:
        """Whether job NAME may run now; if so it counts as running until end()."""
        with self._state:
            if not self.lost and self.lock.held():
                self._running += 1
                return True
            first = not self.lost
            self.lost = True
        if first:
            log.error("worker lock lost (%s): %s not run, no further job runs here; back to standby",
                      self.lock, name)
            self.on_lost()
        return False

    def end(self) -> None:
        with self._state:
            self._running -= 1
            self._state.notify_all()

    def wait_idle(self) -> None:
        """Return once no job of this worker is running."""
        with self._state:
            self._state.wait_for(lambda: self._running == 0)


def take(lock, poll: float) -> None:
    """Wait as a standby until LOCK is ours, trying every POLL seconds."""
    if lock.acquire():
        return
    log.info("waiting for the worker lock (%s): another worker is active", lock)
    while not lock.acquire():
        time.sleep(poll)


def serve(app: Flask) -> None:
    """Run the worker until interrupted: take the worker lock, run the jobs while it is held, and wait as a
    standby again whenever it is lost."""
    from clubcrm.worker_lock import lock_for

    with app.app_context():
        lock = lock_for(db.engine)
    poll = float(app.config["WORKER_LOCK_POLL_SECONDS"])
    try:
        while True:
            take(lock, poll)
            scheduler = build(app)
            leadership = Leadership(lock, on_lost=lambda scheduler=scheduler: scheduler.shutdown(wait=False))
            app.extensions[LEADERSHIP] = leadership
            log.info("worker lock taken (%s); worker started: %s", lock,
                     ", ".join(j.id for j in scheduler.get_jobs()))
            try:
                scheduler.start()
            except (KeyboardInterrupt, SystemExit):
                return
            finally:
                del app.extensions[LEADERSHIP]
            if not leadership.lost:
                return
            leadership.wait_idle()   # a job that began before the loss ends before a new holder's could overlap
            lock.release()
    finally:
        lock.release()
