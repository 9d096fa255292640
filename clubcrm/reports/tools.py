"""What each retention tool adds to renewals, measured against the cycles held out of it at random.

For every tool, the cycles that ended in the period (and are decided: not pending) and that reached one of
the tool's triggers are split by the arm the engine recorded: held out (every touchpoint of the tool in the
cycle has status `held_out`) or assigned (none has). The comparison is by assignment, whatever happened next
(an SMS skipped for the budget or a call nobody answered stays in the assigned arm): that is what the random
holdout makes comparable. A cycle whose arm changed mid-cycle (the holdout share was edited) is counted apart
and left out. The naive rate, "renewed after receiving", is shown beside it to make visible how much of it
the tool did not cause.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from clubcrm.extensions import db
from clubcrm.lifecycle.defaults import TOOLS
from clubcrm.models import Booking, ClubSession, Message, Rule, Tool, Touchpoint
from clubcrm.models.lifecycle import SPOKEN
from clubcrm.reports import stats
from clubcrm.reports.renewals import cycles
from clubcrm.reports.scope import Scope
from clubcrm.sms.inbound import REPLY_RULE

# Message states in which Twilio took the SMS.
SENT_STATES = ("sent", "delivered", "undelivered")


@dataclass
class ToolStats:
    tool: str
    holdout_pct: int | None = None
    comparison: stats.Comparison | None = None
    mixed: int = 0                     # cycles whose arm changed mid-cycle, left out
    received: int = 0                  # assigned cycles the tool really reached (SMS sent, call answered)
    received_renewed: int = 0
    sent: int = 0                      # SMS of the tool that Twilio took, due in the period
    delivered: int = 0
    segments: int = 0
    cost_minor: int = 0
    replies: int = 0                   # "member replied" tasks and YES bookings after the tool's SMS
    bookings: int = 0                  # bookings of sessions the tool offered
    calls_done: int = 0                # staff calls of the tool with a conversation

    @property
    def naive_rate(self) -> float | None:
        return self.received_renewed / self.received if self.received else None


def got_through(tp=Touchpoint):
    """1 when touchpoint TP reached its member (its SMS went out, its call was answered), else 0."""
    return case((tp.status == "sent", 1), (and_(tp.status == "done", tp.outcome.in_(SPOKEN)), 1), else_=0)


def tool_report(scope: Scope) -> list[ToolStats]:
    """Per tool (by key, across SCOPE's clubs), the renewal comparison and the tool's activity in the period."""
    result = {key: ToolStats(key) for key in TOOLS if key != "reply"}
    _renewals(scope, result)
    _activity(scope, result)
    holdouts = db.session.execute(
        select(Tool.key, func.min(Tool.holdout_pct), func.max(Tool.holdout_pct))
        .where(Tool.club_id.in_(scope.club_ids)).group_by(Tool.key)).all()
    for key, low, high in holdouts:
        if key in result:
            result[key].holdout_pct = high if low == high else None
    return list(result.values())


def _renewals(scope: Scope, result: dict[str, ToolStats]) -> None:
    c = cycles(scope)
    # The decided cycles once (MATERIALIZED: neither engine may re-evaluate their EXISTS per touchpoint), then
    # their touchpoints by the cycle's id, one group per (cycle, tool).
    decided = select(c.c.id, c.c.renewed).where(c.c.pending == 0).cte("decided").prefix_with("MATERIALIZED")
    tp = Touchpoint
    held = func.sum(case((tp.status == "held_out", 1), else_=0))
    reached = func.max(got_through())
    per_cycle = (
        select(tp.tool_id, decided.c.renewed, func.count().label("n"), held.label("held"),
               reached.label("reached"))
        .select_from(decided).join(tp, tp.membership_id == decided.c.id)
        .group_by(decided.c.id, decided.c.renewed, tp.tool_id)
        .subquery("per_cycle")
    )
    arm = case((per_cycle.c.held == per_cycle.c.n, "held"), (per_cycle.c.held == 0, "assigned"), else_="mixed")
    rows = db.session.execute(
        select(Tool.key, arm, per_cycle.c.reached, per_cycle.c.renewed, func.count())
        .select_from(per_cycle).join(Tool, Tool.id == per_cycle.c.tool_id)
        .group_by(Tool.key, arm, per_cycle.c.reached, per_cycle.c.renewed)
    ).all()
    counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for key, which, got, renewed, n in rows:
        tally = counts[key]
        tally[which, renewed] += n
        if which == "assigned" and got:
            tally["received", renewed] += n
    arms = {key: (tally["assigned", 1], tally["assigned", 0] + tally["assigned", 1], tally["held", 1],
                  tally["held", 0] + tally["held", 1]) for key, tally in counts.items() if key in result}
    judged = sum(1 for _, assigned_n, _, held_n in arms.values() if assigned_n and held_n)
    for key, arm_counts in arms.items():
        tally, item = counts[key], result[key]
        item.mixed = tally["mixed", 0] + tally["mixed", 1]
        item.received = tally["received", 0] + tally["received", 1]
        item.received_renewed = tally["received", 1]
        item.comparison = stats.compare(*arm_counts, tools=judged)


def _activity(scope: Scope, result: dict[str, ToolStats]) -> None:
    """SMS sent, delivered and their segments; calls with a conversation; replies and bookings — for the
    tool's touchpoints due in the period."""
    tp = Touchpoint
    in_period = and_(tp.club_id.in_(scope.club_ids), tp.due_on.between(scope.start, scope.end))
    price = current_app.config["SMS_SEGMENT_PRICE_MINOR"]
    for key, sent, delivered, segments in db.session.execute(
        select(Tool.key, func.count(Message.id), func.sum(case((Message.status == "delivered", 1), else_=0)),
               func.sum(Message.segments))
        .select_from(Message).join(tp, tp.id == Message.touchpoint_id).join(Tool, Tool.id == tp.tool_id)
        .where(Message.club_id.in_(scope.club_ids), tp.due_on.between(scope.start, scope.end),
               Message.status.in_(SENT_STATES)).group_by(Tool.key)
    ):
        if key in result:
            result[key].sent, result[key].delivered = sent, int(delivered or 0)
            result[key].segments = int(segments or 0)
            result[key].cost_minor = result[key].segments * price
    for key, n in db.session.execute(
        select(Tool.key, func.count()).select_from(tp).join(Tool, Tool.id == tp.tool_id)
        .where(in_period, tp.status == "done", tp.outcome.in_(SPOKEN), tp.channel == "task").group_by(Tool.key)
    ):
        if key in result:
            result[key].calls_done = n
    # Bookings of a session the tool offered to that member (by SMS, YES, or booked at the desk after a call).
    for key, n, by_sms in db.session.execute(
        select(Tool.key, func.count(func.distinct(Booking.id)),
               func.count(func.distinct(case((Booking.source == "sms", Booking.id)))))
        .select_from(ClubSession).join(Booking, Booking.session_id == ClubSession.id)
        .join(tp, and_(tp.session_id == Booking.session_id, tp.member_id == Booking.member_id))
        .join(Tool, Tool.id == tp.tool_id)
        .where(ClubSession.club_id.in_(scope.club_ids), tp.due_on.between(scope.start, scope.end),
               Booking.created_at >= tp.planned_at).group_by(Tool.key)
    ):
        if key in result:
            result[key].bookings = n
            result[key].replies += by_sms
    # A free-text reply goes to the tool of the member's latest SMS sent before it.
    reply = aliased(Touchpoint)
    latest_tool = (
        select(tp.tool_id).join(Message, Message.touchpoint_id == tp.id)
        .where(tp.member_id == reply.member_id, Message.sent_at.is_not(None), Message.sent_at <= reply.planned_at)
        .order_by(Message.sent_at.desc(), Message.id.desc()).limit(1)
        .correlate(reply).scalar_subquery()
    )
    replies = (
        select(latest_tool.label("tool_id")).select_from(reply)
        .where(reply.rule_id.in_(select(Rule.id).where(Rule.key == REPLY_RULE, Rule.club_id.in_(scope.club_ids))),
               reply.due_on.between(scope.start, scope.end))
        .subquery("replies")
    )
    for key, n in db.session.execute(
        select(Tool.key, func.count()).select_from(replies).join(Tool, Tool.id == replies.c.tool_id)
        .group_by(Tool.key)
    ):
        if key in result:
            result[key].replies += n
