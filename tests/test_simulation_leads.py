"""The simulator's leads (issue 17): arrivals come as leads whose cycle opens through the real service, the engine's
lead tools contact them and draw their holdouts, they book and attend trials and buy through the real services,
and the lead tools' truth comes from the simulator's own records (never the lead report's code)."""
from collections import Counter

from sqlalchemy import func, literal, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle.tools import LEAD_TOOLS
from clubcrm.models import Assignment, Booking, ClubSession, LeadCycle, Member, Membership, Tool, Touchpoint
from clubcrm.reports import tools as report_tools
from clubcrm.simulation import DEFAULT_EFFECTS, SimConfig, simulate
from clubcrm.simulation.check import check_leads
from clubcrm.simulation.truth import compute_leads
from tests.conftest import TODAY

LEADS = {"existing_share": 0.3, "lead_cycle_share": 0.9}


def _tool_of(key: str) -> int:
    return db.session.scalar(select(Tool.id).where(Tool.key == key))


def test_leads_live_their_cycles_through_the_real_services(ctx, monkeypatch):
    """With the report's helpers broken (the simulation must not read them), a simulated club's leads get their
    cycles, the lead tools plan their first calls and trial invitations and draw both arms, a held-out lead gets
    none of that tool's contacts, YES replies book trials, sales close cycles won and the timeout closes the rest
    lost; the lead truth comes from the simulator's own records and holding out works (the held arm added nothing)."""
    originals = {name: getattr(report_tools, name) for name in ("got_through", "tool_report", "lead_tool_report")}
    monkeypatch.setattr(report_tools, "got_through", lambda tp=None: literal(0))

    def fail(scope):
        raise AssertionError("the simulation read the report")

    monkeypatch.setattr(report_tools, "tool_report", fail)
    monkeypatch.setattr(report_tools, "lead_tool_report", fail)
    with unit_of_work():
        cfg = SimConfig(members=260, days=110, seed=3, end=TODAY, **LEADS)
        result = simulate(cfg)
    counts = result.counts
    cycles = db.session.execute(select(LeadCycle.outcome, LeadCycle.lost_reason, LeadCycle.source)).all()
    assert len(cycles) == counts.leads > 60
    assert {source for *_, source in cycles} == {"walk_in", "web_form"}
    outcomes = Counter((outcome, reason) for outcome, reason, _ in cycles)
    assert outcomes[("won", None)] == counts.leads_won > 10
    assert outcomes[("lost", "no_answer")] == counts.leads_timed_out > 5
    # A won cycle names the first sale, sold to its lead, who is converted.
    won = db.session.execute(
        select(LeadCycle.member_id, Membership.member_id, Membership.renews_id, Member.converted_at)
        .join(Membership, Membership.id == LeadCycle.won_membership_id)
        .join(Member, Member.id == LeadCycle.member_id)).all()
    assert len(won) == counts.leads_won
    assert all(lead == buyer and renews is None and converted is not None for lead, buyer, renews, converted in won)

    # The lead tools fired on the leads' cycles: the first call as a task with a due instant, the invitation an SMS.
    planned = Counter(db.session.execute(
        select(Touchpoint.tool_id, Touchpoint.channel).where(Touchpoint.lead_cycle_id.is_not(None))).all())
    assert planned[(_tool_of("lead_first_call"), "task")] > 40
    assert planned[(_tool_of("lead_trial_invite"), "sms")] > 20
    assert planned[(_tool_of("lead_follow_up"), "task")] > 0
    assert not db.session.scalar(select(func.count()).select_from(Touchpoint).where(
        Touchpoint.lead_cycle_id.is_not(None), Touchpoint.membership_id.is_not(None)))
    arms = Counter(db.session.execute(
        select(Assignment.tool_key, Assignment.held).where(Assignment.lead_cycle_id.is_not(None))).all())
    assert arms[("lead_first_call", False)] > 40 and arms[("lead_first_call", True)] > 0
    assert arms[("lead_trial_invite", True)] > 0
    assert {tool for tool, _ in arms} <= set(LEAD_TOOLS)
    # A held-out lead gets none of that tool's contacts (only its held_out record).
    contacted_held = db.session.scalar(
        select(func.count()).select_from(Assignment)
        .join(Tool, (Tool.club_id == Assignment.club_id) & (Tool.key == Assignment.tool_key))
        .join(Touchpoint, (Touchpoint.lead_cycle_id == Assignment.lead_cycle_id) & (Touchpoint.tool_id == Tool.id))
        .where(Assignment.held.is_(True), Touchpoint.status != "held_out"))
    assert contacted_held == 0
    # A YES to the invitation booked a trial through the inbound handler (source sms), and some came.
    trials = Counter(db.session.execute(
        select(Booking.source, Booking.status).join(ClubSession, ClubSession.id == Booking.session_id)
        .join(LeadCycle, LeadCycle.member_id == Booking.member_id).where(ClubSession.kind == "trial")).all())
    assert counts.trials_booked > 0 and sum(n for (source, _), n in trials.items() if source == "sms") > 0
    assert trials[("sms", "attended")] + trials[("desk", "attended")] > 0

    # The truth: from the simulator's records, each lead tool that reached leads with a positive effect put in.
    truth = result.lead_truth
    assert result.lead_settled and all(s.reached <= set(LEAD_TOOLS) for s in result.lead_settled)
    reached = Counter(tool for s in result.lead_settled for tool in s.reached)
    assert reached["lead_first_call"] > 20 and reached["lead_trial_invite"] > 10
    assert truth.effect("lead_first_call") > 0 and truth.effect("lead_trial_invite") > 0
    for tool in LEAD_TOOLS:
        assert tool not in truth.held or truth.held[tool].added == 0.0, tool
    assert 0 < sum(s.bought for s in result.lead_settled) < len(result.lead_settled)

    # The lead report, graded against that truth: a line per lead tool, intervals that cover it, no alarm.
    for name, original in originals.items():
        monkeypatch.setattr(report_tools, name, original)
    checks = check_leads(result, cfg.effects)
    assert [c.tool for c in checks] == list(LEAD_TOOLS)
    first_call = checks[0]
    assert first_call.assigned > 20 and first_call.held > 0 and first_call.truth == truth.effect("lead_first_call")
    assert all(c.covered is not False for c in checks), [(c.tool, c.truth, c.low, c.high) for c in checks]
    assert not [c.tool for c in checks if c.srm_alarm]


def test_no_lead_is_reached_when_no_call_is_answered_and_no_sms_delivered(ctx):
    """With every call unanswered and every SMS undelivered, no lead tool reached a lead: every lead truth is zero
    and leads buy at their base chance only (the lead tools' effects are theirs, not the renewals')."""
    with unit_of_work():
        cfg = SimConfig(members=160, days=80, seed=4, end=TODAY, sms_refused=0.0, sms_undelivered=1.0,
                        call_answered=0.0, **LEADS)
        result = simulate(cfg)
    assert result.counts.leads > 40 and result.counts.trials_booked == 0
    assert result.lead_settled and all(not s.reached for s in result.lead_settled)
    for tool in LEAD_TOOLS:
        assert result.lead_truth.effect(tool) in (None, 0.0), tool
    # The truth is computed over decided cycles only: none began within LEAD_CYCLE_DAYS of the end.
    late = compute_leads(result.club.id, result.lead_settled, None, result.last, result.last, 60)
    assert all(arm.n == 0 for arm in late.exposed.values())
    assert set(LEAD_TOOLS) <= set(DEFAULT_EFFECTS)
