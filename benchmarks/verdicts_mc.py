"""A Monte Carlo of the verdict procedure itself (`clubcrm.reports.stats.judge`) on synthetic renewal data.

    python -m benchmarks.verdicts_mc [--clubs 1000] [--years 3] [--seed 1]

No database and no simulator: each simulated club-year draws the cycles reaching each tool's trigger week by week
and asks `judge` for the verdict at every weekly look (cumulative counts), as a manager opening the report every
Monday would see it. Standard library only, like the product.

Assumptions (stated with the figures):
- Plans as in ../shared/RETENTION.md (month 40%, 3 months 25%, year 35%): 6.15 cycles per member and year, so
  4,305 cycles a year in a 700-member club and 30,750 in a 5,000-member one. A typical tool's trigger is reached
  by a third of them (1,435 and 10,250 a year); the programme line sees them all.
- Cycles arrive as a Poisson stream (constant weekly rate), each drawn into the held-out arm with the share
  (tools 10%, the programme 5%), renewed with probability 0.60 when held out, 0.60 + effect when exposed,
  independently. The programme's member-level holdout makes a member's cycles of a year share an arm, and a
  member's renewals correlate: the last section simulates that member by member, to see whether treating
  cycles as independent (as `judge` does) keeps its error rate.

Figures, each beside its goal, with Monte Carlo standard errors:
- family-wise false "helps": 14 tools without effect (family 14), the chance that any is called "helps" at any
  of 52 weekly looks (goal <= 5%); the same at the year-end look only; and over all the looks of --years years;
- power: one tool with a 5-point effect among 14, "helps" within one year and within --years years; the runs
  whose interval missed the true effect at some look (goal <= 0.05/14); and the power at the months `judge`
  plans for a 5-point effect (its months_to_verdict at the start, goal >= 80%);
- the programme line (family 1, 5% held out, all cycles) without effect and with a 3- and a 5-point effect;
- a chain of three clubs with different shares and renewal rates (one stratum each): the same figures for the
  Mantel–Haenszel difference, and what adding the counts up would have shown for a tool without effect;
- the programme of a 700-member club simulated member by member (arms per member and calendar year, renewal
  rates by plan, members who differ), since its cycles are not independent: false "helps" and power.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable

from clubcrm.reports.stats import Comparison, Stratum, judge

BASE_RATE = 0.60
TOOLS = 14
TOOL_SHARE = 10
PROGRAMME_SHARE = 5
WEEKS = 52
CYCLES_PER_MEMBER_YEAR = 0.40 * 12 + 0.25 * 4 + 0.35 * 1
TOOL_REACH = 1 / 3
CLUBS = (700, 5000)
# A chain's clubs (holdout share %, renewal rate held out): the ones holding more out renew better.
CHAIN = ((10, 0.45), (20, 0.60), (50, 0.75))
# The programme with members instead of independent cycles: (share of members, weeks per cycle, mean renewal
# per cycle) for month, 3-month and year plans (monthly churn 5%, RETENTION.md's 3.4-5.5%), and how much members
# differ: each one's renewal probability is Beta with this concentration around its plan's mean.
PLANS = ((0.40, 52 / 12, 0.95), (0.25, 13.0, 0.85), (0.35, 52.0, 0.60))
CONCENTRATION = 10.0


def poisson(rng: random.Random, mu: float) -> int:
    """A Poisson(MU) draw: inversion for small means, Hörmann's transformed rejection (PTRS, 1993) otherwise."""
    if mu < 10:
        k, p = 0, math.exp(-mu)
        cumulative, u = p, rng.random()
        while u > cumulative:
            k += 1
            p *= mu / k
            cumulative += p
            if p == 0.0:
                break
        return k
    smu = math.sqrt(mu)
    b = 0.931 + 2.53 * smu
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    log_mu = math.log(mu)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + mu + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                <= -mu + k * log_mu - math.lgamma(k + 1)):
            return k


