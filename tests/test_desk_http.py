"""The desk through HTTP: bad input gets a clear message on its field and changes nothing; the happy
paths work end to end; staff see only their club and their role's pages.

Requests go through the conftest's client, whose requests run in a context of their own; the test's
own session is committed before each request so that what the test reads afterwards is fresh.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from clubcrm.clock import utcnow
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, ChecklistMark, Freeze, LedgerEntry, Member, Membership, Package, Visit
from clubcrm.services import packages, sales
from tests.statements import statements
from tests.web import field_errors, flashes
from tests.conftest import NOW, TODAY


def path_of(response) -> str:
    return urlsplit(response.location).path


def snapshot() -> dict:
    """Everything a desk action can write: row counts, balances, contract dates, member keys."""
    db.session.commit()
    state: dict = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Member, Membership, Freeze, LedgerEntry, Package, Visit, AuditEvent)
    }
    state["balances"] = [tuple(r) for r in db.session.execute(
        select(Package.id, Package.balance).order_by(Package.id))]
    state["memberships"] = [tuple(r) for r in db.session.execute(
        select(Membership.id, Membership.ends_on, Membership.cancelled_on, Membership.renews_id)
        .order_by(Membership.id))]
    state["members"] = [tuple(r) for r in db.session.execute(
        select(Member.id, Member.phone, Member.card_code, Member.converted_at).order_by(Member.id))]
    return state


def refused(response, field: str, message: str) -> None:
    """The form came back (422) with MESSAGE under FIELD."""
    assert response.status_code == 422, response.text[:2000]
    errors = field_errors(response)
    assert message in errors.get(field, []), f"expected {message!r} on {field!r}; errors shown: {errors}"


def balance(member, service) -> int:
    db.session.commit()
    return db.session.scalar(select(Package.balance).where(Package.member_id == member.id,
                                                           Package.service_id == service.id))


# --- (a) (b) a new lead with a bad or duplicate phone or card -------------------------------------


def test_new_lead_with_unreadable_phone_changes_nothing(make, web, login_as):
    login_as("desk")
    before = snapshot()
    response = web.post("/members/new", {"first_name": "Ann", "last_name": "Able", "phone": "12ab",
                                         "locale": "en"})
    refused(response, "phone", "This is not a phone number we can read.")
    assert snapshot() == before


@pytest.mark.parametrize("field, typed, message", [
    # A known phone is a known person: the desk is offered them (tests/test_desk_duplicates.py), nothing written.
    ("phone", "040 200 0001", "This person is already known"),
    ("card_code", "CARD-100", "Another member already has this card code."),
])
def test_new_lead_with_duplicate_phone_or_card_changes_nothing(make, web, login_as, field, typed, message):
    make.member(first_name="Old", last_name="Timer", phone="+358402000001", card_code="CARD-100")
    login_as("desk")
    before = snapshot()
    response = web.post("/members/new", {"first_name": "New", "last_name": "Comer", "locale": "en",
                                         "phone": "", "card_code": "", field: typed})
    if field == "phone":
        assert response.status_code == 409 and message in response.text and "Old Timer" in response.text
    else:
        refused(response, field, message)
    assert snapshot() == before


# --- (c) a sale of a plan the club does not sell ----------------------------------------------------


@pytest.mark.parametrize("which", ["missing", "other_club", "inactive"])
def test_sale_of_a_plan_the_club_does_not_sell_changes_nothing(make, web, login_as, which):
    member = make.member(phone="+358402000011")
    make.plan(name="Monthly")  # the club does sell something
    plan_id = {"missing": lambda: 999999,
               "other_club": lambda: make.plan(club=make.club(name="Other")).id,
               "inactive": lambda: make.plan(active=False).id}[which]()
    login_as("desk")
    before = snapshot()
    response = web.post(f"/members/{member.id}/sell", {"plan_id": str(plan_id)})
    refused(response, "plan_id", "Choose a plan that the club sells.")
    assert snapshot() == before
    assert db.session.get(Member, member.id).converted_at is None


# --- (d) a redeem with nothing to redeem ------------------------------------------------------------


def test_redeem_on_a_drained_package_changes_nothing(make, web, login_as):
    member, service = make.member(phone="+358402000021"), make.service(name="PT", package_units=1)
    login_as("desk")
    assert web.post(f"/members/{member.id}/packages/sell", {"service_id": str(service.id)}).status_code == 302
    redeem = {"redeem-service_id": str(service.id), "redeem-units": "1", "redeem-reason": ""}
    assert web.post(f"/members/{member.id}/packages/redeem", redeem).status_code == 302
    assert balance(member, service) == 0
    before = snapshot()
    response = web.post(f"/members/{member.id}/packages/redeem", redeem)
    refused(response, "redeem-units", "Not enough units left on this package.")
    assert snapshot() == before
    assert balance(member, service) == 0


def test_redeem_without_a_package_says_so_on_the_service(make, web, login_as):
    member, service = make.member(phone="+358402000022"), make.service(name="PT")
    login_as("desk")
    before = snapshot()
    response = web.post(f"/members/{member.id}/packages/redeem",
                        {"redeem-service_id": str(service.id), "redeem-units": "1"})
    refused(response, "redeem-service_id", "This member has no package of this service.")
    assert snapshot() == before


# --- (e) a freeze that overlaps another or ends before it starts -----------------------------------


@pytest.mark.parametrize("first, last, field, message", [
    (4, 10, "starts_on", "These days overlap another freeze."),
    (10, 8, "ends_on", "The last day cannot be before the first."),
])
def test_bad_freeze_changes_nothing(make, web, login_as, first, last, field, message):
    member = make.member(phone="+358402000031")
    membership = make.membership(member, make.plan(duration_days=30))
    login_as("desk")
    ok = web.post(f"/members/{member.id}/freeze", {
        "membership_id": str(membership.id), "starts_on": str(TODAY + timedelta(days=2)),
        "ends_on": str(TODAY + timedelta(days=5)), "reason": "travel"})
    assert ok.status_code == 302, ok.text
    before = snapshot()
    response = web.post(f"/members/{member.id}/freeze", {
        "membership_id": str(membership.id), "starts_on": str(TODAY + timedelta(days=first)),
        "ends_on": str(TODAY + timedelta(days=last)), "reason": ""})
    refused(response, field, message)
    assert snapshot() == before


# --- (f) a cancellation without a reason ------------------------------------------------------------


@pytest.mark.parametrize("reason, message", [
    ("", "This field is required."),
    ("   ", "Say why the membership is cancelled."),
])
def test_cancel_without_a_reason_changes_nothing(make, web, login_as, reason, message):
    member = make.member(phone="+358402000041")
    membership = make.membership(member)
    login_as("manager")
    before = snapshot()
    response = web.post(f"/members/{member.id}/cancel",
                        {"membership_id": str(membership.id), "reason": reason})
    refused(response, "reason", message)
    assert snapshot() == before
    assert db.session.get(Membership, membership.id).cancelled_on is None


# --- happy paths ---------------------------------------------------------------------------------


def test_create_lead_goes_to_the_card_with_the_phone_in_e164(make, web, login_as):
    login_as("desk")
    response = web.post("/members/new", {"first_name": " Anna ", "last_name": "Lead",
                                         "phone": "040 200 0001", "card_code": "CARD-1", "locale": "fi"})
    assert response.status_code == 302, response.text
    member = db.session.scalar(select(Member).where(Member.card_code == "CARD-1"))
    assert path_of(response) == f"/members/{member.id}"
    assert member.phone == "+358402000001"
    assert member.first_name == "Anna" and member.is_lead and member.source == "walk_in"
    card = web.get(path_of(response))
    assert card.status_code == 200
    assert "Anna Lead is registered as a lead." in flashes(card)


def test_first_sale_converts_the_lead(make, web, login_as):
    member = make.member(phone="+358402000051")
    plan = make.plan(name="Monthly", duration_days=30)
    login_as("desk")
    response = web.post(f"/members/{member.id}/sell", {"plan_id": str(plan.id), "starts_on": ""})
    assert response.status_code == 302, response.text
    assert path_of(response) == f"/members/{member.id}"
    db.session.commit()
    member = db.session.get(Member, member.id)
    assert member.converted_at == NOW
    sold = db.session.scalars(select(Membership).where(Membership.member_id == member.id)).all()
    assert [(m.plan_id, m.starts_on, m.ends_on, m.renews_id) for m in sold] == [
        (plan.id, TODAY, TODAY + timedelta(days=29), None)]
    assert any(text.startswith("Sold: Monthly until") for text in flashes(web.get(path_of(response))))


def test_renewal_inside_the_window_links_the_previous_membership(make, web, login_as):
    member = make.member(phone="+358402000061")
    plan = make.plan(name="Monthly", duration_days=30)
    started = TODAY - timedelta(days=20)
    previous = make.membership(member, plan, today=started, starts_on=started)  # ends in 9 days
    login_as("desk")
    response = web.post(f"/members/{member.id}/sell", {"plan_id": str(plan.id)}, follow_redirects=True)
    assert response.status_code == 200
    shown = flashes(response)
    assert any(text.startswith("Renewal sold: Monthly until") for text in shown), shown
    db.session.commit()
    renewal = db.session.scalar(select(Membership).where(Membership.member_id == member.id,
                                                         Membership.id != previous.id))
    assert renewal.renews_id == previous.id
    assert renewal.starts_on == previous.ends_on + timedelta(days=1)


def test_freeze_pushes_the_end_date_by_its_length(make, web, login_as):
    member = make.member(phone="+358402000071")
    membership = make.membership(member, make.plan(duration_days=30))
    ends_before = membership.ends_on
    login_as("desk")
    response = web.post(f"/members/{member.id}/freeze", {
        "membership_id": str(membership.id), "starts_on": str(TODAY + timedelta(days=2)),
        "ends_on": str(TODAY + timedelta(days=8)), "reason": "flu"})
    assert response.status_code == 302, response.text
    db.session.commit()
    assert db.session.get(Membership, membership.id).ends_on == ends_before + timedelta(days=7)
    assert db.session.scalar(select(func.count()).select_from(Freeze)) == 1


def test_redeem_one_unit_takes_one_and_writes_one_ledger_row(make, web, login_as):
    member, service = make.member(phone="+358402000081"), make.service(package_units=10)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
    login_as("desk")
    before = snapshot()
    response = web.post(f"/members/{member.id}/packages/redeem",
                        {"redeem-service_id": str(service.id), "redeem-units": "1", "redeem-reason": ""})
    assert response.status_code == 302, response.text
    after = snapshot()
    assert after["ledger_entry"] == before["ledger_entry"] + 1
    assert balance(member, service) == 9
    package = packages.package_of(member.id, service.id)
    assert db.session.scalar(select(func.sum(LedgerEntry.units))
                             .where(LedgerEntry.package_id == package.id)) == 9


def test_scan_of_a_card_checks_the_member_in(make, web, login_as):
    member = make.member(phone="+358402000091", card_code="SCAN-1")
    make.membership(member)
    login_as("desk")
    response = web.post("/scan", {"q": " SCAN-1 "})
    assert response.status_code == 302
    assert path_of(response) == f"/members/{member.id}"
    db.session.commit()
    visits = db.session.scalars(select(Visit).where(Visit.member_id == member.id)).all()
    assert len(visits) == 1 and visits[0].checked_in_at == NOW
    assert f"{member.full_name} checked in." in flashes(web.get(path_of(response)))


def test_scan_of_a_name_goes_to_the_search(make, web, login_as):
    make.member(first_name="Anna", last_name="Smith", phone="+358402000092", card_code="SCAN-2")
    login_as("desk")
    before = snapshot()
    response = web.post("/scan", {"q": "Anna"})
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/" and "q=Anna" in urlsplit(response.location).query
    assert snapshot() == before


@pytest.mark.parametrize("query", ["040 200 0001", "+358 40 200 0001", "00358402000001", "anna",
                                   "ANNA SM", "smith", "sMiTh a", "CARD-7"])
def test_desk_search_finds_by_phone_name_prefix_and_card(make, web, login_as, query):
    anna = make.member(first_name="Anna", last_name="Smith", phone="+358402000001", card_code="CARD-7")
    bob = make.member(first_name="Bob", last_name="Jones", phone="+358402000002", card_code="CARD-8")
    login_as("desk")
    response = web.get("/", query_string={"q": query, "partial": "1"})
    assert response.status_code == 200
    assert f'href="/members/{anna.id}"' in response.text
    assert f'href="/members/{bob.id}"' not in response.text


# --- who may see what ---------------------------------------------------------------------------


def test_desk_of_one_club_gets_404_for_another_clubs_member(make, web, login_as):
    other = make.club(name="Other Club")
    stranger = make.member(club=other, phone="+358402000101", card_code="B-1")
    make.membership(stranger)  # a check-in would succeed if the scope were not enforced
    login_as("desk")
    before = snapshot()
    assert web.get(f"/members/{stranger.id}").status_code == 404
    assert web.get(f"/members/{stranger.id}/edit").status_code == 404
    assert web.post(f"/members/{stranger.id}/checkin").status_code == 404
    scanned = web.post("/scan", {"q": "B-1"})  # another club's card: no check-in, a search
    assert scanned.status_code == 302 and urlsplit(scanned.location).path == "/"
    assert ("Check-in refused: This card belongs to a member of another club."
            in flashes(web.get(scanned.location)))
    assert snapshot() == before


def test_desk_gets_403_on_manager_pages(make, web, login_as):
    member = make.member(phone="+358402000111")
    membership = make.membership(member)
    service = make.service()
    login_as("desk")
    before = snapshot()
    assert web.get("/settings/").status_code == 403
    assert web.post(f"/members/{member.id}/cancel",
                    {"membership_id": str(membership.id), "reason": "moving"}).status_code == 403
    assert web.post(f"/members/{member.id}/packages/grant",
                    {"grant-service_id": str(service.id), "grant-units": "5"}).status_code == 403
    assert web.post("/settings/plans", {"name": "X", "duration_days": "30", "price": "1"}).status_code == 403
    assert snapshot() == before


def test_anonymous_is_sent_to_login(make, web):
    member = make.member(phone="+358402000121")
    before = snapshot()
    for method, url in [("GET", "/"), ("GET", f"/members/{member.id}"), ("GET", "/members/new"),
                        ("GET", "/settings/"), ("POST", "/scan"), ("POST", f"/members/{member.id}/checkin"),
                        ("POST", f"/members/{member.id}/sell")]:
        response = web.open(method, url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert path_of(response) == "/login", (method, url, response.location)
    assert snapshot() == before


# --- a refusal must be visible even where the card would not offer the form ------------------------


@pytest.mark.parametrize("action", ["freeze", "cancel", "package", "grant"])
def test_refusal_is_shown_even_when_the_card_does_not_offer_the_form(make, web, login_as, action):
    """A form the card hides (no live contract, no services) must still show why it was refused."""
    member = make.member(phone="+358402000131")
    started = TODAY - timedelta(days=40)
    ended = make.membership(member, make.plan(duration_days=30), today=started, starts_on=started)
    url, data, field, message = {
        "freeze": (f"/members/{member.id}/freeze",
                   {"membership_id": str(ended.id), "starts_on": str(TODAY + timedelta(days=1)),
                    "ends_on": str(TODAY + timedelta(days=3))},
                   "starts_on", "The freeze must start before the membership ends on Feb 27, 2026."),
        "cancel": (f"/members/{member.id}/cancel", {"membership_id": str(ended.id), "reason": "moving"},
                   "membership_id", "This membership has already ended."),
        "package": (f"/members/{member.id}/packages/sell", {"service_id": "999999"},
                    "service_id", "Choose a service."),
        "grant": (f"/members/{member.id}/packages/grant", {"grant-service_id": "999999", "grant-units": "1"},
                  "grant-service_id", "Choose a service."),
    }[action]
    login_as("manager")
    before = snapshot()
    refused(web.post(url, data), field, message)
    assert snapshot() == before


def test_desk_ends_a_freeze_from_the_card(web, login_as, make):
    login_as("desk")
    member = make.member()
    membership = make.membership(member, make.plan(duration_days=30))
    end = membership.ends_on
    with unit_of_work():
        sales.freeze(make.desk(), member, membership.id, TODAY, TODAY + timedelta(days=4), TODAY)
    page = web.get(f"/members/{member.id}").text
    assert "End today" in page or "Remove" in page
    entry_id = membership.freezes[0].id
    response = web.post(f"/members/{member.id}/freezes/{entry_id}/end", follow_redirects=True)
    assert "Freeze ended" in " ".join(flashes(response))
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).ends_on == end


def test_results_show_each_members_status_in_one_query(web, login_as, make):

    login_as("desk")
    lead = make.member(first_name="Stat", last_name="Lead")
    active = make.member(first_name="Stat", last_name="Active")
    make.membership(active, make.plan(duration_days=30))
    expired = make.member(first_name="Stat", last_name="Gone")
    make.membership(expired, make.plan(duration_days=10), today=TODAY - timedelta(days=20),
                    starts_on=TODAY - timedelta(days=20))
    db.session.commit()
    with statements() as seen:
        page = web.get("/?q=stat&partial=1").text
    # The login, the search, other clubs' chain members by exact card or phone, every result's contracts at once.
    assert len(seen) == 4
    rows = {name: page.split(name, 1)[1].split("</tr>", 1)[0] for name in ("Stat Lead", "Stat Active", "Stat Gone")}
    assert "stage-lead" in rows["Stat Lead"] and lead.id
    assert "stage-active" in rows["Stat Active"] and "29 days left" in rows["Stat Active"]
    assert "stage-expired" in rows["Stat Gone"]


@pytest.mark.parametrize("results", [2, 12])
def test_the_whole_search_page_runs_the_same_statements_for_any_number_of_results(web, login_as, make, results):
    """The full page (nav, checklist) as the desk opens it, not only the results fragment."""
    login_as("desk")
    for number in range(results):
        make.membership(make.member(first_name="Count", last_name=f"Member{number}"), make.plan(duration_days=30))
    db.session.commit()
    with statements() as seen:
        page = web.get("/?q=count").text
    assert page.count("Count Member") == results
    # The login; the search, the results' contracts, other clubs' members; the nav's tasks. Before, each result
    # and its contracts were reloaded, and then the club and the login again after an empty commit of the checklist.
    assert len(seen) == 5, [" ".join(s.split())[:90] for s in seen]


def test_a_managers_search_page_commits_nothing_once_the_checklist_is_finished(web, login_as, make):
    """The checklist writes once, when a manager first sees it finished; later pages only read it (its marks), so
    nothing they loaded is expired and loaded again."""
    login_as("manager")
    make.membership(make.member(first_name="Count", last_name="Member"), make.plan(duration_days=30))
    db.session.add(ChecklistMark(club_id=make.default_club.id, item="all", kind="finished", created_at=utcnow()))
    db.session.commit()
    with statements() as seen:
        page = web.get("/?q=count").text
    assert "Count Member" in page
    # The login; the checklist's marks; the search, the contracts, other clubs' members; the nav's tasks.
    assert len(seen) == 6, [" ".join(s.split())[:90] for s in seen]
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in seen)
