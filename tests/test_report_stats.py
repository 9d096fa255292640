"""The holdout statistics: Wilson and Newcombe intervals, the verdict and how many more cycles would settle it."""
import dataclasses
import math
import random

import pytest

from clubcrm.reports.stats import MIN_EFFECT, Comparison, compare, newcombe, wilson

Z = 1.959963984540054


def wilson_by_quadratic(x: int, n: int) -> tuple[float, float]:
    """Wilson's limits as the roots of (p_hat - p)^2 = z^2 p (1 - p) / n, solved as a quadratic in p."""
    a = n + Z * Z
    b = -(2 * x + Z * Z)
    c = x * x / n
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def test_wilson_matches_the_quadratic_roots():
    for x, n in [(0, 1), (1, 1), (3, 10), (56, 70), (48, 80), (0, 29), (5, 56), (500, 1000)]:
        low, high = wilson(x, n)
        expected_low, expected_high = wilson_by_quadratic(x, n)
        assert low == pytest.approx(max(0.0, expected_low), abs=1e-12)
        assert high == pytest.approx(min(1.0, expected_high), abs=1e-12)


def test_wilson_published_and_edge_values():
    assert tuple(round(v, 4) for v in wilson(56, 70)) == (0.6918, 0.8770)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 10)[1] == pytest.approx(Z * Z / (10 + Z * Z))  # closed form of the upper limit at x = 0
    low, high = wilson(10, 20)
    assert (low + high) / 2 == pytest.approx(0.5) and round(low, 4) == 0.2993
    with pytest.raises(ValueError):
        wilson(11, 10)
    with pytest.raises(ValueError):
        wilson(-1, 10)


def test_newcombe_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, example (a): 56/70 against 48/80,
    # method 10 (hybrid score) gives 0.0524 to 0.3339 around a difference of 0.8 - 0.6 = 0.2.
    difference, low, high = newcombe(56, 70, 48, 80)
    assert difference == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_by_hand():
    # 30/50 (0.6) against 20/50 (0.4), written out from the quadratic roots rather than through `wilson`.
    l1, u1 = wilson_by_quadratic(30, 50)
    l2, u2 = wilson_by_quadratic(20, 50)
    # Equal n and mirrored counts: the two Wilson intervals mirror each other, so both arms add the same two terms.
    assert l2 == pytest.approx(1 - u1) and u2 == pytest.approx(1 - l1)
    expected_low = 0.2 - math.hypot(0.6 - l1, u2 - 0.4)
    expected_high = 0.2 + math.hypot(u1 - 0.6, 0.4 - l2)
    difference, low, high = newcombe(30, 50, 20, 50)
    assert difference == pytest.approx(0.2)
    assert low == pytest.approx(expected_low, abs=1e-12) and high == pytest.approx(expected_high, abs=1e-12)
    assert (round(low, 4), round(high, 4)) == (0.0046, 0.3752)


def test_newcombe_swapping_the_groups_mirrors_the_interval():
    for x1, n1, x2, n2 in [(56, 70, 48, 80), (0, 29, 5, 56), (7, 7, 2, 7), (300, 900, 40, 100)]:
        difference, low, high = newcombe(x1, n1, x2, n2)
        swapped = newcombe(x2, n2, x1, n1)
        assert swapped == pytest.approx((-difference, -high, -low), abs=1e-12)


def test_newcombe_contains_the_estimate_and_stays_in_bounds():
    rng = random.Random(7)
    cases = [(0, 1, 1, 1), (1, 1, 0, 1), (0, 5, 0, 5), (5, 5, 5, 5), (10, 10, 0, 10), (0, 300, 300, 300)]
    for _ in range(300):
        n1, n2 = rng.randint(1, 60), rng.randint(1, 60)
        cases.append((rng.randint(0, n1), n1, rng.randint(0, n2), n2))
    for x1, n1, x2, n2 in cases:
        difference, low, high = newcombe(x1, n1, x2, n2)
        assert difference == pytest.approx(x1 / n1 - x2 / n2)
        assert -1.0 <= low <= difference <= high <= 1.0
        assert low < high


def test_newcombe_narrows_as_n_grows():
    widths = []
    for k in (1, 2, 4, 10, 100):
        _, low, high = newcombe(6 * k, 10 * k, 5 * k, 10 * k)
        widths.append(high - low)
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)
    # 600/1000 against 500/1000: close to Wald's 2 * 1.96 * sqrt(0.24 / 1000 + 0.25 / 1000) = 0.0868.
    assert widths[-1] == pytest.approx(2 * Z * math.sqrt(0.24 / 1000 + 0.25 / 1000), abs=0.001)
    assert widths[0] > 0.7


def test_newcombe_rejects_empty_groups_and_bad_counts():
    for args in [(0, 0, 1, 2), (1, 2, 0, 0), (3, 2, 1, 2), (1, 2, -1, 2), (-1, 2, 1, 2)]:
        with pytest.raises(ValueError):
            newcombe(*args)


def test_newcombe_coverage_is_about_95_percent():
    rng = random.Random(20260310)
    n1, n2, p1, p2 = 900, 100, 0.6, 0.52
    trials = 2000
    covered = 0
    for _ in range(trials):
        x1 = sum(rng.random() < p1 for _ in range(n1))
        x2 = sum(rng.random() < p2 for _ in range(n2))
        _, low, high = newcombe(x1, n1, x2, n2)
        covered += low <= p1 - p2 <= high
    assert 0.93 <= covered / trials <= 0.97


def test_compare_helps():
    result = compare(56, 70, 48, 80)
    assert result == Comparison(exposed_n=70, exposed_renewed=56, held_n=80, held_renewed=48,
                                exposed_rate=pytest.approx(0.8), held_rate=pytest.approx(0.6),
                                difference=pytest.approx(0.2), low=pytest.approx(0.05243, abs=1e-5),
                                high=pytest.approx(0.33387, abs=1e-5), verdict="helps", more_needed=None)


