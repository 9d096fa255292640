"""The inference behind the verdicts: the Mantel–Haenszel difference over strata, the confidence sequence, the
sample-ratio alarm, time to a verdict, break-even and cost per extra renewal (pure: no database)."""
import dataclasses
import math
import random

import pytest

from clubcrm.reports.stats import MIN_EFFECT, Comparison, Costs, Stratum, judge, mantel_haenszel

Z80 = 0.8416212335729143        # the standard normal quantile of 0.80


def paper_half_width(sigma2: float, t: float, alpha: float, t_star: float = 10_000) -> float:
    """The half-width of the asymptotic Gaussian-mixture confidence sequence as printed in Waudby-Smith, Arbour,
    Sinha, Kennedy & Ramdas (Ann. Statist. 2024), for per-observation variance SIGMA2 after T observations:
        σ̂ · sqrt( 2(tρ² + 1) / (t²ρ²) · log( sqrt(tρ² + 1) / α ) ),
    with ρ² = (−2 log α + log(1 − 2 log α)) / t*, the ρ that makes it narrowest near t*."""
    rho2 = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / t_star
    return math.sqrt(sigma2) * math.sqrt(
        2 * (t * rho2 + 1) / (t * t * rho2) * math.log(math.sqrt(t * rho2 + 1) / alpha))


def test_the_confidence_sequence_against_the_paper_by_hand():
    # 600 of 1,000 exposed cycles renewed against 50 of 100 held out, one tool (alpha 0.05).
    # The difference is 0.6 − 0.5 = 0.1. The influence function of a difference of means has per-cycle variance
    # σ² = p1(1−p1)/r + p0(1−p0)/(1−r), r = 1000/1100, so σ²/t = 0.24/1000 + 0.25/100 = 0.00274.
    # ρ² = (5.991465 + log 6.991465) / 10,000 = (5.991465 + 1.944690) / 10,000 = 7.936155e-4; tρ² = 0.872977;
    # half-width = sqrt(1100 · 0.00274) · sqrt(2 · 1.872977 / (1100 · 0.872977) · log(sqrt(1.872977) / 0.05))
    #            = 1.736088 · sqrt(0.00390092 · log(27.37135)) = 1.736088 · sqrt(0.00390092 · 3.309497) = 0.197259.
    sigma2 = 1100 * (0.24 / 1000 + 0.25 / 100)
    half = paper_half_width(sigma2, 1100, 0.05)
    assert half == pytest.approx(0.197259, abs=1e-6)
    result = judge([Stratum(600, 1000, 50, 100, share_pct=10)])
    assert result.difference == pytest.approx(0.1)
    assert (result.low, result.high) == (pytest.approx(0.1 - half, abs=1e-12), pytest.approx(0.1 + half, abs=1e-12))
    assert (round(result.low, 4), round(result.high, 4)) == (-0.0973, 0.2973)
    assert result.alpha == 0.05 and result.verdict == "no_evidence"
    # Among 14 tools each sequence runs at 0.05/14 (an alpha split): wider, by the same formula.
    among = judge([Stratum(600, 1000, 50, 100, share_pct=10)], family=14)
    assert among.alpha == pytest.approx(0.05 / 14)
    assert among.high - 0.1 == pytest.approx(paper_half_width(sigma2, 1100, 0.05 / 14), abs=1e-12)
    assert among.high > result.high


def test_the_sequence_is_wider_than_a_fixed_sample_interval_and_narrows_with_cycles():
    widths = []
    for k in (1, 4, 16, 64):
        result = judge([Stratum(600 * k, 1000 * k, 50 * k, 100 * k, share_pct=10)])
        widths.append(result.high - result.low)
        wald = 2 * 1.959964 * math.sqrt(0.24 / (1000 * k) + 0.25 / (100 * k))
        assert result.high - result.low > wald      # the price of looking every week
    assert widths == sorted(widths, reverse=True)


