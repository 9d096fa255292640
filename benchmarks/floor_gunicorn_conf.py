"""gunicorn settings of the floor app: those of the repository's gunicorn.conf.py (workers, timeouts, keep-alive,
request limits, max_requests), without its hooks, which are ClubCRM's own. The bind and the worker count come
from the command line, as for ClubCRM."""
import runpy
from pathlib import Path

_COPIED = ("worker_class", "timeout", "graceful_timeout", "keepalive", "limit_request_line", "limit_request_fields",
           "limit_request_field_size", "max_requests", "max_requests_jitter")
globals().update({name: value for name, value in runpy.run_path(
    str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")).items() if name in _COPIED})
