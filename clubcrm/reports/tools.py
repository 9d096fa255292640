"""What each retention tool, and the whole programme, adds to renewals, measured against the cycles held out at
random; and, by the same code, what each lead tool adds to the leads who buy within their cycle (lead_tool_report).

Every figure comes from the assignment log (intention to treat): the cycles that ended in the period, whose
renewal window has closed, and that were drawn into an arm of the tool (the first time its trigger fired in
them, whether or not a contact followed) are compared by that arm, whatever happened next (an SMS skipped for
the budget or a call nobody answered stays in the assigned arm). The programme's line compares the cycles held
out of every engine contact with the others. Counts are kept per club and holdout share in force (a stratum)
and combined stratified by `stats.judge`, never added up: clubs or months with different shares differ in
more than the tool. The naive rate, "renewed after receiving", is shown beside it to make visible how much of
it the tool did not cause.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import (
    Column, Integer, MetaData, Select, Table, and_, case, extract, false, func, insert, or_, select, true,
)
from sqlalchemy.orm import aliased

from clubcrm.extensions import db
from clubcrm.lifecycle.defaults import TOOLS
from clubcrm.lifecycle.tools import LEAD_TOOLS
from clubcrm.models import (
    PROGRAMME, Assignment, AuditEvent, Booking, Club, ClubSession, LeadCycle, Membership, Message, Rule, Tool,
    Touchpoint,
)
from clubcrm.models.lifecycle import SPOKEN
from clubcrm.reports import stats
from clubcrm.reports.renewals import cycles, took_effect
from clubcrm.reports.scope import Scope, utc_bounds
from clubcrm.sms.inbound import REPLY_RULE

# Message states in which Twilio took the SMS.
SENT_STATES = ("sent", "delivered", "undelivered")
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class ToolStats:
    tool: str                          # the tool's key, or "programme"
    holdout_pct: int | None = None     # the share configured now (None: it differs between the scope's clubs)
    comparison: stats.Comparison | None = None
    received: int = 0                  # assigned cycles the tool really reached (SMS sent, call answered)
    received_renewed: int = 0
    sent: int = 0                      # SMS of the tool that Twilio took, due in the period
    delivered: int = 0
    opened: int = 0                    # of the delivered, those whose member opened the page from its link
    segments: int = 0
    cost_minor: int = 0
    replies: int = 0                   # "member replied" tasks and YES bookings after the tool's SMS
    bookings: int = 0                  # bookings of sessions the tool offered
    calls_done: int = 0                # staff calls of the tool with a conversation, due in the period
    calls: int = 0                     # staff calls made for the compared assigned cycles (their staff time)
    staff_cost_minor: int = 0          # what those calls cost (call_minutes × staff_hour_cost)
    sms_cost_minor: int = 0            # what the SMS of the compared assigned cycles cost (segments × price)
    currency: str | None = None        # the scope's currency (None: clubs of several currencies)
    strata: list[stats.Stratum] = field(default_factory=list)

    @property
    def naive_rate(self) -> float | None:
        return self.received_renewed / self.received if self.received else None

    @property
    def opened_share(self) -> float | None:
        """Of the SMS delivered, the share whose link the member opened (None: none delivered)."""
        return self.opened / self.delivered if self.delivered else None

    @property
    def spend_minor(self) -> int:
        """What the tool cost on the cycles it is judged on: their SMS and their staff calls."""
        return self.sms_cost_minor + self.staff_cost_minor


@dataclass
class ToolReport:
    programme: ToolStats | None        # the whole programme against the programme holdout (None: the lead tools)
    tools: list[ToolStats]             # one per tool key, in TOOLS order
    family: int                        # the tools enabled at the period's start: the error rate is split among them


@dataclass(frozen=True)
class Outcome:
    """What a per-tool comparison is about: which cycles (KIND, the COLUMN of the assignment log and of the
    touchpoints naming them), which tools, which of the cycles are decided and whether the outcome happened
    (DECIDED(scope): id, club_id, renewed = 1 when it did), what one more outcome is worth (VALUE), and whether
    a programme holdout is compared too."""

    kind: str
    column: str
    keys: Callable[[], list[str]]
    decided: Callable[[Scope], Select]
    value: Callable[[Table], float | None]
    programme: bool


def got_through(tp=Touchpoint):
    """1 when touchpoint TP reached its member (its SMS went out, its call was answered), else 0."""
    return case((tp.status == "sent", 1), (and_(tp.status == "done", tp.outcome.in_(SPOKEN)), 1), else_=0)


def tool_report(scope: Scope, outcome: Outcome | None = None) -> ToolReport:
    """Per tool (by key, across SCOPE's clubs) and for the programme: the renewal comparison (or OUTCOME's), what
    it cost, and the tool's activity in the period."""
    outcome = outcome or RENEWALS
    keys = outcome.keys()
    result = {key: ToolStats(key) for key in [*([PROGRAMME] if outcome.programme else []), *keys]}
    clubs = scope.clubs()
    currencies = {club.currency for club in clubs}
    currency = currencies.pop() if len(currencies) == 1 else None
    with decided_cycles(scope, outcome) as decided, touched_cycles(decided, outcome) as touched:
        _strata(decided, touched, result, outcome)
        _costs(decided, touched, clubs, result, outcome)
        value = outcome.value(decided) if currency else None
    _activity(scope, result)
    for key, low, high in db.session.execute(
        select(Tool.key, func.min(Tool.holdout_pct), func.max(Tool.holdout_pct))
        .where(Tool.club_id.in_(scope.club_ids)).group_by(Tool.key)):
        if key in result:
            result[key].holdout_pct = high if low == high else None
    if outcome.programme:
        shares = {club.programme_holdout_pct for club in clubs}
        result[PROGRAMME].holdout_pct = shares.pop() if len(shares) == 1 else None
    family = enabled_at_start(scope, clubs, keys)
    per_month = _reach_rates(scope, outcome)
    for key, item in result.items():
        item.currency = currency
        costs = stats.Costs(item.spend_minor, value) if currency else None
        item.comparison = stats.judge(item.strata, family=1 if key == PROGRAMME else family,
                                      cycles_per_month=per_month.get(key), costs=costs)
    return ToolReport(result.get(PROGRAMME), [result[key] for key in keys], family)