def test_the_sequence_holds_at_every_weekly_look():
    # A small version of benchmarks/verdicts_mc.py: 200 tool-years of 52 weekly looks at 30 new cycles a week,
    # 10% held out, a true effect of +5 points; the sequence should miss it at some look at most 5% of the time.
    rng = random.Random(14)
    missed = 0
    for _ in range(200):
        counts = [0, 0, 0, 0]
        for _week in range(52):
            for _cycle in range(30):
                held = rng.random() < 0.10
                renewed = rng.random() < (0.60 if held else 0.65)
                counts[2 * held] += renewed
                counts[2 * held + 1] += 1
            result = judge([Stratum(*counts, share_pct=10)])
            if result.low is not None and not result.low <= 0.05 <= result.high:
                missed += 1
                break
    assert missed / 200 <= 0.05


def test_the_mantel_haenszel_difference_undoes_simpson():
    # Club A renews well and holds 50% out, club B renews badly and holds 10% out. In both the tool adds 5 points,
    # but added up the held-out arm is mostly club A's: 400/1000 = 0.40 exposed against 110/200 = 0.55 held out,
    # the sign reversed.
    a = Stratum(85, 100, 80, 100, share_pct=50)       # 0.85 against 0.80
    b = Stratum(315, 900, 30, 100, share_pct=10)      # 0.35 against 0.30
    added = judge([Stratum(400, 1000, 110, 200, share_pct=10)])
    assert added.difference == pytest.approx(-0.15)
    stratified = judge([a, b])
    assert stratified.difference == pytest.approx(0.05)
    assert (stratified.exposed_rate, stratified.held_rate) == (0.4, 0.55)   # the raw rates stay for display
    # Unequal effects: weights w = n1·n0/(n1+n0) = 100·100/200 = 50 and 900·100/1000 = 90.
    c = Stratum(315 + 45, 900, 30, 100, share_pct=10)   # 0.40 against 0.30: +10 points
    assert judge([a, c]).difference == pytest.approx((50 * 0.05 + 90 * 0.10) / 140)


def test_sato_variance_by_hand():
    # Sato (1989): Var = (RD·ΣP + ΣQ) / (Σw)², P = (n²y − m²x + nm(m−n)/2)/N², Q = (x(m−y) + y(n−x))/(2N).
    a = Stratum(85, 100, 80, 100, share_pct=50)
    b = Stratum(315, 900, 30, 100, share_pct=10)
    p_a = (100**2 * 80 - 100**2 * 85 + 100 * 100 * 0 / 2) / 200**2            # −1.25
    q_a = (85 * 20 + 80 * 15) / (2 * 200)                                     # 7.25
    p_b = (900**2 * 30 - 100**2 * 315 + 900 * 100 * (100 - 900) / 2) / 1000**2  # −14.85
    q_b = (315 * 70 + 30 * 585) / (2 * 1000)                                  # 19.8
    assert (p_a, q_a, p_b, q_b) == pytest.approx((-1.25, 7.25, -14.85, 19.8))
    expected = (0.05 * (p_a + p_b) + q_a + q_b) / (50 + 90) ** 2
    difference, variance, cycles = mantel_haenszel([a, b])
    assert difference == pytest.approx(0.05) and cycles == 1200
    assert variance == pytest.approx(expected, rel=1e-12)
    # One stratum: Sato's variance is the usual p1(1−p1)/n1 + p0(1−p0)/n0.
    assert mantel_haenszel([Stratum(600, 1000, 50, 100, 10)])[1] == pytest.approx(0.24 / 1000 + 0.25 / 100)


def test_a_stratum_with_an_empty_arm_contributes_nothing():
    a = Stratum(85, 100, 80, 100, share_pct=50)
    b = Stratum(315, 900, 30, 100, share_pct=10)
    with_empty = judge([a, b, Stratum(70, 80, 0, 0, share_pct=10), Stratum(0, 0, 9, 10, share_pct=10)])
    alone = judge([a, b])
    assert (with_empty.difference, with_empty.low, with_empty.high) == (alone.difference, alone.low, alone.high)
    assert with_empty.exposed_n == 1080 and with_empty.held_n == 210   # still counted, for display and the alarm