class Arm:
    """One tool's cumulative counts in one simulated club (one stratum), growing week by week."""

    def __init__(self, per_year: float, share_pct: int, effect: float, base: float = BASE_RATE):
        week = per_year / WEEKS
        share = share_pct / 100
        self.share_pct = share_pct
        self.means = (week * (1 - share) * (base + effect), week * (1 - share) * (1 - base - effect),
                      week * share * base, week * share * (1 - base))
        self.counts = [0, 0, 0, 0]     # exposed renewed, exposed lapsed, held renewed, held lapsed

    def week(self, rng: random.Random) -> None:
        for i, mu in enumerate(self.means):
            self.counts[i] += poisson(rng, mu)

    def stratum(self) -> Stratum:
        er, el, hr, hl = self.counts
        return Stratum(er, er + el, hr, hr + hl, self.share_pct)


def one_club(per_year: float, share_pct: int) -> Callable[[float], list[Arm]]:
    """A tool in one club: one stratum."""
    return lambda effect: [Arm(per_year, share_pct, effect)]


def chain(per_year: float) -> Callable[[float], list[Arm]]:
    """A tool across CHAIN clubs of PER_YEAR cycles each, with different shares and renewal rates: the clubs that
    hold more out renew better, so added-up counts would show the tool hurting (Simpson)."""
    return lambda effect: [Arm(per_year, share, effect, base) for share, base in CHAIN]


def follow(rng: random.Random, arms: list[Arm], family: int, effect: float, weeks: int,
           stop_at_helps: bool = False) -> tuple[int | None, int | None, Comparison]:
    """Weekly looks at one tool for WEEKS weeks: the first look called "helps", the first look whose interval
    misses the true EFFECT, and the last Comparison."""
    first_helps = first_miss = None
    for week in range(1, weeks + 1):
        for arm in arms:
            arm.week(rng)
        result = judge([arm.stratum() for arm in arms], family=family)
        if result.verdict == "helps" and first_helps is None:
            first_helps = week
            if stop_at_helps:
                break
        if result.low is not None and first_miss is None and not result.low <= effect <= result.high:
            first_miss = week
    return first_helps, first_miss, result


def false_helps(rng: random.Random, clubs: int, tool: Callable[[float], list[Arm]],
                years: int) -> tuple[int, int, int, int]:
    """Club-years in which any of TOOLS zero-effect tools is called "helps": at some look of the first year, at the
    year-end look, at some look of YEARS years; and tools called "helps" at some look of the first year."""
    any_year = year_end = any_all = tools_year = 0
    for _ in range(clubs):
        firsts, ends = [], []
        for _tool in range(TOOLS):
            arms = tool(0.0)
            first, _miss, at_end = follow(rng, arms, TOOLS, 0.0, WEEKS)
            if first is None and years > 1:     # the same tool's later years, its counts growing on
                later = follow(rng, arms, TOOLS, 0.0, WEEKS * (years - 1), stop_at_helps=True)[0]
                first = later + WEEKS if later else None
            firsts.append(first)
            ends.append(at_end.verdict == "helps")
        in_year = sum(f is not None and f <= WEEKS for f in firsts)
        tools_year += in_year
        any_year += in_year > 0
        year_end += any(ends)
        any_all += any(f is not None for f in firsts)
    return any_year, year_end, any_all, tools_year


