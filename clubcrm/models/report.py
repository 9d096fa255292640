"""The reports' stored partial aggregates (issue 15): what the worker computed for a scope, and when.

A scope is a set of clubs the pages offer: each club alone, and an owner's whole chain. Each has one
ReportRefresh row (its key lists the club ids as ",1,2,", so that "every scope holding club 2" is a LIKE) saying
when its figures were computed, as of which local day, and whether a recompute is asked. Its figures are
ReportCount rows, additive counts per plan (0: all plans), figure, day (a day, the Monday of a week or the first of a
month) and a sub-key k; and the members at risk of the day, ranked (ReportAtRisk). Why per scope and not only per
club: members active, joining, retained or at risk are distinct members, which neither clubs nor plans add up to
(a member with memberships in two clubs, or of two plans, is one member), so each scope and plan is stored whole.
"""
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clubcrm.models.base import UTCDateTime, db


class ReportRefresh(db.Model):
    __tablename__ = "report_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), unique=True)   # ",1,2,": the scope's club ids, sorted
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # a recompute asked and not begun
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)    # None: never computed yet
    as_of: Mapped[date | None] = mapped_column(Date)                      # the local day the figures stand on
    # Drawn at random by each recompute: the same generation means the same stored figures (pages keep their
    # rendering by it; see blueprints/report_bodies.py).
    generation: Mapped[int | None] = mapped_column(BigInteger)


class ReportCount(db.Model):
    __tablename__ = "report_count"

    refresh_id: Mapped[int] = mapped_column(ForeignKey("report_refresh.id"), primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)   # 0: all plans
    figure: Mapped[str] = mapped_column(String(24), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    k: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


class ReportAtRisk(db.Model):
    __tablename__ = "report_at_risk"

    refresh_id: Mapped[int] = mapped_column(ForeignKey("report_refresh.id"), primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)   # 0: all plans
    rank: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)     # 0: the most urgent
    member_id: Mapped[int] = mapped_column(Integer)
    days_left: Mapped[int | None] = mapped_column(Integer)
    last_visit: Mapped[date | None] = mapped_column(Date)
    reasons: Mapped[str] = mapped_column(String(120))


class ReportToolTable(db.Model):
    """The per-tool table of one scope, period and plan, computed by the worker as of the scope's figures' day. Its
    intervals and distinct counts do not add up over days, so it is stored whole for each period a page asked for
    (clubcrm/reports/tool_tables.py)."""

    __tablename__ = "report_tool_table"

    refresh_id: Mapped[int] = mapped_column(ForeignKey("report_refresh.id"), primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    ends_on: Mapped[date] = mapped_column(Date, primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)   # 0: all plans
    as_of: Mapped[date] = mapped_column(Date)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # None: asked, not computed yet
    result: Mapped[dict | None] = mapped_column(JSON)
