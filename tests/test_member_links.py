"""Member links: the token (fixed length, unguessable, only its hash kept), the one plain 404 for every token that
opens nothing, the limit on misses, the private headers, and the token kept out of the logs."""
import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import Club, MemberLink, Touchpoint
from clubcrm.models.sms import Message
from clubcrm.services import gdpr, member_links
from tests.conftest import NOW, TODAY, make_app
from tests.gunicorn import Gunicorn


def linked(make, *, member=None, rule_key="renewal_45"):
    """A member with a membership, an SMS touchpoint of the renewal offer and a sent message holding their link;
    return (member, touchpoint, token)."""
    member = member or make.member(first_name="Mia", last_name="Link", phone="+358401234567", sms_consent=True)
    membership = make.membership(member)
    club = member.club
    with unit_of_work():
        rules = engine.club_rules(club)
        rule = next((r for r in rules if r.key == rule_key), None) or next(r for r in rules if r.channel == "sms")
        point = Touchpoint(club_id=club.id, member_id=member.id, membership_id=membership.id, tool_id=rule.tool_id,
                           rule_id=rule.id, stage="pre_renewal", channel="sms", status="sent", due_on=TODAY)
        db.session.add(point)
        db.session.flush()
        message = Message(club_id=club.id, member_id=member.id, touchpoint_id=point.id, idempotency_key=f"t:{point.id}",
                          to_phone=member.phone, body=f"Your offer: https://crm.example.com/m/{member_links.MASK}",
                          locale="en", encoding="GSM-7", segments=1, status="sent", due_at=NOW, created_at=NOW)
        db.session.add(message)
        db.session.flush()
        token = member_links.mint(message)
    return member, point, token


def test_a_token_is_short_fixed_and_kept_only_as_its_hash(make):
    member, point, token = linked(make)
    assert re.fullmatch(r"[A-Za-z0-9_-]{11}", token)
    assert len(member_links.new_token()) == member_links.TOKEN_LENGTH == len(member_links.MASK)
    link = db.session.scalar(select(MemberLink).where(MemberLink.member_id == member.id))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(link, c.key) for c in MemberLink.__table__.columns])
    assert link.expires_at == NOW + timedelta(days=30)
    found = member_links.find(token)
    assert (found.member.id, found.touchpoint.id) == (member.id, point.id)
    # Tokens differ: 64 random bits each.
    assert len({member_links.new_token() for _ in range(1000)}) == 1000


def test_masked_links_have_the_real_ones_length_and_sentences_go_with_the_link():
    body = f"Hi. Book here: https://x.example/m/{member_links.MASK}"
    assert len(member_links.unmask(body, "A" * 11)) == len(body)
    assert member_links.without_link_sentence("Hi Ann, a trial on Monday. Book here: {link}") == \
        "Hi Ann, a trial on Monday."
    assert member_links.without_link_sentence("Book: {link}") == ""


def test_every_dead_token_answers_the_same_plain_404(app, client, make):
    app.config["MEMBER_PAGE_MISSES_PER_MINUTE"] = 1000
    _, _, expired = linked(make)
    _, _, erased_token = linked(make, member=make.member(first_name="Eve", phone="+358401234568"))
    other_club = make.club(name="Page Off Club")
    _, _, page_off = linked(make, member=make.member(club=other_club, first_name="Otto", phone="+358401234569"))
    with unit_of_work():
        db.session.execute(MemberLink.__table__.update().where(MemberLink.token_hash == member_links.hash_token(
            expired)).values(expires_at=NOW - timedelta(seconds=1)))
        gdpr.erase(make.staff("manager"), member_links.find(erased_token).member, "ERASE")
        db.session.get(Club, other_club.id).member_page_enabled = False
    bodies = set()
    for token in (expired, erased_token, page_off, member_links.new_token(), "short", "x" * 300):
        for method, path in (("GET", ""), ("POST", "/viewed"), ("POST", "/renewal"), ("POST", "/book/1")):
            response = client.open(f"/m/{token}{path}", method=method)
            assert response.status_code == 404, (token, path)
            assert response.headers["Cache-Control"] == "no-store"
            assert "noindex" in response.headers["X-Robots-Tag"]
            bodies.add(response.data)
    assert len(bodies) == 1
    assert b"ClubCRM" not in bodies.pop()   # nothing says what is behind the link