def lead_tool_report(scope: Scope) -> ToolReport:
    """Per lead tool (by key, across SCOPE's clubs): whether the leads it was drawn for bought within their cycle
    more often than those held out of it, what it cost, and its activity in the period (see LEAD_SALES)."""
    return tool_report(scope, LEAD_SALES)


def _renewal_cycles(scope: Scope) -> Select:
    """The membership cycles ending in SCOPE whose renewal window has closed: id, club_id, renewed."""
    c = cycles(scope)
    return select(c.c.id, c.c.club_id, c.c.renewed).where(c.c.closed == 1)


def _lead_cycles(scope: Scope) -> Select:
    """The lead cycles that began in SCOPE's period (each club's local dates) and are decided: LEAD_CYCLE_DAYS have
    passed since they began by the end of SCOPE's today, so each has had its whole cycle to buy in (counting the
    ones won early while the others of their weeks are still open would favour what speeds a sale up, as the
    renewals' closed window does); renewed = 1 when the cycle was won by a sale."""
    days = timedelta(days=current_app.config["LEAD_CYCLE_DAYS"])
    began = []
    for club in scope.clubs():
        begin, stop = utc_bounds(club, scope.start, scope.end)
        _today, now = utc_bounds(club, scope.today, scope.today)
        began.append(and_(LeadCycle.club_id == club.id, LeadCycle.started_at >= begin,
                          LeadCycle.started_at < min(stop, now - days)))
    return (select(LeadCycle.id, LeadCycle.club_id, case((LeadCycle.outcome == "won", 1), else_=0).label("renewed"))
            .where(or_(false(), *began), LeadCycle.ended_at.is_not(None)))


