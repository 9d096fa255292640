"""gunicorn's settings for ClubCRM: `gunicorn -c gunicorn.conf.py 'clubcrm:create_app()'` (flags on the command
line win). The sync workers read each request themselves, so a slow client holds one worker until `timeout`
ends it: run them behind a buffering proxy (README, "Production"), which hands them whole requests."""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
# A worker silent this long (a request stuck on a slow client or a stuck query) is killed and replaced.
timeout = 30
# On a restart or a stop, requests in progress get this long to finish.
graceful_timeout = 30
# Only threaded and async workers keep connections open; the sync worker closes after each answer.
keepalive = 5
# Request line and headers: gunicorn's defaults, said out loud (a longer header is refused with 400/431).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Replace each worker after a few thousand requests (jittered so that they do not restart together).
max_requests = 5000
max_requests_jitter = 500


def post_worker_init(worker):
    """Say when a worker has loaded the app and takes requests (tests/gunicorn.py waits for it); on a database
    without a club, log the setup code first (every worker logs the same one)."""
    from flask import Flask

    from clubcrm import setup_code

    if isinstance(worker.wsgi, Flask):
        setup_code.announce(worker.wsgi)
    worker.log.info("Worker ready (pid: %s)", worker.pid)
