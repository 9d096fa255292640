"""The holdout statistics of a retention tool: does the tool change the renewal rate of the cycles it is given?

Cycles assigned the tool (exposed) are compared with cycles randomly held out of it (held out). The difference of
their renewal rates gets a 95% interval by Newcombe's hybrid score method. The verdict comes from the same interval
widened for the number of tools compared at once (Bonferroni): a manager reads a dozen tools every Monday, and
with plain 95% intervals about one tool in three without any effect would be called "helps" somewhere across
three clubs' years (seen in the simulator's honesty check). Standard library only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

# The smallest difference of renewal rates (5 percentage points) worth detecting when more data is asked for.
MIN_EFFECT = 0.05
# The standard normal quantile of 0.975, for two-sided 95% intervals.
_Z = 1.959963984540054
ALPHA = 0.05


def verdict_z(tools: int) -> float:
    """The quantile of the verdict's interval when TOOLS tools are judged at once (Bonferroni: 1 - 0.05/2/TOOLS)."""
    return _Z if tools <= 1 else NormalDist().inv_cdf(1 - ALPHA / 2 / tools)


def _check(successes: int, n: int) -> None:
    """Raise ValueError unless 0 <= SUCCESSES <= N."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"counts out of range: {successes} of {n}")


def wilson(successes: int, n: int, z: float = _Z) -> tuple[float, float]:
    """The Wilson score interval (low, high) for the proportion SUCCESSES / N; (0.0, 1.0) when N is 0."""
    _check(successes, n)
    if n == 0:
        return 0.0, 1.0
    z2 = z * z
    centre = (successes + z2 / 2) / (n + z2)
    half = z * math.sqrt(successes * (n - successes) / n + z2 / 4) / (n + z2)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = _Z) -> tuple[float, float, float]:
    """The difference X1/N1 - X2/N2 and its interval (difference, low, high) by Newcombe's hybrid score method.

    Method 10 of Newcombe (1998), "Interval estimation for the difference between independent proportions",
    Statistics in Medicine 17:873-890: the two Wilson intervals combined. Raises ValueError if N1 or N2 is 0 or a
    count is out of range."""
    _check(x1, n1)
    _check(x2, n2)
    if n1 == 0 or n2 == 0:
        raise ValueError("both groups need at least one cycle")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, max(-1.0, low), min(1.0, high)


@dataclass(frozen=True)
class Comparison:
    """Renewals of the cycles given a tool (exposed) against those held out of it, and what they show.

    Rates, difference (exposed - held) and its 95% interval LOW..HIGH are None when they cannot be computed.
    VERDICT is "helps", "hurts", "no_effect", "no_evidence" or "no_holdout"; MORE_NEEDED is set only for "no_evidence"
    (see `compare`)."""

    exposed_n: int
    exposed_renewed: int
    held_n: int
    held_renewed: int
    exposed_rate: float | None
    held_rate: float | None
    difference: float | None
    low: float | None
    high: float | None
    verdict: str
    more_needed: int | None


def _variance(renewed: int, n: int) -> float:
    """The per-cycle variance p(1-p) of an arm's rate, with p = 0.5 when the arm has no renewal or no lapse."""
    p = renewed / n if 0 < renewed < n else 0.5
    return p * (1 - p)


def _more_needed(exposed_renewed: int, exposed_n: int, held_renewed: int, held_n: int, difference: float,
                 z: float = _Z) -> int:
    """How many more cycles in all (both arms, in their current ratio) would make the half-width of the interval of
    the difference smaller than the effect worth detecting, max(|difference|, MIN_EFFECT); at least 1.

    Normal approximation: with a total of N cycles, a share r of them exposed, the half-width is
    z * sqrt(v_exposed / (r N) + v_held / ((1 - r) N)), below EFFECT once N > z^2 (v_exposed / r + v_held / (1 - r))
    / EFFECT^2."""
    total = exposed_n + held_n
    share = exposed_n / total
    effect = max(abs(difference), MIN_EFFECT)
    spread = _variance(exposed_renewed, exposed_n) / share + _variance(held_renewed, held_n) / (1 - share)
    needed = math.floor(z * z * spread / (effect * effect)) + 1
    return max(1, needed - total)


def compare(exposed_renewed: int, exposed_n: int, held_renewed: int, held_n: int, tools: int = 1) -> Comparison:
    """The Comparison of EXPOSED_RENEWED of EXPOSED_N exposed cycles with HELD_RENEWED of HELD_N held-out cycles,
    one of TOOLS tools judged at once.

    LOW..HIGH is the 95% interval. The verdict reads the interval at 1 - 0.05/TOOLS (the same with one tool):
    "helps" when it lies above 0, "hurts" when below 0, "no_effect" when it straddles 0 but lies within
    ±MIN_EFFECT (an effect worth having is ruled out), "no_evidence" otherwise (with MORE_NEEDED), and
    "no_holdout" when either arm is empty. Raises ValueError for counts out of range."""
    _check(exposed_renewed, exposed_n)
    _check(held_renewed, held_n)
    exposed_rate = exposed_renewed / exposed_n if exposed_n else None
    held_rate = held_renewed / held_n if held_n else None
    counts = {"exposed_n": exposed_n, "exposed_renewed": exposed_renewed, "held_n": held_n,
              "held_renewed": held_renewed, "exposed_rate": exposed_rate, "held_rate": held_rate}
    if exposed_n == 0 or held_n == 0:
        return Comparison(**counts, difference=None, low=None, high=None, verdict="no_holdout", more_needed=None)
    difference, low, high = newcombe(exposed_renewed, exposed_n, held_renewed, held_n)
    z = verdict_z(tools)
    _, judged_low, judged_high = newcombe(exposed_renewed, exposed_n, held_renewed, held_n, z)
    more_needed = None
    if judged_low > 0:
        verdict = "helps"
    elif judged_high < 0:
        verdict = "hurts"
    elif -MIN_EFFECT < judged_low and judged_high < MIN_EFFECT:
        verdict = "no_effect"
    else:
        verdict = "no_evidence"
        more_needed = _more_needed(exposed_renewed, exposed_n, held_renewed, held_n, difference, z)
    return Comparison(**counts, difference=difference, low=low, high=high, verdict=verdict, more_needed=more_needed)
