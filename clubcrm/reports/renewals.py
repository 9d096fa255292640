"""The renewal report: membership cycles that ended in a period and how many were renewed.

A cycle is one membership. It ends on its last day: `ends_on`, or the day before `cancelled_on` when it was
cancelled early (one cancelled on or before its start was refunded and is no cycle). It is renewed when a
membership with `renews_id` pointing at it was sold (the sale service sets `renews_id` only inside the renewal
window, 60 days before to 30 days after the end) and was not itself refunded. A cycle that ended less than
RENEWAL_WINDOW_AFTER_DAYS ago and is not renewed yet is pending: it is counted, but left out of the rate.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from clubcrm.extensions import db
from clubcrm.models import Club, Membership, Plan
from clubcrm.reports.scope import Scope


@dataclass(frozen=True)
class RenewalRow:
    """One line of the report: CYCLES that ended, RENEWED of them, PENDING (window still open, not renewed),
    and RATE = renewed / (cycles - pending), None when nothing is decided yet."""

    key: str | int
    label: str
    cycles: int
    renewed: int
    pending: int

    @property
    def decided(self) -> int:
        return self.cycles - self.pending

    @property
    def rate(self) -> float | None:
        return self.renewed / self.decided if self.decided else None


@dataclass(frozen=True)
class RenewalReport:
    total: RenewalRow
    by_plan: list[RenewalRow]
    by_cycle: list[RenewalRow]   # key "first" (a member's first membership) and "later"
    by_club: list[RenewalRow]


def _window_after() -> int:
    return current_app.config["RENEWAL_WINDOW_AFTER_DAYS"]


def took_effect(m=Membership):
    """The SQL condition "membership M took effect": not cancelled on or before its first day (refunded)."""
    return or_(m.cancelled_on.is_(None), m.cancelled_on > m.starts_on)


def _last_day_in(start, end=None):
    """The SQL condition "the membership's last day is in START..END" (END None: no upper bound), without date
    arithmetic in SQL: a cancelled contract's last day is the day before `cancelled_on`."""
    m, day = Membership, timedelta(days=1)

    def between(column, first, last):
        return column >= first if last is None else column.between(first, last)

    runs_out = and_(or_(m.cancelled_on.is_(None), m.cancelled_on > m.ends_on), between(m.ends_on, start, end))
    cut_short = and_(m.cancelled_on <= m.ends_on, m.cancelled_on > m.starts_on,
                     between(m.cancelled_on, start + day, end + day if end else None))
    return or_(runs_out, cut_short)


def renewed_flag():
    """1 when a renewal of the outer Membership row was sold and not refunded, else 0."""
    renewal = aliased(Membership)
    sold = exists().where(renewal.renews_id == Membership.id, took_effect(renewal))
    return case((sold, 1), else_=0)


def cycles(scope: Scope):
    """A subquery of the cycles ending in SCOPE: id, club_id, plan_id, member_id, ends_on, cut_on (cancelled_on when
    cancelled before its end: the last day is the day before), renewed, pending, first, and
    closed (1 once the renewal window after the end has passed, renewed or not: a comparison that counted the
    renewed cycles of an open window but not the others would favour what speeds a renewal up)."""
    earlier = aliased(Membership)
    was_before = exists().where(
        earlier.member_id == Membership.member_id,
        or_(earlier.starts_on < Membership.starts_on,
            and_(earlier.starts_on == Membership.starts_on, earlier.id < Membership.id)),
        took_effect(earlier))
    renewed = renewed_flag()
    recent = _last_day_in(scope.today - timedelta(days=_window_after()))
    conditions = [Membership.club_id.in_(scope.club_ids), _last_day_in(scope.start, scope.end)]
    if scope.plan_id is not None:
        conditions.append(Membership.plan_id == scope.plan_id)
    cut_short = and_(Membership.cancelled_on <= Membership.ends_on, Membership.cancelled_on > Membership.starts_on)
    return (
        select(Membership.id, Membership.club_id, Membership.plan_id, Membership.member_id,
               Membership.ends_on, case((cut_short, Membership.cancelled_on), else_=None).label("cut_on"),
               renewed.label("renewed"),
               case((and_(renewed == 0, recent), 1), else_=0).label("pending"),
               case((was_before, 0), else_=1).label("first"),
               case((recent, 0), else_=1).label("closed"))
        .where(*conditions)
        .subquery("cycles")
    )


def renewal_report(scope: Scope) -> RenewalReport:
    """Cycles ending in SCOPE's period, renewed and pending, in total, by plan, first vs later cycle, by club."""
    c = cycles(scope)
    counts = db.session.execute(
        select(c.c.club_id, c.c.plan_id, c.c.first, func.count(), func.sum(c.c.renewed), func.sum(c.c.pending))
        .group_by(c.c.club_id, c.c.plan_id, c.c.first)
    ).all()
    return report_of(counts, scope.club_ids)


def report_of(counts: list[tuple], club_ids: tuple[int, ...]) -> RenewalReport:
    """The report of COUNTS, rows (club_id, plan_id, first, cycles, renewed, pending), in the clubs CLUB_IDS (the
    direct computation's rows, or the sums of the stored ones)."""
    plans = dict(db.session.execute(
        select(Plan.id, Plan.name).where(Plan.id.in_({row[1] for row in counts}))).all()) if counts else {}
    clubs = dict(db.session.execute(select(Club.id, Club.name).where(Club.id.in_(club_ids))).all())
    sums: dict[str, dict] = {"total": defaultdict(lambda: [0, 0, 0]), "plan": defaultdict(lambda: [0, 0, 0]),
                             "cycle": defaultdict(lambda: [0, 0, 0]), "club": defaultdict(lambda: [0, 0, 0])}
    for club_id, plan_id, first, n, renewed, pending in counts:
        for group, key in (("total", "all"), ("plan", plan_id), ("cycle", "first" if first else "later"),
                           ("club", club_id)):
            total = sums[group][key]
            total[0] += n
            total[1] += int(renewed or 0)
            total[2] += int(pending or 0)

    def rows(group: str, names: dict) -> list[RenewalRow]:
        return [RenewalRow(key, names.get(key, str(key)), *sums[group][key]) for key in names if key in sums[group]]

    total = RenewalRow("all", "all", *sums["total"]["all"]) if counts else RenewalRow("all", "all", 0, 0, 0)
    by_plan = sorted(rows("plan", plans), key=lambda r: (-r.cycles, r.label))
    return RenewalReport(total, by_plan, rows("cycle", {"first": "first", "later": "later"}),
                         rows("club", clubs))
