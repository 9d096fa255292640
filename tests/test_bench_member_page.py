"""The member page bench at a tiny size, on both engines: minted links open the same page on ClubCRM under a real
gunicorn (production config) and on the floor (the same sessions, bookings, balances and words), an unknown token
opens nothing on either, and the bench runs end to end."""
from datetime import UTC, datetime

import pytest

from benchmarks import dataset, desk_data, member_page_http
from benchmarks.gunicorn_run import serve_clubcrm, serve_floor
from benchmarks.http_desk_client import Browser


@pytest.fixture
def minted(database_url):
    """A tiny desk club at DATABASE_URL with 30 member links (the servers run on the real clock: so do the links)."""
    now = datetime.now(UTC).replace(microsecond=0)
    data = desk_data.generate(300, 3_000, now, seed=7)
    dataset.load_rows(database_url, data.head, data.tables)
    return database_url, member_page_http.mint(database_url, dataset.CLUB_ID, now, links=30, seed=7)


def test_links_cover_what_the_page_shows(minted):
    _url, links = minted
    assert len(links.links) == 30
    assert len({link.token for link in links.links}) == 30
    assert all(len(link.token) == 11 for link in links.links)
    kinds = {link.kind for link in links.links}
    carriers = {link.carrier for link in links.links}
    assert {"booked", "packages", "lead", "current"} <= kinds
    assert {"renewal_45", "class_invite", "lead_trial_invite", "none"} <= carriers


def test_product_and_floor_show_the_same_pages(minted):
    url, links = minted
    with serve_clubcrm(url, workers=1) as product, serve_floor(url, workers=1) as floor:
        mine, plain = Browser(product.url), Browser(floor.url)
        try:
            checks = member_page_http.same_pages(mine, plain, links.links)
            pages = [member_page_http.facts(member_page_http.open_page(b, links.links[0].token)) for b in (mine, plain)]
            assert pages[0] == pages[1] and pages[0].text
            for browser in (mine, plain):
                status, _loc, _body = browser.request("GET", "/m/AAAAAAAAAAA")
                assert status == 404
        finally:
            mine.close()
            plain.close()
    assert "for all 30 tokens" in checks[0]
    # Something to compare: sessions on most pages, bookings and packages on some.
    listed = int(checks[0].split(": ", 1)[1].split(" pages listed sessions")[0])
    assert listed >= 15, checks[0]


def test_the_member_page_bench_runs_end_to_end(minted, capsys):
    url, links = minted
    result = member_page_http.run("engine", url, dataset.CLUB_ID, samples=4, warmup=1, clients=2, workers=1,
                                  minted=links)
    assert [(s.operation, s.clients) for s in result.series] == [("member page", 1), ("member page", 2)]
    assert all(len(s.product) >= 4 and len(s.floor) == len(s.product) for s in result.series)
    assert any("same page" in check for check in result.checks)
    (product, floor), = result.statements.values()
    assert product >= floor >= 6
    member_page_http.report([result], "member page")
    assert "member page" in capsys.readouterr().out
