"""The per-tool comparison and the programme line, read from the assignment log, on small hand-built clubs with
every count worked out here (the inference itself is tested in test_report_stats.py)."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle.engine import club_rules
from clubcrm.models import (
    Assignment, AuditEvent, Booking, ClubSession, Member, Membership, Message, Rule, Tool, Touchpoint,
)
from clubcrm.reports import stats
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import decided_cycles, tool_report, touched_cycles
from tests.conftest import TODAY
from tests.test_report_renewals import JAN, PERIOD, build_club, scope_of

FAMILY = 14   # the default tools but "reply", all enabled


@pytest.fixture
def club(make):
    """The renewal report's hand-built club (see build_club): TODAY is 10 March 2026."""
    return build_club(make)


def touch(membership, rule, status, occurrence=0, outcome=None, session_id=None, due_on=JAN) -> Touchpoint:
    with unit_of_work():
        point = Touchpoint(club_id=membership.club_id, member_id=membership.member_id, membership_id=membership.id,
                           tool_id=rule.tool_id, rule_id=rule.id, occurrence=occurrence, stage="active",
                           channel=rule.channel, status=status, outcome=outcome, due_on=due_on, facts={},
                           session_id=session_id)
        db.session.add(point)
    return point


def draw(membership, tool_key: str, held: bool, share: int = 10, tool_id: int | None = None,
         first_on: date = JAN) -> None:
    with unit_of_work():
        if tool_id is None and tool_key != "programme":
            tool_id = db.session.scalar(select(Tool.id).where(Tool.club_id == membership.club_id,
                                                              Tool.key == tool_key))
        db.session.add(Assignment(club_id=membership.club_id, member_id=membership.member_id, kind="member",
                                  membership_id=membership.id, tool_key=tool_key, tool_id=tool_id, held=held,
                                  share_pct=share, first_on=first_on))


def test_the_comparison_reads_the_arms_of_the_log_and_the_costs_of_the_assigned_cycles(club, make):
    club, month, year = club
    with unit_of_work():
        rules = {r.key: r for r in club_rules(club)}
    ms = list(db.session.scalars(select(Membership).order_by(Membership.id)))
    a, a2, a3, b, _c, d, _d2, e, f, f2, g, _g2, _h0, h = ms[:14]
    # Renewal offer. Assigned: a (sent, renewed), a2 (renewed; its SMS waited and never went: no touchpoint),
    # b (not renewed; a call without answer), d (sent, not renewed), e (not renewed). Held out: f (renewed),
    # h (not renewed). g (held, renewed) and a3 (assigned) ended within 30 days of TODAY: their window is open,
    # both are left out, renewed or not.
    for m in (a, a2, b, d, e, a3):
        draw(m, "renewal_offer", held=False)
    for m in (f, h, g):
        draw(m, "renewal_offer", held=True)
    offer_sms = touch(a, rules["renewal_45"], "sent")
    touch(d, rules["renewal_45"], "sent")
    touch(b, rules["renewal_call_3"], "done", outcome="no_answer")
    touch(f, rules["renewal_45"], "held_out")
    with unit_of_work():
        db.session.add(Message(club_id=club.id, member_id=a.member_id, touchpoint_id=offer_sms.id,
                               idempotency_key="k-offer", to_phone="+358401", body="Renew?", locale="en",
                               encoding="GSM-7", segments=2, status="delivered",
                               due_at=datetime(2026, 1, 1, 10, tzinfo=UTC)))
    report = tool_report(scope_of(club))
    by_key = {t.tool: t for t in report.tools}
    offer = by_key["renewal_offer"]
    c = offer.comparison
    assert (c.exposed_n, c.exposed_renewed, c.held_n, c.held_renewed) == (5, 2, 2, 1)
    # Naive: the assigned cycles it got through to (a, d): a renewed.
    assert (offer.received, offer.received_renewed) == (2, 1)
    # What it cost on those cycles: a's SMS of 2 segments at 8, b's call of 10 minutes at 20.00 an hour.
    assert (offer.sms_cost_minor, offer.calls, offer.staff_cost_minor) == (16, 1, 333)
    # A renewal is worth the average price of the renewals of the decided cycles: a2, a3 (Month), f2 (Year).
    value = (a2.price_minor + a3.price_minor + f2.price_minor) / 3
    rate = db.session.scalar(select(db.func.count()).select_from(Assignment).where(
        Assignment.tool_key == "renewal_offer", Assignment.first_on.between(*PERIOD))) / (90 / (365.25 / 12))
    assert c == stats.judge([stats.Stratum(2, 5, 1, 2, share_pct=10)], family=FAMILY, cycles_per_month=rate,
                            costs=stats.Costs(16 + 333, value))
    assert report.family == FAMILY
    assert offer.holdout_pct == 10 and offer.currency == "EUR"
    # A tool no cycle was drawn into has no comparison to speak of.
    assert by_key["birthday"].comparison.verdict in ("not_measured", "no_holdout")
    assert by_key["birthday"].comparison.exposed_n == 0