def test_no_share_means_not_measured():
    result = judge([Stratum(40, 50, 0, 0, share_pct=0)], family=3, cycles_per_month=20)
    assert result.verdict == "not_measured"
    assert (result.difference, result.low, result.high, result.months_to_verdict) == (None, None, None, None)
    assert result.exposed_rate == 0.8 and result.held_rate is None
    # A club with a share beside one without: measured, on the first club's cycles only.
    mixed = judge([Stratum(40, 50, 0, 0, share_pct=0), Stratum(60, 100, 5, 10, share_pct=10)])
    assert mixed.verdict != "not_measured" and mixed.difference == pytest.approx(0.1)


def test_an_empty_arm_means_no_holdout():
    for strata in ([Stratum(40, 50, 0, 0, share_pct=10)], [Stratum(0, 0, 3, 4, share_pct=10)], [],
                   [Stratum(40, 50, 0, 0, share_pct=10), Stratum(0, 0, 3, 4, share_pct=20)]):
        result = judge(strata)
        assert result.verdict == "no_holdout" and result.low is None and result.high is None


def test_the_interval_never_collapses_on_a_few_cycles():
    # Every cycle renewed: Sato's variance is 0; the variance under no effect keeps the interval open.
    result = judge([Stratum(5, 5, 3, 3, share_pct=10)])
    assert result.verdict == "no_evidence" and result.low < 0 < result.high


def test_the_verdict_never_contradicts_the_interval():
    rng = random.Random(20261204)
    seen = set()
    for _ in range(3000):
        strata = []
        for _s in range(rng.randint(1, 4)):
            n1, n0 = rng.randint(0, rng.choice((10, 200, 5000))), rng.randint(0, rng.choice((5, 50, 800)))
            p1, p0 = rng.random(), rng.random()
            strata.append(Stratum(round(n1 * p1), n1, round(n0 * p0), n0, rng.choice((0, 5, 10, 20, 50))))
        result = judge(strata, family=rng.randint(1, 14), cycles_per_month=rng.choice((None, 50.0)))
        seen.add(result.verdict)
        if result.verdict in ("not_measured", "no_holdout"):
            assert result.low is None and result.high is None
            continue
        low, high = result.low, result.high
        assert -1 <= low <= result.difference <= high <= 1
        expected = ("helps" if low > 0 else "hurts" if high < 0
                    else "no_effect" if -MIN_EFFECT < low and high < MIN_EFFECT else "no_evidence")
        assert result.verdict == expected
        if expected != "no_evidence":
            assert result.months_to_verdict == 0.0
    assert seen == {"helps", "hurts", "no_effect", "no_evidence", "not_measured", "no_holdout"}


def test_the_sample_ratio_alarm_fires_on_a_planted_imbalance():
    # 10% held out: 2,000 cycles expect 200 held. 260 held: X² = 60² / (2000 · 0.1 · 0.9) = 20, which is also
    # Pearson's 60²/200 + 60²/1800 = 18 + 2; p = erfc(sqrt(10)) = 7.74e-6 < 0.001.
    planted = judge([Stratum(1000, 1740, 150, 260, share_pct=10)])
    assert planted.srm_p == pytest.approx(math.erfc(math.sqrt(10)))
    assert planted.srm_p == pytest.approx(7.744e-6, rel=1e-3)
    assert planted.srm_alarm is True
    assert planted.held_share == pytest.approx(0.13) and planted.expected_share == pytest.approx(0.10)
    # 205 held: X² = 25/180 = 0.1389, p = 0.709: no alarm.
    fair = judge([Stratum(1000, 1795, 120, 205, share_pct=10)])
    assert fair.srm_p == pytest.approx(math.erfc(math.sqrt(25 / 180 / 2))) and fair.srm_alarm is False


