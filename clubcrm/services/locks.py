"""Row locks that serialise concurrent writes about one member (check-ins, sales, freezes, SMS) or one club's
new leads.

Whatever a request read before taking a lock may be stale by the time it holds it: a service re-reads the rows
its rules need after locking (lock_member hands back the member as it is now; memberships_of and package_of
overwrite what the session held), never deciding from values read before."""
from sqlalchemy import bindparam, select, update

from clubcrm.extensions import db
from clubcrm.models import Club, Member


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock_member(member_id: int) -> Member:
    """Hold the member's row until the transaction ends, so a second desk or turnstile waits here; return the
    member re-read after the lock.

    PostgreSQL takes a row lock; SQLite has no row locks, so a no-op UPDATE takes its write lock."""
    params = {"member_id": member_id}
    if _is_postgresql():
        return db.session.scalars(_MEMBER_FOR_UPDATE, params).one()
    db.session.execute(_TOUCH_MEMBER, params)
    return db.session.scalars(_MEMBER_NOW, params).one()


# Built once: every check-in, sale and freeze takes the lock.
_MEMBER_NOW = select(Member).where(Member.id == bindparam("member_id")).execution_options(populate_existing=True)
_MEMBER_FOR_UPDATE = _MEMBER_NOW.with_for_update()
_TOUCH_MEMBER = (update(Member).where(Member.id == bindparam("member_id")).values(id=Member.id)
                 .execution_options(synchronize_session=False))


def lock_club_leads(club_id: int) -> None:
    """Hold the club's row until the transaction ends, so that two submits of one new lead run one after the
    other (there is no member row to lock yet)."""
    lock_club(club_id)


def lock_club(club_id: int) -> None:
    """Hold the club's row until the transaction ends, so that writers of one club's rows (new leads, its opening
    hours) run one after the other.

    PostgreSQL: FOR NO KEY UPDATE, which does not block rows that merely reference the club (their foreign key
    checks take KEY SHARE); SQLite: a no-op UPDATE takes its write lock."""
    if _is_postgresql():
        db.session.execute(select(Club.id).where(Club.id == club_id).with_for_update(key_share=True))
    else:
        db.session.execute(update(Club).where(Club.id == club_id).values(id=Club.id)
                           .execution_options(synchronize_session=False))
