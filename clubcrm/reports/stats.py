"""The inference behind a tool's verdict: does it change the renewal rate of the cycles it is given?

Cycles drawn into a tool's arm (exposed) are compared with cycles drawn out of it (held out), per stratum (one
club and one holdout share in force), and `judge` turns the strata into a `Comparison`:

- The difference is the Mantel–Haenszel risk difference over the strata (weights n1·n0/(n1+n0)), never the
  difference of added-up counts: clubs and months with different shares differ in more than the tool, and adding
  their counts can reverse the sign (Simpson). Its variance is Sato's, valid for a few large strata and for many
  sparse ones alike: Greenland & Robins (1985), "Estimation of a common effect parameter from sparse follow-up
  data", Biometrics 41:55-68 (the estimator); Sato (1989), "On the variance estimator for the Mantel-Haenszel
  risk difference", Biometrics 45:1323-1324 (the variance).
- The interval is a confidence sequence: it holds at every look at once, so a manager may open the report every
  Monday without inflating false verdicts (with a fixed-sample 95% interval, a year of weekly looks at 14 tools
  without effect called one "helps" about 20% of the time). It is the asymptotic Gaussian-mixture confidence
  sequence of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas, "Time-uniform central limit theory and asymptotic
  confidence sequences", Annals of Statistics 52 (2024), whose boundary is the normal mixture of Robbins (1970)
  and Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences",
  Annals of Statistics 49 (2021): difference ± c(t)·SE, c(t) in `cs_multiplier`, t the cycles compared. For one
  stratum this is the paper's sequence for the mean of the difference's influence function (per-cycle variance
  p1(1−p1)/r + p0(1−p0)/(1−r), r the exposed share); over several strata SE is the MH estimate's (Sato), an
  adaptation whose error rate under weekly looks `benchmarks/verdicts_mc.py` measures.
- Its level is split among the tools of the family (those enabled at the start of the report's period): each
  tool's sequence has error rate 0.05 / family (Bonferroni), so the chance that any tool's sequence ever misses its
  true effect is at most 5% under any dependence between tools. Holm's step-down would reject more but gives no
  simultaneous intervals, and the verdict must read the interval shown.
- The verdict reads exactly that interval, so the two never disagree.

Standard library only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

# The smallest difference of renewal rates (5 percentage points) worth detecting: the verdict "no effect" rules out
# anything larger, and time to a verdict is planned for at least this effect.
MIN_EFFECT = 0.05
# The error rate of the whole family of tools judged at once (split among them, see `alpha`).
ALPHA = 0.05
# A verdict further away than this many months is out of reach for the tool: the report says so and points to the
# programme line or a larger holdout share instead of a date.
OUT_OF_REACH_MONTHS = 36
# The power at which the time to a verdict is planned.
POWER = 0.80
# The sample-ratio alarm's threshold: a held-out share this unlikely under the shares in force means the arms are
# not drawn as designed, and no figure of the tool can be trusted until the cause is found.
SRM_P = 0.001
# The number of compared cycles (both arms) at which the confidence sequence is tuned to be narrowest. Fixed in
# advance, never from the outcomes: a tool at a 10% holdout needs some 20,000 cycles to show a 5-point effect, a
# 10-point effect about a quarter of that; the multiplier of the standard error stays within 1% of its
# minimum from 5,000 to 25,000 cycles (family 14: 3.91 at 5,000, 3.87 at 10,000, 3.91 at 25,000).
PLANNED_CYCLES = 10_000
# Pearson's chi-square is trusted only when both arms expect at least this many cycles (Cochran's rule); below
# it the alarm stays silent rather than fire on a handful of cycles.
SRM_MIN_EXPECTED = 5.0

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Stratum:
    """One club × holdout share (a share edited mid-period makes a new stratum): renewals by arm."""

    exposed_renewed: int
    exposed_n: int
    held_renewed: int
    held_n: int
    share_pct: int      # the holdout share in force for these cycles, 0..50


@dataclass(frozen=True)
class Costs:
    cost_minor: float                   # what the tool spent on its assigned cycles (SMS + staff time), minor units
    renewal_value_minor: float | None   # the average price of a renewal sold in the scope (None: none sold)


@dataclass(frozen=True)
class Comparison:
    """Renewals of the cycles given a tool (exposed) against those held out of it, and what they show.

    LOW..HIGH is THE interval: the confidence sequence at level 1 − alpha (alpha = ALPHA / family); the verdict
    reads it and nothing else. Figures that cannot be computed are None."""

    exposed_n: int
    exposed_renewed: int
    held_n: int
    held_renewed: int
    exposed_rate: float | None      # pooled raw rates, for display
    held_rate: float | None
    difference: float | None        # the Mantel–Haenszel risk difference, exposed − held
    low: float | None
    high: float | None
    alpha: float                    # the error rate of this tool's sequence (0.05 / family)
    verdict: str                    # helps | hurts | no_effect | no_evidence | not_measured | no_holdout
    held_share: float | None        # observed held / all
    expected_share: float | None    # from the shares in force
    srm_p: float | None
    srm_alarm: bool
    target_effect: float            # max(MIN_EFFECT, break_even): the effect time to a verdict is planned for
    months_to_verdict: float | None  # 0.0 once a verdict is reached; None when it cannot be planned
    break_even: float | None        # the effect (a share: 0.02 = 2 points) at which the tool pays for itself
    cost_per_extra_renewal: float | None  # minor units; only when LOW > 0
    cost_low: float | None
    cost_high: float | None


def _check(stratum: Stratum) -> None:
    """Raise ValueError unless the stratum's counts and share are in range."""
    for renewed, n in ((stratum.exposed_renewed, stratum.exposed_n), (stratum.held_renewed, stratum.held_n)):
        if n < 0 or renewed < 0 or renewed > n:
            raise ValueError(f"counts out of range: {renewed} of {n}")
    if not 0 <= stratum.share_pct <= 100:
        raise ValueError(f"share out of range: {stratum.share_pct}")


