"""Data several reports of one page read, loaded once per session state instead of once per report.

The club page's KPIs are five functions called one after another in one request; each needs the scope's
memberships and recent visits. They are kept in the session's `info` under a key, and forgotten as soon as the
session writes, commits or rolls back, so a remembered value never outlives the data it was read from.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from clubcrm.extensions import db

T = TypeVar("T")
_KEY = "report_memo"


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """LOAD()'s value, computed once while the session neither writes nor ends its transaction."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()   # pending rows belong in what is read (and the flush forgets older values)
    memo = session.info.setdefault(_KEY, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def _forget(session: Session, *_args) -> None:
    session.info.pop(_KEY, None)


# On the Session class: Flask-SQLAlchemy makes a session per app context, all of this class.
for _name in ("after_flush", "after_commit", "after_soft_rollback"):
    event.listen(Session, _name, _forget)
