"""gunicorn for the benchmarks: ClubCRM as the README's production section runs it, or the floor app on the same
settings, on a free loopback port, stopped with its workers when the block ends (also on Ctrl+C or an error).

    with serve_clubcrm(url, workers=2) as product, serve_floor(url, workers=2) as floor:
        ...product.url, floor.url...

ClubCRM runs with `-c gunicorn.conf.py` and CLUBCRM_ENV=production (a random CLUBCRM_SECRET_KEY); the floor gets
the same settings through benchmarks/floor_gunicorn_conf.py, which reads them from that file (without its hooks).
The port is the kernel's choice (127.0.0.1:0), read from gunicorn's log.
"""
import http.client
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tests.gunicorn import stop_group

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class Server:
    """One gunicorn master and its workers, started in a session of its own (killed as a group)."""

    def __init__(self, command: list[str], env: dict[str, str], probe: str, start_timeout: float = 60.0) -> None:
        self.command, self.env, self.probe, self.start_timeout = command, env, probe, start_timeout
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.url = ""
        self._log = tempfile.NamedTemporaryFile(prefix="clubcrm-bench-gunicorn-", suffix=".log", delete=False)

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def start(self) -> "Server":
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError(f"gunicorn exited with {self.process and self.process.returncode}:\n{log}")
            found = LISTENING.search(self.log())
            if found and self._answers(int(found.group(1))):
                self.port = int(found.group(1))
                self.url = f"http://127.0.0.1:{self.port}"
                return self
            time.sleep(0.1)
        log = self.log()
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {self.probe} in {self.start_timeout} s:\n{log}")

    def _answers(self, port: int) -> bool:
        """A worker has loaded the app: PROBE answers (the master accepts connections before that)."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", self.probe)
            status = conn.getresponse().status
            conn.close()
            return status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=15)
            self.process = None
        if not self._log.closed:
            self._log.close()
            os.unlink(self._log.name)


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUBCRM_", "FLOOR_", "GUNICORN_"))}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _command(conf: str, workers: int, app: str) -> list[str]:
    """gunicorn with the settings file CONF (relative to benchmarks/), on a free port, WORKERS workers."""
    return [sys.executable, "-m", "gunicorn", "-c", str((Path(__file__).parent / conf).resolve()),
            "--bind", "127.0.0.1:0", "--workers", str(workers), "--log-level", "info",
            # gunicorn 23+ opens a control socket at one path per user: two servers (or other helpers') clash.
            "--no-control-socket", app]


@contextmanager
def serve_clubcrm(database_url: str, workers: int = 2, settings: dict[str, str] | None = None):
    """ClubCRM under gunicorn with the repository's gunicorn.conf.py and the production config."""
    env = _base_env()
    env.update({"CLUBCRM_ENV": "production", "CLUBCRM_SECRET_KEY": secrets.token_hex(32),
                "CLUBCRM_DATABASE_URL": database_url})
    env.update({f"CLUBCRM_{k}": v for k, v in (settings or {}).items()})
    server = Server(_command("../gunicorn.conf.py", workers, "clubcrm:create_app()"), env, "/login")
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def serve_floor(database_url: str, workers: int = 2):
    """The floor app (benchmarks/floor_app.py) under gunicorn with gunicorn.conf.py's settings."""
    env = _base_env()
    env.update({"FLOOR_DATABASE_URL": database_url, "FLOOR_SECRET_KEY": secrets.token_hex(32)})
    server = Server(_command("floor_gunicorn_conf.py", workers, "benchmarks.floor_app:create_app()"), env, "/login")
    try:
        yield server.start()
    finally:
        server.stop()
