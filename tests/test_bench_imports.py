"""The import benchmarks at a tiny size, on both engines: each sample's import is undone before the next and the
baselines keep the same rows as the product (the benches raise otherwise). Both broke unnoticed when imported
people gained lead cycles (issue 17): undoing a sample hit a foreign key, and the baselines no longer wrote what the
imports write."""
from sqlalchemy import create_engine, func, select

from benchmarks import imports, moving_in
from clubcrm.models import LeadCycle
from tests.conftest import TODAY


def cycles(url: str, *where) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(LeadCycle.__table__).where(*where))
    finally:
        engine.dispose()


def engine_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_the_members_import_bench_undoes_each_sample(database_url):
    files = [imports.generate("fi", 300, seed=5)]
    [result] = imports.run(engine_of(database_url), database_url, files, samples=2, warmup=1, existing=200)
    assert result.counts["imported"] == result.counts["baseline"] > 0
    assert result.imported.median > 0 and result.baseline.median > 0
    assert cycles(database_url) == 0   # undone after the last sample, as the members are


def test_the_moving_in_bench_undoes_each_sample(database_url):
    files = moving_in.generate(60, TODAY)   # the day the import sees: the tests' pinned clock
    result = moving_in.run(engine_of(database_url), database_url, files, samples=2, warmup=1)
    assert result.memberships.median > 0 and result.visits.median > 0
    # The members' lead cycles stay theirs: every one was won by a sample's memberships, then opened again.
    assert cycles(database_url) == 60 and cycles(database_url, LeadCycle.ended_at.is_(None)) == 60