def first_sale_value(decided) -> float | None:
    """The average price (minor units) of the memberships that won the decided lead cycles: what one more sale to
    a lead is worth to the club."""
    average = db.session.scalar(
        select(func.avg(Membership.price_minor)).select_from(decided)
        .join(LeadCycle, LeadCycle.id == decided.c.id).join(Membership, Membership.id == LeadCycle.won_membership_id))
    return float(average) if average else None


@contextmanager
def decided_cycles(scope: Scope, outcome: Outcome | None = None):
    """SCOPE's decided cycles (id, club_id, renewed) of OUTCOME (the renewals') in a temporary table for the block,
    indexed by id.

    Five statements of the per-tool table join them; as a CTE each statement computed them again (a second
    each at 100,000 cycles, most of tool_report's time, measured)."""
    outcome = outcome or RENEWALS
    with _temporary("tool_decided", [Column("id", Integer, primary_key=True), Column("club_id", Integer),
                                     Column("renewed", Integer)], outcome.decided(scope)) as table:
        yield table


@contextmanager
def touched_cycles(decided, outcome: Outcome | None = None):
    """Per decided cycle and tool that touched it: whether the tool got through (`reached`), the staff calls it
    had done and the SMS segments it sent, in a temporary table indexed by (cycle, tool); rows where all three
    are nothing are left out.

    Read once from the cycles' touchpoints and messages; before, the naive rate asked per assignment and the costs
    joined the touchpoints and messages again per assignment (2.7 s of the report's 6 s at 100,000 members on
    SQLite, which could not use an index for the programme's `tool_id IS NULL OR ...` join; measured, issue 15)."""
    tp = Touchpoint
    cycle = getattr(tp, (outcome or RENEWALS).column)
    called = func.sum(case((and_(tp.channel == "task", tp.status == "done"), 1), else_=0))
    reached = func.max(got_through())
    fill = (
        select(cycle, tp.tool_id, reached, called, func.coalesce(func.sum(Message.segments), 0))
        .select_from(decided).join(tp, cycle == decided.c.id)
        .outerjoin(Message, and_(Message.touchpoint_id == tp.id, Message.status.in_(SENT_STATES)))
        .where(or_(tp.channel == "task", tp.status == "sent", Message.id.is_not(None)))
        .group_by(cycle, tp.tool_id)
        .having(or_(reached > 0, called > 0, func.count(Message.id) > 0)))
    with _temporary("tool_touched", [Column("cycle_id", Integer, primary_key=True),
                                     Column("tool_id", Integer, primary_key=True), Column("reached", Integer),
                                     Column("calls", Integer), Column("segments", Integer)], fill) as table:
        yield table


@contextmanager
def _temporary(name: str, columns: list[Column], fill):
    """A temporary table NAME of COLUMNS filled by the select FILL, for the block. Created and filled in the
    caller's transaction and dropped at the end of the block (on an error the transaction's rollback drops it)."""
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    connection = db.session.connection()
    # Left over when a rollback undid the drop below (SQLite runs CREATE outside the transaction, DROP inside it).
    table.drop(connection, checkfirst=True)
    table.create(connection)
    try:
        connection.execute(insert(table).from_select([column.name for column in columns], fill))
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"ANALYZE {table.name}")   # no autovacuum statistics on a temporary table
        yield table
    finally:
        if connection.in_transaction() and not connection.invalidated:
            table.drop(connection)


def _compared(decided, outcome: Outcome):
    """The SQL condition "this Assignment row is one of the comparison's units".

    A tool's arm is drawn per cycle: every cycle is a unit. The programme's is drawn per member and calendar
    year, so a member's cycles of one year share it, and a programme that keeps members brings its arm more of
    them: counted per cycle, the arms would differ in size for that reason alone (a false sample-ratio alarm)
    and the rates would weigh loyal members more. So the programme counts one cycle per draw: the member's
    first cycle of that year's draw that ended in the period. A comparison without a programme (the lead tools')
    counts every cycle."""
    if not outcome.programme:
        return true()
    a, first = Assignment, aliased(Assignment)
    first_of_draw = (
        select(func.min(first.membership_id)).select_from(decided).join(first, first.membership_id == decided.c.id)
        .where(first.tool_key == PROGRAMME)
        .group_by(first.member_id, extract("year", first.first_on)))
    return or_(Assignment.tool_key != PROGRAMME, a.membership_id.in_(first_of_draw))


