"""Transaction boundaries: services flush, the caller commits through unit_of_work."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from clubcrm.extensions import db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit the session if the block succeeds; roll everything back if it raises."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
