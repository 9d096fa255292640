"""Every fault experiment that ran on a database ends with the database check (`clubcrm check`) finding nothing."""
import pytest

from clubcrm.extensions import db
from clubcrm.integrity import problems


@pytest.fixture(autouse=True)
def database_check_after(request):
    """After a test that used the `app` fixture, run the invariants' checks on its database."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    yield
    with app.app_context():
        try:
            found = [str(problem) for problem in problems()]
        finally:
            db.session.rollback()
            db.session.remove()
    assert not found, found