def _strata(decided, touched, result: dict[str, ToolStats], outcome: Outcome) -> None:
    """Counts per tool, club and share in force, by arm and renewal; and the assigned cycles each tool reached."""
    a = Assignment
    cycle = getattr(a, outcome.column)
    per_stratum: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for key, club_id, share, held, renewed, n in db.session.execute(
        select(a.tool_key, a.club_id, a.share_pct, a.held, decided.c.renewed, func.count())
        .select_from(decided).join(a, cycle == decided.c.id).where(_compared(decided, outcome))
        .group_by(a.tool_key, a.club_id, a.share_pct, a.held, decided.c.renewed)
    ):
        if key not in result:
            continue
        counts = per_stratum[key][club_id, share]
        slot = 2 if held else 0          # [exposed renewed, exposed n, held renewed, held n]
        counts[slot] += n if renewed else 0
        counts[slot + 1] += n
    for key, strata in per_stratum.items():
        result[key].strata = [stats.Stratum(*counts, share_pct=share)
                              for (_club, share), counts in sorted(strata.items())]
    # The naive rate: assigned cycles the tool got through to (any of its touchpoints), renewed or not. The
    # programme's rows have no tool, so no touched row and no naive rate.
    for key, renewed, n in db.session.execute(
        select(a.tool_key, decided.c.renewed, func.count())
        .select_from(decided).join(a, cycle == decided.c.id)
        .join(touched, and_(touched.c.cycle_id == cycle, touched.c.tool_id == a.tool_id))
        .where(a.held.is_(False), touched.c.reached == 1)
        .group_by(a.tool_key, decided.c.renewed)
    ):
        if key in result:
            result[key].received += n
            result[key].received_renewed += n if renewed else 0


def _costs(decided, touched, clubs: list[Club], result: dict[str, ToolStats], outcome: Outcome) -> None:
    """What each tool spent on its compared assigned cycles (SMS segments × price, staff calls × minutes × the
    hourly cost), and for the programme what all tools spent on the cycles not held out of it."""
    a = Assignment
    cycle = getattr(a, outcome.column)
    price = current_app.config["SMS_SEGMENT_PRICE_MINOR"]
    rates = {club.id: (club.call_minutes, club.staff_hour_cost_minor) for club in clubs}

    def per_arm(of_arm):
        return (select(a.tool_key, a.club_id, func.sum(touched.c.calls), func.sum(touched.c.segments))
                .select_from(decided).join(a, cycle == decided.c.id).join(touched, of_arm)
                .where(a.held.is_(False), _compared(decided, outcome)).group_by(a.tool_key, a.club_id))

    # A tool's assignment takes its own spending in the cycle, the programme's (no tool) every tool's: two arms of a
    # UNION, each joining by index (one join on `tool_id IS NULL OR ...` could use none on SQLite).
    tools = and_(a.tool_id.is_not(None), touched.c.cycle_id == cycle, touched.c.tool_id == a.tool_id)
    programme = and_(a.tool_id.is_(None), touched.c.cycle_id == cycle)
    spent = per_arm(tools).union_all(per_arm(programme)) if outcome.programme else per_arm(tools)
    for key, club_id, calls, segments in db.session.execute(spent):
        if key in result:
            minutes, hourly = rates.get(club_id, (0, 0))
            result[key].calls += int(calls or 0)
            result[key].staff_cost_minor += round(int(calls or 0) * minutes * hourly / 60)
            result[key].sms_cost_minor += int(segments or 0) * price


