"""The probe's double clicks against a real gunicorn with 4 worker processes: identical freeze, package sale, new
lead and staff SMS POSTs at the same instant from 5 browsers each make one row and answer no 500."""
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import Freeze, LedgerEntry, Member, Membership, Message
from tests.concurrency import together
from tests.faults.contracts import assert_clean
from tests.gunicorn import Gunicorn

ROOT = Path(__file__).resolve().parents[2]
CLICKS = 5


@pytest.fixture
def server(app, database_url):
    """gunicorn -w 4 on a free loopback port, serving the test's database on the real clock."""
    with Gunicorn(database_url, workers=4, timeout=30, settings={"SALE_REPEAT_SECONDS": "60"}) as running:
        yield running


def clicks(server: Gunicorn, staff, url: str, data: dict) -> list[int]:
    """POST DATA to URL from CLICKS logged-in browsers at once; return the status codes."""
    browsers = []
    for _ in range(CLICKS):
        browser = requests.Session()
        answer = browser.post(f"{server.url}/login", data={"email": staff.email, "password": "secret-pass"},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:300]
        browsers.append(browser)
    statuses = together([partial(browser.post, f"{server.url}{url}", data=data, allow_redirects=False, timeout=60)
                         for browser in browsers])
    statuses = [answer.status_code for answer in statuses]
    for browser in browsers:
        browser.close()
    # A 500 names its cause in the server's log: show it with the statuses.
    assert 500 not in statuses, f"{url}: {statuses}\n{server.log()[-4000:]}"
    return statuses


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_double_clicks_on_gunicorn_make_one_row_each(make, server):
    clock.set_now(None)   # the server runs on the real clock: the data is made on it too
    today = clock.local_today(make.default_club.timezone)
    desk = make.staff("desk")
    member = make.member(sms_consent=True)
    membership = make.membership(member, make.plan(duration_days=30), today=today)
    end = membership.ends_on
    service = make.service(package_units=10)
    db.session.commit()

    first, last = today + timedelta(days=2), today + timedelta(days=11)
    statuses = clicks(server, desk, f"/members/{member.id}/freeze",
                      {"membership_id": membership.id, "starts_on": first.isoformat(), "ends_on": last.isoformat()})
    assert sorted(statuses) == [302] * CLICKS
    assert count(Freeze) == 1
    assert db.session.get(Membership, membership.id).ends_on == end + timedelta(days=10)

    assert sorted(clicks(server, desk, f"/members/{member.id}/packages/sell", {"service_id": service.id})) == \
        [302] * CLICKS
    assert count(LedgerEntry, LedgerEntry.kind == "grant") == 1

    assert sorted(clicks(server, desk, "/members/new", {"first_name": "Aino", "last_name": "Virtanen",
                                                        "phone": "+358401234567", "locale": "en"})) == [302] * CLICKS
    assert count(Member, Member.last_name == "Virtanen") == 1

    assert sorted(clicks(server, desk, f"/members/{member.id}/sms", {"body": "See you at the desk."})) == \
        [302] * CLICKS
    assert count(Message) == 1
    assert_clean()