def programme_members(rng: random.Random, members: int, effect: float, weeks: int) -> tuple[int | None, bool]:
    """The programme line of a club of MEMBERS members over WEEKS weekly looks, its arm drawn per member and
    calendar year (5% held out), each member renewing with their own probability (+EFFECT when not held out), a
    member who lapses replaced by a newcomer. Returns the first look called "helps" and, without effect, whether
    the interval left 0 at some look (with an effect the per-cycle difference is not exactly EFFECT: exposed
    members stay longer, so the arms' cycles differ in who they are)."""
    due: list[list[list]] = [[] for _ in range(weeks + 2)]

    def schedule(member: list) -> None:
        look = max(1, math.ceil(member[0]))      # a cycle ending at week 3.2 is seen at the look of week 4
        if look <= weeks:
            due[look].append(member)

    def join(start: float, phase: float = 1.0) -> None:
        """A member whose cycle began at START (PHASE < 1: the rest of a cycle already under way)."""
        _share, length, mean = rng.choices(PLANS, weights=[plan[0] for plan in PLANS])[0]
        p = rng.betavariate(mean * CONCENTRATION, (1 - mean) * CONCENTRATION)
        schedule([start + phase * length, length, p, {}])

    for _ in range(members):            # a club already running: its members at every phase of their cycles
        join(0.0, rng.random())
    counts = [0, 0, 0, 0]
    first = None
    missed = False
    for week in range(1, weeks + 1):
        for member in due[week]:
            end, length, p, held_by_year = member
            held = held_by_year.setdefault((week - 1) // WEEKS, rng.random() < PROGRAMME_SHARE / 100)
            renewed = rng.random() < (p if held else min(1.0, p + effect))
            slot = 2 if held else 0
            counts[slot] += renewed
            counts[slot + 1] += 1
            if renewed:
                member[0] = end + length
                schedule(member)
            else:
                join(end)
        er, en, hr, hn = counts
        result = judge([Stratum(er, en, hr, hn, PROGRAMME_SHARE)], family=1)
        if result.verdict == "helps" and first is None:
            first = week
        missed = missed or (result.low is not None and not result.low <= 0 <= result.high)
    return first, missed


def planned_weeks(per_year: float, share_pct: int, family: int) -> float:
    """The weeks `judge` plans at the start for a verdict on its target effect (5 points without costs)."""
    start = Stratum(3, 5, 3, 5, share_pct)       # a start at the base rate
    comparison = judge([start], family=family, cycles_per_month=per_year / 12)
    return (comparison.months_to_verdict or 0.0) * 52 / 12


def rate(hits: int, n: int, digits: int = 1) -> str:
    """HITS of N as a percentage with its Monte Carlo standard error."""
    p = hits / n
    return f"{100 * p:5.{digits}f}% ± {100 * math.sqrt(p * (1 - p) / n):.{digits}f}"


def power_lines(rng: random.Random, clubs: int, tool: Callable[[float], list[Arm]], effect: float, family: int,
                years: int, label: str, plan_weeks: float | None = None) -> None:
    """Print the power to call "helps" within 1 year and YEARS years, the runs whose interval missed the true
    effect at some look, and (for the effect `judge` plans for) the power at the months it plans."""
    horizon = max(WEEKS * years, math.ceil(plan_weeks or 0))
    runs = [follow(rng, tool(effect), family, effect, horizon) for _ in range(clubs)]
    within = [sum(f is not None and f <= weeks for f, _m, _r in runs) for weeks in (WEEKS, WEEKS * years)]
    missed = sum(m is not None and m <= WEEKS * years for _f, m, _r in runs)
    print(f"  {label}:\n      helps within 1 year {rate(within[0], clubs)}; within {years} years "
          f"{rate(within[1], clubs)}; interval missed +{100 * effect:.0f} at some look in {years} years "
          f"{rate(missed, clubs)} (goal <= {100 * 0.05 / family:.2g}%)")
    if plan_weeks is not None:
        planned = sum(f is not None and f <= plan_weeks for f, _m, _r in runs)
        print(f"      judge plans {plan_weeks / 52 * 12:.1f} months to a verdict on 5 points at 80% power; "
              f"helps by then: {rate(planned, clubs)}  (goal >= 80%)")


def family_lines(rng: random.Random, clubs: int, tool: Callable[[float], list[Arm]], years: int) -> None:
    """Print the family-wise rate of false "helps" among TOOLS zero-effect tools."""
    any_year, year_end, any_all, tools_year = false_helps(rng, clubs, tool, years)
    print(f"  false 'helps', any of {TOOLS} zero-effect tools, 52 weekly looks: {rate(any_year, clubs)}  (goal <= 5%)")
    print(f"      same, one look at year end: {rate(year_end, clubs)}  (goal <= 5%); weekly looks over {years} "
          f"years: {rate(any_all, clubs)}  (goal <= 5%); per tool, 52 weekly looks: "
          f"{rate(tools_year, clubs * TOOLS, 2)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clubs", type=int, default=1000, help="simulated clubs per figure (default 1000)")
    parser.add_argument("--years", type=int, default=3, help="years of weekly looks for power (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    print(f"verdicts_mc: {args.clubs} simulated clubs per figure, seed {args.seed}, renewal base rate "
          f"{BASE_RATE:.2f}, weekly looks, {TOOLS} tools at {TOOL_SHARE}% held out (family {TOOLS}), programme at "
          f"{PROGRAMME_SHARE}% (family 1); Monte Carlo standard errors after ±")
    for members in CLUBS:
        cycles = members * CYCLES_PER_MEMBER_YEAR
        per_tool = cycles * TOOL_REACH
        print(f"\n{members} members: {cycles:,.0f} cycles a year, {per_tool:,.0f} per tool "
              f"({per_tool / WEEKS:.1f} a week)")
        family_lines(rng, args.clubs, one_club(per_tool, TOOL_SHARE), args.years)
        power_lines(rng, args.clubs, one_club(per_tool, TOOL_SHARE), 0.05, TOOLS, args.years,
                    "a tool with +5 points (family 14, 10% held out)", planned_weeks(per_tool, TOOL_SHARE, TOOLS))
        for effect in (0.0, 0.03, 0.05):
            plan = planned_weeks(cycles, PROGRAMME_SHARE, 1) if effect == 0.05 else None
            label = f"+{100 * effect:.0f} points" if effect else "without effect (every 'helps' is false)"
            power_lines(rng, args.clubs, one_club(cycles, PROGRAMME_SHARE), effect, 1, args.years,
                        f"programme {label} (family 1, 5% held out, all cycles)", plan)
    per_club = 700 * CYCLES_PER_MEMBER_YEAR * TOOL_REACH
    print(f"\nA chain of {len(CHAIN)} 700-member clubs, one stratum each (share held out, renewal rate): "
          + ", ".join(f"{share}% {base:.2f}" for share, base in CHAIN))
    family_lines(rng, args.clubs, chain(per_club), args.years)
    power_lines(rng, args.clubs, chain(per_club), 0.05, TOOLS, args.years, "a tool with +5 points (family 14)")
    added = []
    for _ in range(min(args.clubs, 300)):
        arms = chain(per_club)(0.0)
        last = follow(rng, arms, TOOLS, 0.0, WEEKS)[2]
        added.append(last.exposed_rate - last.held_rate)
    print(f"  a zero-effect tool, counts added up instead (year end): {100 * statistics.fmean(added):+.1f} points "
          f"on average (the stratified difference is unbiased: see the coverage above)")
    print(f"\nThe programme of one 700-member club with members, not independent cycles: arms drawn per member and "
          f"calendar year ({PROGRAMME_SHARE}%), renewal per cycle month "
          + ", ".join(f"{mean:.2f}" for _s, _l, mean in PLANS[:1]) + ", 3-month "
          + f"{PLANS[1][2]:.2f}, year {PLANS[2][2]:.2f} on average, each member's own ~ Beta (concentration "
          f"{CONCENTRATION:g}); a member who lapses is replaced")
    weeks = WEEKS * args.years
    null = [programme_members(rng, 700, 0.0, weeks) for _ in range(args.clubs)]
    print(f"  without effect: false 'helps' within {args.years} years of weekly looks "
          f"{rate(sum(f is not None for f, _m in null), args.clubs)}  (goal <= 5%); interval left 0 at some look "
          f"{rate(sum(m for _f, m in null), args.clubs)}  (goal <= 5%)")
    five = [programme_members(rng, 700, 0.05, weeks)[0] for _ in range(args.clubs)]
    print(f"  +5 points: helps within 1 year {rate(sum(f is not None and f <= WEEKS for f in five), args.clubs)}; "
          f"within {args.years} years {rate(sum(f is not None for f in five), args.clubs)}")
    print(f"\n{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