def test_the_sample_ratio_alarm_over_strata_of_different_shares():
    # 1,000 cycles at 10% and 500 at 50%: expected 100 + 250 = 350 held, variance 90 + 125 = 215.
    # 350 held is fair; 420 held gives X² = 70²/215 = 22.79, p = erfc(sqrt(11.40)) = 1.8e-6.
    strata = [Stratum(0, 900, 0, 100, share_pct=10), Stratum(0, 250, 0, 250, share_pct=50)]
    assert judge(strata).srm_p == pytest.approx(1.0) and not judge(strata).srm_alarm
    planted = [Stratum(0, 850, 0, 150, share_pct=10), Stratum(0, 230, 0, 270, share_pct=50)]
    assert judge(planted).srm_p == pytest.approx(math.erfc(math.sqrt(70**2 / 215 / 2)))
    assert judge(planted).srm_alarm
    # A held cycle where the share is 0 cannot happen by the draw: alarm.
    assert judge([Stratum(0, 90, 0, 1, share_pct=0)]).srm_alarm


def test_the_sample_ratio_alarm_is_quiet_on_fair_draws_and_few_cycles():
    rng = random.Random(5)
    alarms = 0
    for _ in range(300):
        n = rng.randint(50, 3000)
        held = sum(rng.random() < 0.10 for _ in range(n))
        alarms += judge([Stratum(0, n - held, 0, held, share_pct=10)]).srm_alarm
    assert alarms <= 2        # expected 0.3 at p < 0.001
    # 3 of 5 held at 10% is unlikely (p = 0.0086 exactly) but 0.5 expected is too few for the chi-square: no test.
    few = judge([Stratum(2, 2, 1, 3, share_pct=10)])
    assert few.srm_p is None and few.srm_alarm is False


def test_months_to_a_verdict_by_hand():
    # 600 of 900 exposed against 60 of 100 held out, 14 tools, 100 new cycles a month. The plan is for 5 points
    # (not the observed 6.7): pooled rate 660/1000 = 0.66, share held 0.10, per-cycle variance
    # v = 0.66 · 0.34 / (0.1 · 0.9) = 2.493333; n cycles give a verdict with 80% power when
    #     half-width of the sequence + z_0.8 · sqrt(v/n) = 0.05.
    result = judge([Stratum(600, 900, 60, 100, share_pct=10)], family=14, cycles_per_month=100)
    assert result.verdict == "no_evidence" and result.target_effect == MIN_EFFECT
    n = 1000 + 100 * result.months_to_verdict
    v = 0.66 * 0.34 / 0.09
    assert v == pytest.approx(2.493333, abs=1e-6)
    assert paper_half_width(v, n, 0.05 / 14) + Z80 * math.sqrt(v / n) == pytest.approx(0.05, abs=1e-9)
    assert paper_half_width(v, n - 1, 0.05 / 14) + Z80 * math.sqrt(v / (n - 1)) > 0.05
    assert round(n) == 22422 and round(result.months_to_verdict, 1) == 214.2
    # The observed difference plays no part: 594/900 against 66/100 has the same pooled rate and cycles.
    assert judge([Stratum(594, 900, 66, 100, 10)], family=14, cycles_per_month=100).months_to_verdict == \
        pytest.approx(result.months_to_verdict)
    # Twice the rate, half the wait for the cycles still missing.
    faster = judge([Stratum(600, 900, 60, 100, share_pct=10)], family=14, cycles_per_month=200)
    assert faster.months_to_verdict == pytest.approx(result.months_to_verdict / 2)


