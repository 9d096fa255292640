"""The renewal report benchmark at a tiny size, on both engines: its generated year, its one-statement baseline and
the product's renewal and per-tool reports agree number for number (the bench raises otherwise), so the bench keeps
running as the reports change (it broke unnoticed when the tool comparison moved to the assignment log)."""
from datetime import UTC, datetime

from benchmarks import reports, reports_data


def test_the_reports_bench_runs_and_its_three_counts_agree(database_url):
    # The bench's generator dates everything from the real clock (the tests' frozen one is this process's only).
    data = reports_data.generate(datetime.now(UTC).replace(microsecond=0), cycles=400, touchpoints=6_000,
                                 messages=1_200, replies=50, seed=3)
    reports_data.load(database_url, data)
    result = reports.run("sqlite" if database_url.startswith("sqlite") else "postgresql", database_url, data,
                         samples=1, warmup=0)
    assert not any(check.startswith("PROBLEM") for check in result.checks), result.checks
    assert result.numbers["total",][0] == 400
    tools = [key for key in result.numbers if key[0] == "tool"]
    assert len(tools) == len(reports_data.TOOLS)
    # Both arms of every tool the generator drew cycles into are counted.
    assert sum(result.numbers[key][0] for key in tools) > 0 and sum(result.numbers[key][2] for key in tools) > 0
    assert result.report.median > 0 and result.baseline.median > 0