def test_a_simpson_case_is_combined_club_by_club_not_by_adding_counts(make):
    """Two clubs of a chain with different holdout shares and base rates: in each the tool adds 10 points, but
    the club where most cycles get it renews far less, so adding the counts up says the tool costs 14 points."""
    north, south = make.club(name="North"), make.club(name="South")
    for where in (north, south):
        with unit_of_work():
            club_rules(where)
    plan = {where.id: make.plan(club=where, duration_days=30) for where in (north, south)}
    person = {where.id: make.member(club=where) for where in (north, south)}
    # (club, share, exposed renewed / n, held renewed / n): North 27/90 vs 2/10, South 9/10 vs 8/10.
    layout = [(north, 10, 27, 90, 2, 10), (south, 50, 9, 10, 8, 10)]
    start = date(2025, 12, 1)
    for where, share, x1, n1, x0, n0 in layout:
        rows, arms = [], []
        for held, renewed, n in ((False, x1, n1), (True, x0, n0)):
            for i in range(n):
                rows.append({"club_id": where.id, "member_id": person[where.id].id, "plan_id": plan[where.id].id,
                             "starts_on": start, "ends_on": start + timedelta(days=29), "price_minor": 5900,
                             "currency": "EUR", "sold_at": datetime(2025, 12, 1, 10, tzinfo=UTC)})
                arms.append((held, i < renewed))
        with unit_of_work():
            ids = db.session.execute(insert(Membership).returning(Membership.id, sort_by_parameter_order=True),
                                     rows).scalars().all()
            tool_id = db.session.scalar(select(Tool.id).where(Tool.club_id == where.id, Tool.key == "silence"))
            db.session.execute(insert(Assignment), [
                {"club_id": where.id, "member_id": person[where.id].id, "kind": "member", "membership_id": m,
                 "tool_key": "silence", "tool_id": tool_id, "held": held, "share_pct": share, "first_on": start}
                for m, (held, _renewed) in zip(ids, arms, strict=True)])
            renewals = [{**rows[0], "renews_id": m, "starts_on": start + timedelta(days=30),
                         "ends_on": start + timedelta(days=59)}
                        for m, (_held, renewed) in zip(ids, arms, strict=True) if renewed]
            db.session.execute(insert(Membership), renewals)
    scope = Scope((north.id, south.id), *PERIOD, TODAY)
    c = {t.tool: t for t in tool_report(scope).tools}["silence"].comparison
    assert (c.exposed_n, c.exposed_renewed, c.held_n, c.held_renewed) == (100, 36, 20, 10)
    assert 36 / 100 - 10 / 20 == pytest.approx(-0.14)      # adding counts: the tool "costs" 14 points
    assert c.difference == pytest.approx(0.10)              # club by club: it adds 10 in each
    # Expected held share from the shares in force: North's 100 cycles at 10%, South's 20 at 50%.
    assert c.expected_share == pytest.approx((100 * 0.10 + 20 * 0.50) / 120)


