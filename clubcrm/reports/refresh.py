"""When the stored report figures are recomputed, and the recompute itself (run by the worker, never a request).

The scopes kept are those the pages offer: each club, and the whole chain when it has several clubs. A scope is
recomputed when it has no figures yet, when its figures stand on a local day before today (so each club's figures
are renewed once its night has begun: the nightly refresh), when a manager asked for it ("recompute now") and after
an import into one of its clubs. The worker's report_refresh job looks every minute; each scope is recomputed in its
own transaction, so a page reads either the old figures or the new ones, never a mix.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import case, delete, insert, or_, select, update

from clubcrm.clock import local_today
from clubcrm.extensions import db
from clubcrm.models import Club, ReportAtRisk, ReportCount, ReportRefresh
from clubcrm.reports import aggregates


def scope_key(club_ids) -> str:
    """The key of the scope of CLUB_IDS: ",1,2," (sorted, so that any order names one scope)."""
    return "," + ",".join(str(i) for i in sorted(set(club_ids))) + ","


def club_ids_of(key: str) -> tuple[int, ...]:
    return tuple(int(i) for i in key.strip(",").split(","))


def stored(club_ids) -> ReportRefresh | None:
    """The refresh row of the scope of CLUB_IDS if its figures have been computed, else None (one statement)."""
    row = db.session.scalar(select(ReportRefresh).where(ReportRefresh.scope == scope_key(club_ids)))
    return row if row is not None and row.computed_at is not None else None


def _row(key: str) -> ReportRefresh:
    row = db.session.scalar(select(ReportRefresh).where(ReportRefresh.scope == key))
    if row is None:
        row = ReportRefresh(scope=key)
        db.session.add(row)
        db.session.flush()
    return row


def request(club_ids, now: datetime) -> ReportRefresh:
    """Ask the worker to recompute the scope of CLUB_IDS (a manager's "recompute now")."""
    row = _row(scope_key(club_ids))
    row.requested_at = now
    db.session.flush()
    return row


def request_for_club(club_id: int, now: datetime) -> None:
    """Ask the worker to recompute every scope holding CLUB_ID (its data changed in bulk: an import)."""
    _row(scope_key((club_id,)))
    db.session.execute(update(ReportRefresh).where(ReportRefresh.scope.like(f"%,{int(club_id)},%"))
                       .values(requested_at=now).execution_options(synchronize_session=False))


def offered_scopes() -> list[tuple[int, ...]]:
    """The scopes the pages offer: each club, and the whole chain (clubs ordered by name, as the pages order them)."""
    ids = list(db.session.scalars(select(Club.id).order_by(Club.name)))
    return [(i,) for i in ids] + ([tuple(ids)] if len(ids) > 1 else [])


def as_of_day(club_ids) -> date:
    """The local day a scope's figures stand on: today in its first club by name (the day its page reads)."""
    zone = db.session.scalar(select(Club.timezone).where(Club.id.in_(list(club_ids))).order_by(Club.name).limit(1))
    return local_today(zone)


def due() -> list[str]:
    """The keys of the scopes to recompute now: never computed, asked for, or standing on an earlier day. Rows for
    offered scopes that have none are made (a new club, a chain that grew)."""
    for club_ids in offered_scopes():
        _row(scope_key(club_ids))
    found = []
    for row in db.session.scalars(select(ReportRefresh).order_by(ReportRefresh.id)):
        ids = club_ids_of(row.scope)
        if (row.computed_at is None or row.requested_at is not None
                or row.as_of is None or row.as_of < as_of_day(ids)):
            found.append(row.scope)
    return found


def recompute(key: str, now: datetime) -> int:
    """Recompute the figures of scope KEY as of its local today, replacing the stored ones; return the rows stored.
    A request made while it ran stays asked (it may concern data this run did not see)."""
    row = _row(key)
    ids = club_ids_of(key)
    known = set(db.session.scalars(select(Club.id).where(Club.id.in_(ids))))
    if known != set(ids):       # a club was deleted: the scope is no longer offered
        db.session.execute(delete(ReportCount).where(ReportCount.refresh_id == row.id))
        db.session.execute(delete(ReportAtRisk).where(ReportAtRisk.refresh_id == row.id))
        db.session.delete(row)
        return 0
    started = now
    as_of = as_of_day(ids)
    counts, at_risk = aggregates.compute(ids, as_of)
    db.session.execute(delete(ReportCount).where(ReportCount.refresh_id == row.id))
    db.session.execute(delete(ReportAtRisk).where(ReportAtRisk.refresh_id == row.id))
    if counts:
        db.session.execute(insert(ReportCount.__table__), [
            {"refresh_id": row.id, "plan_id": plan, "figure": figure, "day": day, "k": k, "value": value}
            for plan, figure, day, k, value in counts])
    if at_risk:
        db.session.execute(insert(ReportAtRisk.__table__), [
            {"refresh_id": row.id, "plan_id": plan, "rank": rank, "member_id": member_id, "days_left": days_left,
             "last_visit": last_visit, "reasons": reasons}
            for plan, rank, member_id, days_left, last_visit, reasons in at_risk])
    db.session.execute(
        update(ReportRefresh).where(ReportRefresh.id == row.id)
        .values(started_at=started, computed_at=now, as_of=as_of, generation=secrets.randbits(62),
                requested_at=case((or_(ReportRefresh.requested_at.is_(None),
                                       ReportRefresh.requested_at <= started), None),
                                  else_=ReportRefresh.requested_at))
        .execution_options(synchronize_session=False))
    db.session.expire(row)
    return len(counts) + len(at_risk)