def _reach_rates(scope: Scope, outcome: Outcome) -> dict[str, float]:
    """Per tool key (and the programme): the cycles drawn into either arm per month over the period, the rate at
    which the comparison grows."""
    months = max(scope.days / DAYS_PER_MONTH, 1.0)
    a = Assignment
    drawn = and_(a.club_id.in_(scope.club_ids), a.first_on.between(scope.start, scope.end), a.kind == outcome.kind)
    rates = {key: n / months for key, n in db.session.execute(
        select(a.tool_key, func.count()).where(drawn, a.tool_key != PROGRAMME).group_by(a.tool_key))}
    if not outcome.programme:
        return rates
    # The programme's units are its draws (member × calendar year, see _compared), not its cycles.
    draws = select(a.member_id).where(drawn, a.tool_key == PROGRAMME) \
        .group_by(a.member_id, extract("year", a.first_on)).subquery("draws")
    rates[PROGRAMME] = db.session.scalar(select(func.count()).select_from(draws)) / months
    return rates


RENEWALS = Outcome("member", "membership_id", lambda: [key for key in TOOLS if key not in ("reply", *LEAD_TOOLS)],
                   _renewal_cycles, lambda decided: renewal_value(decided), programme=True)
LEAD_SALES = Outcome("lead", "lead_cycle_id", lambda: list(LEAD_TOOLS), _lead_cycles,
                     lambda decided: first_sale_value(decided), programme=False)


def renewal_value(decided) -> float | None:
    """The average price (minor units) of the renewals sold for the decided cycles: what one more renewal is
    worth to the club."""
    renewal = aliased(Membership)
    average = db.session.scalar(
        select(func.avg(renewal.price_minor)).select_from(decided)
        .join(renewal, renewal.renews_id == decided.c.id).where(took_effect(renewal)))
    return float(average) if average else None


def enabled_at_start(scope: Scope, clubs: list[Club], keys: list[str]) -> int:
    """How many tools (by key) were enabled in any of SCOPE's CLUBS (loaded by the caller) at the start of its
    period: the family among which the error rate is split. A tool switched since then is read from its first
    audited change after the start (its state before it); at least 1."""
    tools = db.session.execute(
        select(Tool.id, Tool.key, Tool.enabled).where(Tool.club_id.in_(scope.club_ids), Tool.key.in_(keys))).all()
    if not tools:
        return max(1, len(keys))
    begin = min(utc_bounds(club, scope.start, scope.start)[0] for club in clubs)
    first_change: dict[int, dict] = {}
    for tool_id, before in db.session.execute(
        select(AuditEvent.entity_id, AuditEvent.before)
        .where(AuditEvent.entity == "tool", AuditEvent.entity_id.in_([t.id for t in tools]),
               AuditEvent.created_at >= begin)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ):
        first_change.setdefault(tool_id, before or {})
    enabled = {key for tool_id, key, now in tools
               if first_change.get(tool_id, {}).get("enabled", now)}
    return max(1, len(enabled))


def _activity(scope: Scope, result: dict[str, ToolStats]) -> None:
    """SMS sent, delivered (and of those, opened: the member's page shown from the text's link) and their
    segments; calls with a conversation; replies and bookings — for the tool's touchpoints due in the period."""
    tp = Touchpoint
    in_period = and_(tp.club_id.in_(scope.club_ids), tp.due_on.between(scope.start, scope.end))
    price = current_app.config["SMS_SEGMENT_PRICE_MINOR"]
    delivered_sms = Message.status == "delivered"
    for key, sent, delivered, opened, segments in db.session.execute(
        select(Tool.key, func.count(Message.id), func.sum(case((delivered_sms, 1), else_=0)),
               func.sum(case((and_(delivered_sms, tp.opened_at.is_not(None)), 1), else_=0)),
               func.sum(Message.segments))
        .select_from(Message).join(tp, tp.id == Message.touchpoint_id).join(Tool, Tool.id == tp.tool_id)
        .where(Message.club_id.in_(scope.club_ids), tp.due_on.between(scope.start, scope.end),
               Message.status.in_(SENT_STATES)).group_by(Tool.key)
    ):
        if key in result:
            result[key].sent, result[key].delivered = sent, int(delivered or 0)
            result[key].opened = int(opened or 0)
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
