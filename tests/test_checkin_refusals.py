"""Refusals that lead somewhere (issue 16): the card shows why a member cannot check in instead of a button that
fails, "sell and check in" is one transaction, and a manager lets a member in once with their own password."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Membership, Visit
from clubcrm.services import members
from clubcrm.db import unit_of_work
from tests.conftest import TODAY
from tests.web import field_errors, flashes


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def expired(make, **values):
    member = make.member(**values)
    make.membership(member, today=TODAY - timedelta(days=60))   # 30 days, ended a month ago
    return member


def let_in(web, member, manager, password="secret-pass", reason="Card at home, paid yesterday"):
    return web.post(f"/members/{member.id}/let-in",
                    {"approver_email": manager.email, "password": password, "reason": reason})


# --- the card says why, instead of a check-in button that will fail ----------------------------------------


def test_an_expired_members_card_shows_the_refusal_and_the_ways_on(make, web, login_as):
    login_as("desk")
    member = expired(make, first_name="Eva", last_name="Expired")
    page = web.get(f"/members/{member.id}")
    assert page.status_code == 200
    assert 'id="checkin"' not in page.text
    refused = re.search(r'<div class="refusal" id="checkin-refused" data-code="expired">(.*?)</div>', page.text, re.S)
    assert refused and "The membership expired on" in refused.group(1)
    assert 'id="sell-and-check-in"' in refused.group(1) and 'id="let-in-once"' in refused.group(1)


def test_an_active_members_card_offers_the_check_in(make, web, login_as):
    login_as("desk")
    member = make.member()
    make.membership(member)
    page = web.get(f"/members/{member.id}")
    assert 'id="checkin"' in page.text and 'id="checkin-refused"' not in page.text


def test_a_frozen_member_is_offered_the_override_but_no_sale(make, web, login_as):
    from clubcrm.services import sales

    desk = login_as("desk")
    member = make.member()
    membership = make.membership(member)
    with unit_of_work():
        sales.freeze(desk, members.get_for(desk, member.id), membership.id, TODAY, TODAY + timedelta(days=9), TODAY)
    page = web.get(f"/members/{member.id}")
    assert 'data-code="frozen"' in page.text
    assert 'id="sell-and-check-in"' not in page.text and 'id="let-in-once"' in page.text


# --- sell and check in: one flow, one transaction ------------------------------------------------------------


def test_sell_and_check_in_opens_the_sell_form_set_to_check_in(make, web, login_as):
    login_as("desk")
    lead = make.member(first_name="Leo", last_name="Lead")
    page = web.get(f"/members/{lead.id}?sell=checkin")
    assert page.status_code == 200
    assert re.search(r'<details class="card-form" id="section-sell"[^>]*open', page.text)
    assert re.search(r'name="check_in"[^>]*checked|checked[^>]*name="check_in"', page.text)


def test_sell_and_check_in_sells_and_logs_the_visit(make, web, login_as):
    login_as("desk")
    lead = make.member(first_name="Leo", last_name="Lead")
    plan = make.plan()
    response = web.post(f"/members/{lead.id}/sell", {"plan_id": plan.id, "check_in": "y"})
    assert response.status_code == 302, field_errors(response)
    assert count(Membership, Membership.member_id == lead.id) == 1
    visit = db.session.scalar(select(Visit).where(Visit.member_id == lead.id))
    assert visit is not None and visit.source == "desk"
    assert any("Leo Lead checked in." in text for text in flashes(web.get(f"/members/{lead.id}")))


def test_a_refused_check_in_undoes_the_sale(make, web, login_as):
    """A membership sold to start next week cannot let the member in today: neither the sale nor a visit stays."""
    login_as("desk")
    lead = make.member()
    plan = make.plan()
    response = web.post(f"/members/{lead.id}/sell", {"plan_id": plan.id, "check_in": "y",
                                                     "starts_on": (TODAY + timedelta(days=7)).isoformat()})
    assert response.status_code == 422
    assert "The membership starts on" in response.text
    assert count(Membership, Membership.member_id == lead.id) == 0
    assert count(Visit, Visit.member_id == lead.id) == 0


# --- a manager lets a member in once ----------------------------------------------------------------------------


def test_a_manager_lets_an_expired_member_in_once_with_their_password(make, web, login_as):
    desk = login_as("desk")
    manager = make.staff("manager")
    member = expired(make, first_name="Eva", last_name="Expired")
    response = let_in(web, member, manager)
    assert response.status_code == 302, field_errors(response)
    visit = db.session.scalar(select(Visit).where(Visit.member_id == member.id))
    assert (visit.source, visit.staff_id) == ("override", desk.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "override"))
    assert (event.staff_id, event.entity_id, event.member_id) == (manager.id, visit.id, member.id)
    assert event.after == {"reason": "Card at home, paid yesterday", "desk": desk.id, "standing": "expired"}
    assert any("Eva Expired let in once" in text for text in flashes(web.get(f"/members/{member.id}")))


@pytest.mark.parametrize("case", ["wrong password", "desk login", "no reason", "other club's manager"])
def test_an_override_without_a_managers_approval_writes_no_visit(make, web, login_as, case):
    login_as("desk")
    member = expired(make)
    approver = make.staff("desk" if case == "desk login" else "manager",
                          club=make.club(name="Elsewhere") if case == "other club's manager" else None)
    response = let_in(web, member, approver, password="not-the-password" if case == "wrong password" else "secret-pass",
                      reason="" if case == "no reason" else "Paid at the bar")
    assert response.status_code == 422
    errors = field_errors(response)
    expected = {"wrong password": ("password", "Wrong manager's email or password."),
                "desk login": ("approver_email", "Only a manager of this club can let a member in."),
                "other club's manager": ("approver_email", "Only a manager of this club can let a member in."),
                "no reason": ("reason", None)}[case]
    assert expected[0] in errors, errors
    if expected[1]:
        assert expected[1] in errors[expected[0]]
    assert count(Visit) == 0 and count(AuditEvent, AuditEvent.action == "override") == 0
    assert re.search(r'<details class="card-form" id="section-override"[^>]*open', response.text)


def test_guessing_a_managers_password_at_the_desk_is_throttled_like_a_login(make, web, login_as, app):
    """Each approval is a login attempt: after the per-account-and-client limit of wrong guesses even the right
    password is refused, so a desk cannot try a manager's passwords without end."""
    login_as("desk")
    manager = make.staff("manager")
    member = expired(make)
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT"]):
        assert let_in(web, member, manager, password="guess").status_code == 422
    assert let_in(web, member, manager).status_code == 422
    assert count(Visit) == 0


def test_the_overrides_report_counts_and_lists_them(make, web, login_as, client):
    desk = login_as("desk")
    manager = make.staff("manager", name="Maria Manager")
    member = expired(make, first_name="Eva", last_name="Expired")
    assert let_in(web, member, manager).status_code == 302
    with client.session_transaction() as session:   # the manager logs in on this browser
        session.clear()
    assert client.post("/login", data={"email": manager.email, "password": "secret-pass"}).status_code == 302
    page = web.get("/reports/overrides")
    assert page.status_code == 200
    assert "1 check-in let in by a manager in this period." in page.text
    row = re.search(r"<tr><td>.*?Eva Expired.*?</tr>", page.text, re.S).group(0)
    assert "membership expired" in row and "Card at home, paid yesterday" in row and "Maria Manager" in row
    assert desk.name in row
