"""The HTTP benchmarks' machinery at a tiny size, on both engines: ClubCRM under a real gunicorn (production config)
and the floor app under the same settings list the same members for the same searches and check members in (so the
floor really does the desk's work); the desk and mixed-load benches run end to end; no process is left behind."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select

from benchmarks import dataset, desk_data, desk_http, mixed_load
from benchmarks.gunicorn_run import serve_clubcrm, serve_floor
from benchmarks.http_desk_client import Browser, checked_in, desk_people, name_query, typed_phone
from clubcrm.models import Visit


@pytest.fixture
def desk_club(database_url) -> str:
    """A tiny generated desk club (touchpoints, open tasks, SMS) at DATABASE_URL."""
    # The servers run on the real clock (the tests' frozen one is in this process only): today is today.
    data = desk_data.generate(300, 6_000, datetime.now(UTC).replace(microsecond=0), seed=7)
    dataset.load_rows(database_url, data.head, data.tables)
    return database_url


def visits(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Visit.__table__))
    finally:
        engine.dispose()


def test_product_and_floor_list_the_same_members_and_check_in(desk_club):
    people, ready = desk_people(desk_club, dataset.CLUB_ID)
    before = visits(desk_club)
    with serve_clubcrm(desk_club, workers=1) as product, serve_floor(desk_club, workers=1) as floor:
        assert product.port != floor.port
        mine = Browser(product.url).login(desk_data.DESK_EMAIL, desk_data.PASSWORD)
        plain = Browser(floor.url).login(desk_data.DESK_EMAIL, desk_data.PASSWORD)
        for i, person in enumerate(people[:4]):
            for query in (name_query(i, person), typed_phone(person.phone), person.card):
                listed = mine.search(query, expect=person.id)
                assert listed, query
                assert plain.search(query, expect=person.id) == listed, query
        for browser, person in ((mine, ready[0]), (plain, ready[1])):
            _post_ms, _card_ms, page = browser.scan(person.card, person.id)
            assert checked_in(page), page[:2000]
            assert person.first in page
        mine.close()
        plain.close()
        pids = [product.process.pid, floor.process.pid]
    assert visits(desk_club) == before + 2
    for pid in pids:   # the masters (and with them their process groups) are gone
        with pytest.raises(ProcessLookupError):
            import os

            os.killpg(pid, 0)


def test_the_desk_and_mixed_load_benches_run_end_to_end(desk_club, capsys):
    result = desk_http.run("engine", desk_club, dataset.CLUB_ID, samples=4, warmup=1, clients=2, workers=1)
    assert [(s.operation, s.clients) for s in result.series] == [
        (op, n) for n in (1, 2) for op in ("search: name", "search: phone", "search: card code", "scan -> card")]
    assert all(len(s.product) >= 4 and len(s.floor) == len(s.product) for s in result.series)
    assert any("same members" in check for check in result.checks)
    assert set(result.statements) == {"search: name", "scan (POST)", "card page"}
    mixed = mixed_load.run("engine", desk_club, dataset.CLUB_ID, samples=4, clients=3, report_clients=1,
                           workers=1, rounds=1)
    assert [p.loaded for p in mixed.phases] == [False, True]
    assert all(p.all_desk() for p in mixed.phases)
    assert sum(mixed.merged(True).statuses.values()) >= 1
    desk_http.report([result], "desk")
    mixed_load.report([mixed], "mixed")
    printed = capsys.readouterr().out
    assert "scan -> card" in printed and "all desk actions" in printed
