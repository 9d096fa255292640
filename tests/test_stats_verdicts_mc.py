"""The Monte Carlo of the verdict procedure (benchmarks/verdicts_mc.py) runs, and its Poisson draws are Poisson."""
import math
import random
import statistics

from benchmarks import verdicts_mc


def test_the_monte_carlo_runs_at_a_tiny_size(capsys):
    verdicts_mc.main(["--clubs", "2", "--years", "1", "--seed", "3"])
    out = capsys.readouterr().out
    assert out.count("(goal <= 5%)") >= 10 and "judge plans" in out and "A chain of 3" in out
    assert "with members, not independent cycles" in out and "+5 points: helps within 1 year" in out


def test_poisson_draws_have_the_mean_and_variance_of_a_poisson():
    rng = random.Random(8)
    for mu in (0.4, 6.0, 27.0, 197.0):     # inversion below 10, Hörmann's PTRS above
        draws = [verdicts_mc.poisson(rng, mu) for _ in range(20000)]
        assert abs(statistics.fmean(draws) - mu) < 4 * math.sqrt(mu / 20000)
        assert abs(statistics.variance(draws) / mu - 1) < 0.05
