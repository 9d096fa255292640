"""Exactly one worker per database, on both engines (issue 12): a second worker waits as a standby and takes over when
the first ends; a worker whose lock is lost (PostgreSQL restarted — a terminated backend here —, the SQLite lock
file removed) runs no further job, and another worker can take the lock."""
import os
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from clubcrm import worker
from clubcrm.extensions import db
from clubcrm.worker_lock import AdvisoryLock, FileLock, lock_for


class Worker:
    """`clubcrm worker` in a process of its own, its output collected line by line."""

    def __init__(self, database_url: str, cwd) -> None:
        env = {**os.environ, "CLUBCRM_DATABASE_URL": database_url, "CLUBCRM_SECRET_KEY": "worker-lock-test",
               "CLUBCRM_WORKER_LOCK_POLL_SECONDS": "0.2"}
        self.process = subprocess.Popen([sys.executable, "-m", "clubcrm.cli", "worker"], env=env, cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def says(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_for(self, text: str, seconds: float = 40) -> None:
        deadline = time.monotonic() + seconds
        while not self.says(text):
            assert self.process.poll() is None, "the worker ended:\n" + "".join(self.lines)
            assert time.monotonic() < deadline, f"no {text!r} from the worker:\n" + "".join(self.lines)
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(30)
        self._reader.join(5)


@pytest.fixture
def workers(database_url, tmp_path):
    started: list[Worker] = []

    def start() -> Worker:
        started.append(Worker(database_url, tmp_path))
        return started[-1]
    yield start
    for one in started:
        one.stop()


def test_a_second_worker_on_the_same_database_waits_and_takes_over_when_the_first_ends(workers):
    first = workers()
    first.wait_for("lifecycle_pass:")            # the first worker runs its jobs (the pass runs at start)
    second = workers()
    second.wait_for("waiting for the worker lock")
    time.sleep(1.0)                              # a second worker that ran jobs would have run the pass by now
    assert not second.says("lifecycle_pass"), "".join(second.lines)
    first.stop()
    second.wait_for("lifecycle_pass:")           # the standby took the lock and started the jobs


def break_lock(lock) -> None:
    """What takes a worker's lock away: a PostgreSQL restart (its backend terminated), the lock file removed."""
    if isinstance(lock, AdvisoryLock):
        pid = lock.backend_pid
        url = lock.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    else:
        assert isinstance(lock, FileLock)
        os.unlink(lock.path)


def test_a_worker_that_loses_its_lock_runs_no_further_job_and_another_takes_over(app):
    with app.app_context():
        engine = db.engine
    first, second = lock_for(engine), lock_for(engine)
    assert first.acquire() and not second.acquire()
    ran, stopped = [], []

    def pass_() -> str:
        ran.append(True)
        return "done"
    job = worker.job(app, pass_)
    app.extensions[worker.LEADERSHIP] = worker.Leadership(first, on_lost=lambda: stopped.append(True))
    try:
        job()
        assert (ran, stopped) == ([True], [])
        break_lock(first)
        job()
        job()
        assert (ran, stopped) == ([True], [True])   # no job after the loss; the scheduler is stopped once
        assert not first.held()
        assert second.acquire() and second.held()  # a standby takes over
        assert not first.acquire()                  # and the old worker waits as a standby in its turn
    finally:
        del app.extensions[worker.LEADERSHIP]
        first.release()
        second.release()
