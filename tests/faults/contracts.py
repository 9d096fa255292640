"""What the contract fault tests share: loading as a view does, double clicks over HTTP, the final check."""
from functools import partial

from clubcrm.extensions import db
from clubcrm.integrity import problems
from clubcrm.models import Member, Staff
from tests.concurrency import together


def desk_and_member(staff_id: int, member_id: int) -> tuple[Staff, Member]:
    """Load the login and the member as a view does, before the service takes any lock."""
    return db.session.get(Staff, staff_id), db.session.get(Member, member_id)


def posts_at_once(app, staff, count: int, url: str, data: dict) -> list[int]:
    """POST DATA to URL from COUNT logged-in browsers of STAFF at the same instant; return the status codes
    (an exception the app let through counts as 500)."""
    clients = []
    for _ in range(count):
        client = app.test_client()
        assert client.post("/login", data={"email": staff.email, "password": "secret-pass"}).status_code == 302
        clients.append(client)
    db.session.commit()   # the test's own transaction must not hold SQLite's lock meanwhile

    def click(client) -> int:
        try:
            return client.post(url, data=data).status_code
        except Exception:  # noqa: BLE001 - the test client re-raises what a server would answer with a 500
            return 500

    return together([partial(click, client) for client in clients], timeout=60)


def assert_clean() -> None:
    """The database check finds nothing after a fault experiment."""
    db.session.commit()
    found = problems()
    assert not found, [str(p) for p in found]