def alpha(family: int) -> float:
    """The error rate of one tool's sequence among FAMILY tools: ALPHA / family (an alpha split, Bonferroni)."""
    return ALPHA / max(1, family)


def mixture_rho2(level: float, planned: float = PLANNED_CYCLES) -> float:
    """The tuning parameter ρ² of the Gaussian mixture that makes the sequence at error rate LEVEL narrowest at
    PLANNED cycles: ρ² = (−2 log α + log(1 − 2 log α)) / t*, as in Howard et al. (2021) and Waudby-Smith et al.
    (2024): with x = t*ρ² the width at t* is proportional to sqrt((1 + 1/x)(log(1 + x) − 2 log α)), smallest where
    x = log(1 + x) − 2 log α, and one step of that fixed point from x = −2 log α gives the formula. It depends on
    the level and the constant PLANNED_CYCLES only, never on the outcomes."""
    minus_two_log = -2 * math.log(level)
    return (minus_two_log + math.log(1 + minus_two_log)) / planned


def cs_multiplier(t: float, level: float, rho2: float | None = None) -> float:
    """The factor c(t) by which the standard error of an estimate from T cycles is multiplied to give the
    half-width of the two-sided (1 − LEVEL) asymptotic confidence sequence of Waudby-Smith et al. (2024):

        half-width = σ̂ · sqrt( 2(tρ² + 1) / (t²ρ²) · log( sqrt(tρ² + 1) / α ) )
                   = (σ̂ / sqrt(t)) · sqrt( (tρ² + 1) / (tρ²) · (log(tρ² + 1) + 2 log(1/α)) )

    with σ̂² the per-cycle variance. The Gaussian mixture covers both signs, so α is the two-sided error rate."""
    if rho2 is None:
        rho2 = mixture_rho2(level)
    x = t * rho2
    return math.sqrt((x + 1) / x * (math.log(x + 1) + 2 * math.log(1 / level)))


def mantel_haenszel(strata: list[Stratum]) -> tuple[float, float, float] | None:
    """The Mantel–Haenszel risk difference over STRATA, Sato's variance of it, and the cycles it rests on:
    (difference, variance, cycles); None when no stratum has both arms.

    With x, y renewals of n exposed and m held cycles in a stratum, N = n + m, w = n·m/N:
        RD  = Σ w (x/n − y/m) / Σ w
        P   = (n²y − m²x + n·m·(m − n)/2) / N²
        Q   = (x(m − y) + y(n − x)) / (2N)
        Var = (RD · Σ P + Σ Q) / (Σ w)²            (Sato 1989)
    A stratum with an empty arm has w = 0 and contributes nothing (its P and Q are left out too)."""
    weight = weighted = p_sum = q_sum = 0.0
    cycles = 0
    for s in strata:
        x, n, y, m = s.exposed_renewed, s.exposed_n, s.held_renewed, s.held_n
        if n == 0 or m == 0:
            continue
        total = n + m
        w = n * m / total
        weight += w
        weighted += w * (x / n - y / m)
        p_sum += (n * n * y - m * m * x + n * m * (m - n) / 2) / (total * total)
        q_sum += (x * (m - y) + y * (n - x)) / (2 * total)
        cycles += total
    if weight == 0:
        return None
    difference = weighted / weight
    return difference, (difference * p_sum + q_sum) / (weight * weight), cycles