def test_compare_hurts():
    result = compare(48, 80, 56, 70)
    assert result.verdict == "hurts" and result.more_needed is None
    assert result.difference == pytest.approx(-0.2)
    assert result.high is not None and round(result.high, 4) == -0.0524


def test_the_verdict_turns_on_zero():
    # 59/100 against 45/100 barely clears 0 (low 0.0017); 58/100 against 45/100 barely does not (low -0.0082).
    assert compare(59, 100, 45, 100).verdict == "helps"
    assert compare(45, 100, 59, 100).verdict == "hurts"
    assert compare(58, 100, 45, 100).verdict == "no_evidence"
    assert compare(45, 100, 58, 100).verdict == "no_evidence"


def test_compare_no_evidence_estimates_more_cycles():
    # 30/50 against 27/50: difference 0.06 (above MIN_EFFECT). Per arm p(1-p) is 0.24 and 0.2484, half the cycles
    # in each arm, so N cycles in all give a half-width of 1.96 * sqrt(0.24 / (N/2) + 0.2484 / (N/2)); it falls
    # below 0.06 once N > 3.8415 * 2 * 0.4884 / 0.0036 = 1042.3, i.e. at N = 1043: 943 more than the 100 counted.
    result = compare(30, 50, 27, 50)
    assert result.verdict == "no_evidence"
    assert result.low is not None and result.high is not None and result.low < 0 < result.high
    assert result.more_needed == 943


def smallest_total(v_exposed: float, v_held: float, exposed_n: int, held_n: int, effect: float) -> int:
    """By search: the smallest total N (arms in the current ratio) whose normal half-width is below EFFECT."""
    share = exposed_n / (exposed_n + held_n)
    total = 1
    while Z * math.sqrt(v_exposed / (share * total) + v_held / ((1 - share) * total)) >= effect:
        total += 1
    return total


@pytest.mark.parametrize(("exposed", "held"), [((300, 500), (40, 70)), ((90, 100), (9, 10)), ((3, 3), (2, 3)),
                                               ((0, 4), (1, 4)), ((505, 1000), (50, 100))])
def test_more_needed_agrees_with_a_search(exposed, held):
    result = compare(exposed[0], exposed[1], held[0], held[1])
    assert result.verdict == "no_evidence"

    def variance(renewed: int, n: int) -> float:
        return 0.25 if renewed in (0, n) else renewed / n * (1 - renewed / n)

    assert result.difference is not None
    effect = max(abs(result.difference), MIN_EFFECT)
    total = smallest_total(variance(*exposed), variance(*held), exposed[1], held[1], effect)
    assert result.more_needed == max(1, total - exposed[1] - held[1])
    assert result.more_needed >= 1


def test_more_needed_uses_half_when_an_arm_has_no_lapse():
    # 3/3 against 2/3: the exposed arm's variance is taken as 0.25, not 0; difference 1/3 is the effect.
    # N > 3.8415 * (0.25 / 0.5 + (2/9) / 0.5) / (1/9) = 3.8415 * 0.94444 * 9 = 32.65, so N = 33: 27 more than 6.
    assert compare(3, 3, 2, 3).more_needed == 27


def test_a_precise_interval_around_zero_rules_an_effect_out():
    # A tiny difference measured precisely: the interval straddles 0 but lies within ±MIN_EFFECT, so an effect
    # worth having is ruled out — "no effect", not "no evidence yet" with more cycles to wait for.
    result = compare(5050, 10000, 5000, 10000)
    assert result.low < 0 < result.high and -0.05 < result.low and result.high < 0.05
    assert result.verdict == "no_effect" and result.more_needed is None
    # Wider than ±5 points on one side: still waiting for evidence.
    assert compare(52, 100, 50, 100).verdict == "no_evidence"


def test_compare_without_a_holdout():
    result = compare(40, 50, 0, 0)
    assert result == Comparison(exposed_n=50, exposed_renewed=40, held_n=0, held_renewed=0, exposed_rate=0.8,
                                held_rate=None, difference=None, low=None, high=None, verdict="no_holdout",
                                more_needed=None)
    result = compare(0, 0, 3, 4)
    assert result.verdict == "no_holdout" and result.exposed_rate is None and result.held_rate == 0.75
    assert compare(0, 0, 0, 0).verdict == "no_holdout"


def test_compare_rejects_bad_counts_and_is_frozen():
    with pytest.raises(ValueError):
        compare(5, 4, 1, 2)
    with pytest.raises(ValueError):
        compare(1, 2, 3, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        compare(1, 2, 1, 2).verdict = "helps"  # type: ignore[misc]


def test_the_verdict_is_adjusted_for_the_number_of_tools_judged_at_once():
    from clubcrm.reports.stats import verdict_z

    assert verdict_z(1) == pytest.approx(1.95996, abs=1e-5)
    assert verdict_z(14) == pytest.approx(2.9137, abs=1e-3)   # the quantile of 1 - 0.05 / 28
    # 560/1000 against 505/1000: the 95% interval excludes 0 ...
    alone = compare(560, 1000, 505, 1000)
    assert alone.low > 0 and alone.verdict == "helps"
    # ... but among 14 tools the widened interval does not: no evidence yet, and more cycles asked for at that level.
    among = compare(560, 1000, 505, 1000, tools=14)
    assert (among.low, among.high) == (alone.low, alone.high)   # the interval shown stays the 95% one
    assert among.verdict == "no_evidence" and among.more_needed > 0
    assert compare(600, 1000, 505, 1000, tools=14).verdict == "helps"