def test_the_family_is_the_tools_enabled_at_the_start_of_the_period(club, make):
    club, _month, _year = club
    with unit_of_work():
        club_rules(club)
        tools = {t.key: t for t in db.session.scalars(select(Tool).where(Tool.club_id == club.id))}
        # Switched off before the period: out of the family. Switched off during it: still in it.
        tools["birthday"].enabled = False
        tools["seasonal"].enabled = False
        db.session.add_all([
            AuditEvent(club_id=club.id, action="update", entity="tool", entity_id=tools["birthday"].id,
                       before={"enabled": True}, after={"enabled": False},
                       created_at=datetime(2025, 11, 1, tzinfo=UTC)),
            AuditEvent(club_id=club.id, action="update", entity="tool", entity_id=tools["seasonal"].id,
                       before={"enabled": True}, after={"enabled": False},
                       created_at=datetime(2026, 1, 15, tzinfo=UTC))])
    assert tool_report(scope_of(club)).family == FAMILY - 1


def test_the_programme_line_compares_the_cycles_held_out_of_every_contact(club, make):
    club, _month, _year = club
    with unit_of_work():
        club_rules(club)
    ms = list(db.session.scalars(select(Membership).order_by(Membership.id)))
    a, a2, _a3, b, _c, d, _d2, e, f, _f2, _g, _g2, _h0, h = ms[:14]
    for m in (a, a2, b, d, e):
        draw(m, "programme", held=False, share=5)
    for m in (f, h):
        draw(m, "programme", held=True, share=5)
    report = tool_report(scope_of(club))
    c = report.programme.comparison
    assert report.programme.tool == "programme" and report.programme.holdout_pct == 0   # the test club's share
    # One cycle per draw (member × year): a and a2 are one member's cycles of the 2026 draw, only a counts (a
    # programme that keeps members would otherwise bring its arm more cycles than its share).
    assert (c.exposed_n, c.exposed_renewed, c.held_n, c.held_renewed) == (4, 1, 2, 1)
    assert c.alpha == pytest.approx(0.05)     # one question, not one of a family


def test_tool_activity_counts_sms_bookings_and_replies(club, make):
    club, month, year = club
    with unit_of_work():
        rules = {r.key: r for r in club_rules(club)}
    a = db.session.scalars(select(Membership).order_by(Membership.id)).first()
    trial = rules["trial_invite"]
    with unit_of_work():
        session = ClubSession(club_id=club.id, kind="trial", title="Trial", capacity=5,
                              starts_at=datetime(2026, 1, 5, 15, tzinfo=UTC),
                              ends_at=datetime(2026, 1, 5, 16, tzinfo=UTC))
        db.session.add(session)
    point = touch(a, trial, "sent", session_id=session.id)
    sent_at = datetime(2026, 1, 1, 10, tzinfo=UTC)
    with unit_of_work():
        db.session.add(Message(club_id=club.id, member_id=a.member_id, touchpoint_id=point.id, idempotency_key="k1",
                               to_phone="+358401", body="Hi", locale="en", encoding="GSM-7", segments=2,
                               status="delivered", due_at=sent_at, sent_at=sent_at, delivered_at=sent_at))
        db.session.flush()
        point.planned_at = sent_at - timedelta(hours=1)
        db.session.add(Booking(session_id=session.id, member_id=a.member_id, status="booked", source="sms",
                               created_at=sent_at + timedelta(hours=2)))
    # A free-text reply the next day goes to the tool of the member's latest SMS: the trial session.
    touch(a, rules["member_replied"], "planned", occurrence=77, due_on=date(2026, 1, 2))
    with unit_of_work():
        db.session.execute(
            Touchpoint.__table__.update().where(Touchpoint.rule_id == rules["member_replied"].id)
            .values(planned_at=sent_at + timedelta(days=1)))
    tools = tool_report(scope_of(club)).tools
    item = {t.tool: t for t in tools}["trial_session"]
    assert (item.sent, item.delivered, item.segments) == (1, 1, 2)
    assert item.cost_minor == 2 * 8
    assert item.bookings == 1
    assert item.replies == 2   # the YES booking by SMS and the free-text reply
    assert {t.tool for t in tools} >= {"renewal_offer", "trial_session"}
    assert "reply" not in {t.tool for t in tools}
    assert db.session.scalar(select(Rule.id).where(Rule.key == "member_replied", Rule.club_id == club.id))