def test_months_to_a_verdict_edges():
    reached = judge([Stratum(800, 1000, 50, 100, share_pct=10)], cycles_per_month=10)
    assert reached.verdict == "helps" and reached.months_to_verdict == 0.0
    assert judge([Stratum(600, 900, 60, 100, share_pct=10)]).months_to_verdict is None   # no rate
    assert judge([Stratum(600, 900, 60, 100, share_pct=10)], cycles_per_month=0).months_to_verdict is None
    assert judge([Stratum(40, 50, 0, 0, share_pct=0)], cycles_per_month=9).months_to_verdict is None
    assert judge([], cycles_per_month=9).months_to_verdict is None
    # A first few exposed cycles, none held yet: the plan uses the share in force.
    early = judge([Stratum(6, 10, 0, 0, share_pct=10)], cycles_per_month=100)
    assert early.verdict == "no_holdout" and early.months_to_verdict > 100
    # Planned for the break-even effect when it is larger than 5 points: sooner.
    costs = Costs(cost_minor=900 * 0.08 * 30000, renewal_value_minor=30000)     # break-even 8 points
    dear = judge([Stratum(600, 900, 60, 100, share_pct=10)], family=14, cycles_per_month=100, costs=costs)
    assert dear.target_effect == pytest.approx(0.08)
    v = 0.66 * 0.34 / 0.09
    n = 1000 + 100 * dear.months_to_verdict
    assert paper_half_width(v, n, 0.05 / 14) + Z80 * math.sqrt(v / n) == pytest.approx(0.08, abs=1e-9)


def test_break_even_and_cost_per_extra_renewal_by_hand():
    # 800 of 1,000 exposed against 50 of 100 held out: difference 0.3, sequence 0.3 ± 0.194358 (one tool).
    # The tool spent 60,000 (minor units) on its 1,000 exposed cycles, 60 per cycle; a renewal is worth 30,000:
    # break-even at 60 / 30,000 = 0.002 (0.2 points). Extra renewals 0.3 · 1,000 = 300: 200 each; the range
    # 60,000 / (high · 1,000) .. 60,000 / (low · 1,000).
    half = paper_half_width(1100 * (0.16 / 1000 + 0.25 / 100), 1100, 0.05)
    assert half == pytest.approx(0.194358, abs=1e-6)
    result = judge([Stratum(800, 1000, 50, 100, share_pct=10)], costs=Costs(60_000, 30_000))
    assert result.verdict == "helps"
    assert result.break_even == pytest.approx(0.002)
    assert result.target_effect == MIN_EFFECT
    assert result.cost_per_extra_renewal == pytest.approx(200.0)
    assert result.cost_low == pytest.approx(60.0 / (0.3 + half))
    assert result.cost_high == pytest.approx(60.0 / (0.3 - half))
    assert (round(result.cost_low, 1), round(result.cost_high, 1)) == (121.4, 568.0)


def test_no_cost_per_extra_renewal_without_evidence_or_value():
    unsure = judge([Stratum(600, 1000, 50, 100, share_pct=10)], costs=Costs(60_000, 30_000))
    assert unsure.verdict == "no_evidence" and unsure.break_even == pytest.approx(0.002)
    assert (unsure.cost_per_extra_renewal, unsure.cost_low, unsure.cost_high) == (None, None, None)
    unsold = judge([Stratum(800, 1000, 50, 100, share_pct=10)], costs=Costs(60_000, None))
    assert unsold.break_even is None and unsold.cost_per_extra_renewal == pytest.approx(200.0)
    free = judge([Stratum(800, 1000, 50, 100, share_pct=10)])
    assert free.break_even is None and free.cost_per_extra_renewal is None


def test_judge_rejects_bad_counts_and_is_frozen():
    for bad in (Stratum(5, 4, 1, 2, 10), Stratum(1, 2, 3, 2, 10), Stratum(-1, 2, 1, 2, 10), Stratum(1, 2, 1, 2, 101)):
        with pytest.raises(ValueError):
            judge([bad])
    result = judge([Stratum(1, 2, 1, 2, 10)])
    assert isinstance(result, Comparison)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.verdict = "helps"  # type: ignore[misc]
