"""The simulator: a club history made through the real lifecycle engine, day by day, whose tools have known
effects on renewals — and the renewal report that must find those effects."""
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Member, Membership, Package, Touchpoint
from clubcrm.simulation import DEFAULT_EFFECTS, SimConfig, simulate
from clubcrm.simulation.check import check
from tests.conftest import NOW, TODAY


def test_a_simulated_quarter(ctx):
    """One small simulation (150 people, 90 days) read four ways: the engine lived it, renewals link to the
    cycle they renew inside the window, package balances are their ledgers, and the truth the simulator booked
    is the configured effect for tools that act before a cycle's end."""
    with unit_of_work():
        cfg = SimConfig(members=150, days=90, seed=2, end=TODAY)
        result = simulate(cfg)
    assert clock.utcnow() == NOW   # the clock is given back
    assert db.session.scalar(select(func.count()).select_from(Member)) == cfg.members
    statuses = Counter(db.session.scalars(select(Touchpoint.status)))
    assert result.touchpoints == sum(statuses.values()) > 150
    # SMS went out, calls were made, some cycles were held out at random; today's calls are left open.
    assert statuses["sent"] and statuses["done"] and statuses["held_out"]
    open_calls = db.session.scalars(select(Touchpoint.due_on).where(Touchpoint.status == "planned",
                                                                    Touchpoint.channel == "task"))
    assert set(open_calls) <= {TODAY}
    counts = result.counts
    assert counts.cycles_ended > 50 and 0 < counts.renewed_on_time < counts.cycles_ended

    previous = aliased(Membership)
    pairs = db.session.execute(
        select(Membership.member_id, previous.member_id, Membership.starts_on, previous.ends_on)
        .join(previous, previous.id == Membership.renews_id)).all()
    assert pairs
    for member, previous_member, starts, ended in pairs:
        assert member == previous_member
        assert 1 <= (starts - ended).days <= 30

    for package in db.session.scalars(select(Package)):
        total = db.session.scalar(select(func.sum(LedgerEntry.units)).where(LedgerEntry.package_id == package.id))
        assert package.balance == total >= 0

    for tool, effect in DEFAULT_EFFECTS.items():
        truth = result.truth.effect(tool)
        if truth is None or tool == "win_back":
            continue
        # An assigned cycle gets the effect if the tool got through (an SMS sent, a call answered).
        assert 0 <= truth <= effect / 100 + 1e-9, tool
        if effect == 0:
            assert truth == 0


def test_settings_that_would_pass_a_probability_of_one_are_refused():
    with pytest.raises(ValueError, match="effects too large"):
        SimConfig(effects={**DEFAULT_EFFECTS, "renewal_offer": 40}).check()
    with pytest.raises(ValueError, match="unknown tools"):
        SimConfig(effects={"magic": 1}).check()


def test_the_report_finds_the_effects_the_simulator_put_in(ctx):
    """A small cousin of `python -m benchmarks.honesty` (20,000 people, several seeds, ≥ 90% of the intervals
    must cover the truth): at this size about one interval in twenty may miss by chance, so two misses of the
    ~14 are allowed (three or more happen with a chance of about 3%); zero-effect tools are not called
    "helps", and the naive rate is far from the measured effect."""
    with unit_of_work():
        cfg = SimConfig(members=400, days=180, seed=11, end=TODAY)
        result = simulate(cfg)
    checks = [c for c in check(result, cfg.effects) if c.covered is not None]
    assert len(checks) >= 10
    missed = [c.tool for c in checks if not c.covered]
    assert len(missed) <= 2, missed
    assert not [c.tool for c in checks if c.configured == 0 and c.verdict == "helps"]
    offer = next(c for c in checks if c.tool == "renewal_offer")
    assert offer.truth == pytest.approx(0.08, abs=0.005)
    assert offer.naive_rate - offer.difference > 0.2


def test_the_simulate_command_prints_the_tools_beside_the_report(runner, ctx):
    result = runner.invoke(args=["simulate", "--members", "60", "--days", "30", "--end", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "renewal_offer" in result.output and "manager@demo.club" in result.output
    again = runner.invoke(args=["simulate", "--members", "60", "--days", "30"])
    assert again.exit_code != 0 and "already holds a club" in again.output
    bad = runner.invoke(args=["simulate", "--members", "0"])
    assert bad.exit_code == 2 and "--members" in bad.output