def _null_variance(strata: list[Stratum]) -> float:
    """The variance of the MH difference if the tool had no effect: each stratum's pooled rate, smoothed by one
    renewal and one lapse (never 0 or 1), in Σ w² p(1 − p)(1/n + 1/m) / (Σ w)².

    The interval uses the larger of this and Sato's: with few cycles, or every cycle renewed, Sato's estimate can
    be 0 and the interval would collapse to a point; a test whose variance is no smaller than the one under no
    effect keeps its false verdicts at the level."""
    weight = total = 0.0
    for s in strata:
        n, m = s.exposed_n, s.held_n
        if n == 0 or m == 0:
            continue
        w = n * m / (n + m)
        p = (s.exposed_renewed + s.held_renewed + 1) / (n + m + 2)
        weight += w
        total += w * w * p * (1 - p) * (1 / n + 1 / m)
    return total / (weight * weight)


def sample_ratio(strata: list[Stratum]) -> tuple[float | None, float | None, float | None]:
    """The held-out share against the shares in force: (held share, expected share, p-value).

    H held of N cycles, expected E = Σ n_i·share_i/100, and the chi-square with one degree of freedom
        X² = (H − E)² / Σ n_i p_i (1 − p_i),   p_i = share_i/100,   p-value = erfc(sqrt(X²/2)).
    With one share in force this is exactly Pearson's (H − E)²/E + ((N − H) − (N − E))²/(N − E); with several it
    uses each stratum's binomial variance. The p-value is None when either arm expects fewer than
    SRM_MIN_EXPECTED cycles (Cochran's rule), except that a held cycle where none could be held is 0.0."""
    n_all = sum(s.exposed_n + s.held_n for s in strata)
    if n_all == 0:
        return None, None, None
    held = sum(s.held_n for s in strata)
    expected = sum((s.exposed_n + s.held_n) * s.share_pct / 100 for s in strata)
    variance = sum((s.exposed_n + s.held_n) * s.share_pct / 100 * (1 - s.share_pct / 100) for s in strata)
    shares = held / n_all, expected / n_all
    impossible = any((s.held_n and s.share_pct == 0) or (s.exposed_n and s.share_pct == 100) for s in strata)
    if impossible:
        return *shares, 0.0
    if expected < SRM_MIN_EXPECTED or n_all - expected < SRM_MIN_EXPECTED or variance == 0:
        return *shares, None
    chi2 = (held - expected) ** 2 / variance
    return *shares, math.erfc(math.sqrt(chi2 / 2))


def cycles_for_verdict(effect: float, renewal_rate: float, held_share: float, level: float) -> float:
    """The cycles (both arms) at which the sequence at LEVEL shows EFFECT with probability POWER:
    the smallest n with

        c(n) · sqrt(v / n) + z_POWER · sqrt(v / n) = EFFECT,   v = p(1 − p) / (s(1 − s))

    where p is RENEWAL_RATE (both arms, 0.5 if 0 or 1), s the HELD_SHARE, v the per-cycle variance of the
    difference (p(1 − p)/(1 − s) + p(1 − p)/s), c the confidence sequence's multiplier (`cs_multiplier`). The left
    side falls as n grows, so it is found by bisection."""
    p = renewal_rate if 0 < renewal_rate < 1 else 0.5
    v = p * (1 - p) / (held_share * (1 - held_share))
    z = _NORMAL.inv_cdf(POWER)
    rho2 = mixture_rho2(level)

    def half(n: float) -> float:
        return (cs_multiplier(n, level, rho2) + z) * math.sqrt(v / n)

    low, high = 1.0, 2.0
    while half(high) > effect:
        low, high = high, high * 2
        if high > 1e15:
            return math.inf
    for _ in range(200):
        middle = (low + high) / 2
        if half(middle) > effect:
            low = middle
        else:
            high = middle
        if high - low < 1e-6:
            break
    return high