def test_the_programme_counts_draws_not_cycles_so_a_programme_that_keeps_members_raises_no_alarm(make):
    """200 members drawn for 2025 at 5%: the 190 not held out renewed their month twice within the year, the 10
    held out did not. Counted by cycle the held share would be 10 of 580 against 5% expected (an alarm, p < 0.001);
    the programme's unit is the draw, one per member."""
    club = make.default_club
    with unit_of_work():
        club_rules(club)
    plan = make.plan(duration_days=30)
    base = {"club_id": club.id, "plan_id": plan.id, "price_minor": 5900, "currency": "EUR",
            "sold_at": datetime(2025, 10, 1, 10, tzinfo=UTC)}
    with unit_of_work():
        people = db.session.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True), [
            {"club_id": club.id, "first_name": "Draw", "last_name": str(i)} for i in range(200)]).scalars().all()
        for i, who in enumerate(people):
            held = i < 10
            previous = None
            for month in range(1 if held else 3):
                starts = date(2025, 10, 1) + timedelta(days=30 * month)
                cycle = db.session.execute(insert(Membership).returning(Membership.id), [{
                    **base, "member_id": who, "renews_id": previous, "starts_on": starts,
                    "ends_on": starts + timedelta(days=29)}]).scalar_one()
                db.session.execute(insert(Assignment), [{
                    "club_id": club.id, "member_id": who, "kind": "member", "membership_id": cycle,
                    "tool_key": "programme", "tool_id": None, "held": held, "share_pct": 5, "first_on": starts}])
                previous = cycle
    c = tool_report(Scope((club.id,), date(2025, 10, 1), date(2026, 1, 31), TODAY)).programme.comparison
    assert (c.exposed_n, c.held_n) == (190, 10)
    assert c.exposed_renewed == 190 and c.held_renewed == 0
    assert not c.srm_alarm
    cycles_counted = stats.judge([stats.Stratum(380, 570, 0, 10, share_pct=5)])
    assert cycles_counted.srm_alarm   # what counting cycles would have said


def test_the_tool_report_looks_touchpoints_up_by_cycle_not_by_tool(club, make):
    """Each assignment's "did the tool get through" is asked through the touchpoints' index that starts with
    membership_id. SQLite has no statistics unless ANALYZE ran and, offered both, took the index on tool_id: every
    touchpoint of the tool read per assignment (43 s for one club of 20,000 members, the worker's per-tool table).
    The plans of the report's statements are read here (EXPLAIN) on the test's own data: no statement may
    look touchpoints up by tool_id for each row of another table."""
    from sqlalchemy import event

    club, _month, _year = club
    seen: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _executemany):
        if "touchpoint" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH", "INSERT")):
            seen.append((statement, parameters))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        tool_report(scope_of(club))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert seen
    sqlite = engine.dialect.name == "sqlite"
    connection = db.session.connection()
    # The temporary tables the statements read, for EXPLAIN (the INSERTs that fill them are explained too).
    with decided_cycles(scope_of(club)) as decided, touched_cycles(decided):
        explain(seen, sqlite, connection)


def explain(seen, sqlite: bool, connection) -> None:
    from sqlalchemy import text

    for statement, parameters in seen:
        if sqlite:
            plan = " | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                             parameters))
            # The per-row probe of touchpoints (a correlated subquery or a join's inner side) by tool_id.
            assert "ix_touchpoint_tool_id" not in plan, plan
        else:
            connection.execute(text("SET LOCAL enable_seqscan = off"))   # tiny tables: make it pick an index
            plan = " | ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "ix_touchpoint_tool_id" not in plan, plan
