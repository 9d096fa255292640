"""A real gunicorn serving the app on a test database, on a free loopback port, for tests of what only a real
server shows: chunked bodies, slow clients, worker memory, a database that goes away under running workers.

    with Gunicorn(database_url, workers=2, timeout=3) as server:
        response = requests.get(server.url + "/login")

It binds 127.0.0.1:0 (the kernel picks the port; gunicorn's log names it), runs with the repository's
gunicorn.conf.py, so the tests see the timeouts production gets unless a test overrides one, and is stopped
(SIGTERM, then SIGKILL) with its workers when the block ends.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
READY = re.compile(r"Worker ready \(pid: (\d+)\)")   # logged by gunicorn.conf.py's post_worker_init


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py 'clubcrm:create_app()'` on DATABASE_URL with CLUBCRM_* SETTINGS."""

    def __init__(self, database_url: str, *, workers: int = 1, timeout: int | None = None,
                 settings: dict[str, str] | None = None, start_timeout: float = 30.0) -> None:
        self.database_url = database_url
        self.workers = workers
        self.timeout = timeout
        self.settings = settings or {}
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.port = 0
        self._log = tempfile.NamedTemporaryFile(prefix="clubcrm-gunicorn-", suffix=".log", delete=False)

    def start(self) -> "Gunicorn":
        env = {key: value for key, value in os.environ.items() if not key.startswith("CLUBCRM_")}
        env.update({"CLUBCRM_ENV": "test", "CLUBCRM_DATABASE_URL": self.database_url,
                    "CLUBCRM_WTF_CSRF_ENABLED": "false", "PYTHONUNBUFFERED": "1"})
        env.update({f"CLUBCRM_{key}": value for key, value in self.settings.items()})
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                   "--bind", "127.0.0.1:0", "--workers", str(self.workers), "--log-level", "info"]
        if self.timeout is not None:
            command += ["--timeout", str(self.timeout), "--graceful-timeout", "1"]
        command.append("clubcrm:create_app()")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            found = LISTENING.search(self.log())
            if found and len(set(READY.findall(self.log()))) >= self.workers and self._answers(int(found.group(1))):
                self.port = int(found.group(1))
                self.url = f"http://127.0.0.1:{self.port}"
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start in {self.start_timeout} s:\n{self.log()}")

    @staticmethod
    def _answers(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return Path(self._log.name).read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The pids of the live workers (the master's children)."""
        if self.process is None:
            return []
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                children.append(int(entry.name))
        return sorted(children)

    def stop(self) -> None:
        if self.process is None:
            return
        stop_group(self.process)
        self.process = None
        self._log.close()
        os.unlink(self._log.name)

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def memory_kib(pid: int, field: str = "VmHWM") -> int:
    """A process's memory from /proc/PID/status in KiB: VmHWM is the peak resident size, VmRSS the current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def module_database(request, tmp_path_factory, name: str) -> str:
    """A database at the schema's head for a module-scoped server, on the engine of REQUEST.param: a copy of
    the session's SQLite template, or database NAME in the session's PostgreSQL cluster."""
    import shutil

    from tests.conftest import migrate_to_head

    if request.param == "sqlite":
        target = tmp_path_factory.mktemp(name) / "clubcrm.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("pg_cluster").create_database(name)
    migrate_to_head(url)
    return url


def stop_group(process: subprocess.Popen, grace: float = 10) -> None:
    """Stop a server started in its own process group: SIGTERM, then SIGKILL after GRACE seconds, and SIGKILL to the
    group anyway (workers left behind by a master that died first)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