def _verdict(low: float, high: float) -> str:
    """What the interval LOW..HIGH shows (and nothing else does)."""
    if low > 0:
        return "helps"
    if high < 0:
        return "hurts"
    if -MIN_EFFECT < low and high < MIN_EFFECT:
        return "no_effect"
    return "no_evidence"


def judge(strata: list[Stratum], family: int = 1, cycles_per_month: float | None = None,
          costs: Costs | None = None) -> Comparison:
    """The Comparison of a tool's (or the programme's) exposed and held-out cycles over STRATA, one of FAMILY tools
    judged at once, with time to a verdict at CYCLES_PER_MONTH new cycles reaching the trigger (both arms) and
    what the tool costs per extra renewal. Raises ValueError for counts out of range.

    Verdicts: "not_measured" when every stratum's share is 0 (nobody is held out), "no_holdout" when no stratum
    has both arms (also when there are no strata yet), else what the confidence sequence LOW..HIGH shows:
    "helps" (LOW > 0), "hurts" (HIGH < 0), "no_effect" (inside ±MIN_EFFECT), "no_evidence".

    Time to a verdict is planned for TARGET_EFFECT = max(MIN_EFFECT, break-even) at 80% power with this same
    sequence (`cycles_for_verdict`), never for the observed difference (often inflated by chance); break-even is
    (cost / exposed cycles) / value of a renewal; the cost per extra renewal, cost / (difference · exposed cycles),
    with its range from HIGH and LOW, is given only when LOW > 0."""
    for s in strata:
        _check(s)
    level = alpha(family)
    exposed_n = sum(s.exposed_n for s in strata)
    exposed_renewed = sum(s.exposed_renewed for s in strata)
    held_n = sum(s.held_n for s in strata)
    held_renewed = sum(s.held_renewed for s in strata)
    held_share, expected_share, srm_p = sample_ratio(strata)
    # No strata at all (no cycle reached the trigger yet) is "no_holdout": both arms are empty.
    measured = not strata or any(s.share_pct > 0 for s in strata)
    estimate = mantel_haenszel(strata) if measured else None
    difference = low = high = None
    if not measured:
        verdict = "not_measured"
    elif estimate is None:
        verdict = "no_holdout"
    else:
        difference, sato, cycles = estimate
        se = math.sqrt(max(sato, _null_variance(strata)))
        half = cs_multiplier(cycles, level) * se
        low, high = max(-1.0, difference - half), min(1.0, difference + half)
        verdict = _verdict(low, high)

    break_even = None
    if costs is not None and costs.renewal_value_minor and exposed_n:
        break_even = costs.cost_minor / exposed_n / costs.renewal_value_minor
    target = max(MIN_EFFECT, break_even or 0.0)

    months = None
    if verdict in ("helps", "hurts", "no_effect"):
        months = 0.0
    elif measured and cycles_per_month and cycles_per_month > 0 and expected_share and expected_share < 1:
        n_now = exposed_n + held_n
        needed = cycles_for_verdict(target, (exposed_renewed + held_renewed) / n_now, expected_share, level)
        months = max(0.0, needed - n_now) / cycles_per_month if math.isfinite(needed) else None

    cost_per = cost_low = cost_high = None
    if costs is not None and low is not None and high is not None and difference is not None and low > 0:
        cost_per = costs.cost_minor / (difference * exposed_n)
        cost_low = costs.cost_minor / (high * exposed_n)
        cost_high = costs.cost_minor / (low * exposed_n)

    return Comparison(
        exposed_n=exposed_n, exposed_renewed=exposed_renewed, held_n=held_n, held_renewed=held_renewed,
        exposed_rate=exposed_renewed / exposed_n if exposed_n else None,
        held_rate=held_renewed / held_n if held_n else None,
        difference=difference, low=low, high=high, alpha=level, verdict=verdict,
        held_share=held_share, expected_share=expected_share, srm_p=srm_p,
        srm_alarm=srm_p is not None and srm_p < SRM_P,
        target_effect=target, months_to_verdict=months, break_even=break_even,
        cost_per_extra_renewal=cost_per, cost_low=cost_low, cost_high=cost_high)
