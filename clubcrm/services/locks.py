"""Row locks that serialise concurrent writes about one member (check-ins, sales)."""
from sqlalchemy import select, update

from clubcrm.extensions import db
from clubcrm.models import Member


def lock_member(member_id: int) -> None:
    """Hold the member's row until the transaction ends, so a second desk or turnstile waits here.

    PostgreSQL takes a row lock; SQLite has no row locks, so a no-op UPDATE takes its write lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
    else:
        db.session.execute(update(Member).where(Member.id == member_id).values(id=Member.id)
                           .execution_options(synchronize_session=False))