def test_misses_are_limited_per_client_address(app, client, make):
    assert make.default_club   # a set-up installation: without a club every page leads to /setup
    app.config["MEMBER_PAGE_MISSES_PER_MINUTE"] = 3
    answers = [client.get(f"/m/{member_links.new_token()}").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert client.get("/m/abc").headers["Retry-After"]
    other = client.get("/m/abc", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 404


def test_a_post_without_its_csrf_token_gets_the_plain_page(database_url, make):
    secured = make_app(database_url, WTF_CSRF_ENABLED=True)
    _, _, token = linked(make)
    response = secured.test_client().post(f"/m/{token}/sms", data={"sms": "stop"})
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert b"ClubCRM" not in response.data
    with secured.app_context():
        db.session.remove()
        db.engine.dispose()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("urllib3"):   # the test's own HTTP client logs the URLs it asks for
            self.lines.append(self.format(record))


def test_the_development_servers_log_never_holds_a_token(app, make):
    from tests.browser.conftest import LiveServer

    _, point, token = linked(make)
    collect = _Collect()
    root = logging.getLogger()
    root.addHandler(collect)
    level, root.level = root.level, logging.DEBUG
    server = LiveServer(app).start()
    try:
        assert requests.get(server(f"/m/{token}"), timeout=10).status_code == 200
        assert requests.get(server(f"/m/{member_links.new_token()}"), timeout=10).status_code == 404
    finally:
        server.stop()
        root.removeHandler(collect)
        root.level = level
    log = "\n".join(collect.lines)
    assert "GET /m/<token>" in log
    assert token not in log


def test_gunicorns_access_log_never_holds_a_token(database_url, make, monkeypatch):
    _, _, token = linked(make)
    with unit_of_work():   # gunicorn runs on the real clock, not the tests' frozen one
        db.session.execute(MemberLink.__table__.update().values(expires_at=datetime.now(UTC) + timedelta(days=1)))
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--access-logfile -")
    with Gunicorn(database_url) as server:
        assert requests.get(f"{server.url}/m/{token}", timeout=10).status_code == 200
        assert requests.get(f"{server.url}/m/{member_links.new_token()}", timeout=10).status_code == 404
        log = server.log()
    assert '"GET /m/<token> HTTP/1.1" 200' in log
    assert token not in log


@pytest.mark.parametrize("path", ["", "/viewed"])
def test_an_erased_members_links_stop_at_once(client, make, path):
    member, _, token = linked(make)
    with unit_of_work():
        gdpr.erase(make.staff("manager"), member, "ERASE")
    assert client.open(f"/m/{token}{path}", method="GET" if not path else "POST").status_code == 404
    assert db.session.scalar(select(MemberLink.id).where(MemberLink.member_id == member.id)) is None


def test_the_gdpr_export_lists_links_and_page_events_without_token_or_hash(make):
    member, point, token = linked(make)
    found = member_links.find(token)
    with unit_of_work():
        member_links.record(found, "opened")
    document = gdpr.export(make.staff("manager"), member)
    [link] = document["member_links"]
    assert (link["touchpoint_id"], "token_hash" in link) == (point.id, False)
    assert [e["kind"] for e in document["member_page_events"]] == ["opened"]
    text = repr(document)
    assert token not in text and member_links.hash_token(token) not in text


def test_the_page_is_private_and_loads_nothing_from_another_site(client, make):
    member, _, token = linked(make)
    response = client.get(f"/m/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    addresses = re.findall(r'(?:src|href|action)="([^"]*)"', page)
    assert addresses and all(a.startswith(("/", "tel:", "#")) for a in addresses), addresses
    # Nothing of the member's but their first name: no phone, no last name.
    assert member.first_name in page and member.phone not in page and member.last_name not in page


def test_settings_warn_a_manager_when_no_public_address_lets_links_be_sent(app, client, login_as):
    login_as("manager")
    assert 'id="no-public-url"' in client.get("/settings/").get_data(as_text=True)
    app.config["PUBLIC_URL"] = "https://crm.example.com"
    assert 'id="no-public-url"' not in client.get("/settings/").get_data(as_text=True)
