"""A report page's figures as rendered HTML, kept by each web worker while they are the same figures.

The stored figures of a scope change only when the worker recomputes them, and each recompute draws a new
`report_refresh.generation`. The charts and tables of a page (its body) are a function of those figures and of what
the request asks: the page, the period, the plan, the table pages, the language, the club's currency and time zone.
Keyed by all of these, a body rendered once is the same HTML for the next manager who opens the same page, and the
page then costs the login check, one read of the refresh row and the page around the body: the KPI page's body is
most of its time (800 formatted cells and three charts). A per-tool table still being computed is never kept.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import current_app
from markupsafe import Markup

LIMIT = 64   # bodies kept per worker (a KPI page's is about 75 kB)
_lock = Lock()


def _kept() -> OrderedDict:
    return current_app.extensions.setdefault("report_bodies", OrderedDict())


def kept(key: tuple) -> Markup | None:
    """The body rendered before for KEY, or None."""
    bodies = _kept()
    with _lock:
        body = bodies.get(key)
        if body is not None:
            bodies.move_to_end(key)
        return body


def keep(key: tuple, body: Markup) -> None:
    """Keep BODY for KEY, forgetting the least recently used beyond LIMIT."""
    bodies = _kept()
    with _lock:
        bodies[key] = body
        bodies.move_to_end(key)
        while len(bodies) > LIMIT:
            bodies.popitem(last=False)


def forget() -> None:
    """Forget every kept body of this worker (the report views benchmark's first views)."""
    with _lock:
        _kept().clear()
