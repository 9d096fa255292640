"""Scope everywhere: every lookup a staff form (or the API) makes by member id, phone or card code sees its own
club only. Club A's member, asked for by club B's staff with A's phone, card code or id, gets exactly the answer
a member who does not exist gets. The one exception: the check-in scan and the API check-in say `other_club`
for another club's card, so that the desk can send the member to their own club (a card code names one member in
the whole chain). Members holding a chain plan are the chain's guests: tests/test_chain.py."""
import difflib
import re
from datetime import timedelta

import pytest

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.extensions import db
from clubcrm.models import Booking, ClubSession, Member
from clubcrm.services import api_tokens, checkin, gdpr, members, packages, sales, sessions, tasks, web_leads
from clubcrm.sms import outbox
from tests.web import field_errors, flashes

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
# Shaped like A's values, held by nobody.
NOBODY = {"phone": "+358409999999", "card": "NOBODY-1", "id": "999999"}


@pytest.fixture
def clubs(make):
    """Club A with a member who holds a phone, a card and a membership; club B with its staff and a session."""
    club_a, club_b = make.club(name="A"), make.club(name="B")
    stranger = make.member(club=club_a, first_name="Alma", last_name="Anders", phone="+358401230001",
                           card_code="A-CARD-1", email="alma@example.org")
    make.membership(stranger)
    with unit_of_work():
        start = clock.utcnow() + timedelta(days=1)
        session = ClubSession(club_id=club_b.id, kind="class", title="Yoga", starts_at=start,
                              ends_at=start + timedelta(hours=1), capacity=10)
        db.session.add(session)
    return club_a, club_b, stranger, session


def theirs(stranger: Member) -> dict[str, str]:
    return {"phone": stranger.phone, "card": stranger.card_code, "id": str(stranger.id)}


def same_answer(ask, stranger: Member):
    """ASK(text) for each of A's values and for its nobody twin: the answers must be equal; return them."""
    answers = []
    for kind, value in theirs(stranger).items():
        mine, nobodys = ask(value), ask(NOBODY[kind])
        assert mine == nobodys, (kind, mine, nobodys)
        answers.append(mine)
    return answers


def refusal(call):
    """The DomainError CALL raises, as (type, field, code, message)."""
    with pytest.raises(DomainError) as caught:
        call()
    error = caught.value
    return type(error), error.field, error.code, str(error.message)


# --- the service functions ---------------------------------------------------------------------------------

def test_each_service_lookup_answers_not_found_for_another_clubs_member(make, clubs):
    club_a, club_b, stranger, session = clubs
    desk, manager = make.staff("desk", club=club_b), make.staff("manager", club=club_b)
    not_found = (NotFound, "member", "not_found", "No member has this card code, phone or id.")
    # The booking form's lookup by card code, phone or id.
    assert same_answer(lambda text: refusal(lambda: members.lookup(club_b, text)), stranger)[0] == not_found
    # By id, as every member page and the API load a member.
    for staff in (desk, manager):
        assert refusal(lambda s=staff: members.get_for(s, stranger.id)) == refusal(
            lambda s=staff: members.get_for(s, 999999))
    # The desk's search, and the web form's duplicate check, see nothing of club A.
    for text in (*theirs(stranger).values(), "Alma", "alma@example.org"):
        assert members.search(club_b.id, text, club_b.country) == []
    assert web_leads.find_duplicate(club_b, stranger.phone, stranger.email) is None
    # Handed A's member anyway, the services that act on one answer as for nobody, and write nothing.
    assert refusal(lambda: sessions.book(desk, session, stranger)) == not_found
    assert refusal(lambda: tasks.log_contact(desk, stranger, "talked", "hi")) == refusal(
        lambda: members.get_for(desk, 999999))
    assert refusal(lambda: gdpr.export(manager, stranger))[:2] == (NotFound, "member_id")
    assert refusal(lambda: members.update(manager, stranger, {"first_name": "Changed"})) == refusal(
        lambda: members.get_for(manager, 999999))
    db.session.rollback()
    assert db.session.query(Booking).count() == 0
    # The other ids a sale, a package or a session form takes: A's plan, service or trainer as an id nobody has.
    plan, service, trainer = make.plan(club=club_a), make.service(club=club_a), make.staff("desk", club=club_a)
    for find, row_id in ((sales.plan_for, plan.id), (packages.service_for, service.id)):
        assert refusal(lambda f=find, i=row_id: f(club_b.id, i)) == refusal(lambda f=find: f(club_b.id, 999999))
    assert refusal(lambda: sessions.trainer_for(club_b, trainer.id)) == refusal(
        lambda: sessions.trainer_for(club_b, 999999))
    # The contract, package and SMS services handed A's member refuse as for nobody, before writing anything.
    b_plan, b_service = make.plan(club=club_b), make.service(club=club_b)
    nobody = refusal(lambda: members.get_for(desk, 999999))
    today = clock.local_date(clock.utcnow(), club_b.timezone)
    for act in (lambda: sales.sell_membership(desk, stranger, b_plan.id, today),
                lambda: sales.freeze(desk, stranger, None, today, today, today),
                lambda: sales.end_freeze(desk, stranger, None, today),
                lambda: sales.cancel(desk, stranger, None, today, "no"),
                lambda: sales.sell_package(desk, stranger, b_service.id, today),
                lambda: packages.grant(desk, stranger, service, 1, today, "gift"),
                lambda: packages.redeem(desk, stranger, service.id, today),
                lambda: outbox.queue_from_staff(desk, stranger, "Hello", clock.utcnow())):
        assert refusal(act) == nobody
        db.session.rollback()
    # The exception: a card names one member in the chain, and checking A's member in at B says other_club
    # (A's plan is valid at home only), as does B's desk by default.
    assert checkin.member_for_card(club_b, stranger.card_code) == stranger
    assert refusal(lambda: checkin.check_in(desk, stranger, club=club_b))[2] == "other_club"
    assert refusal(lambda: checkin.check_in(desk, stranger))[2] == "other_club"
    assert checkin.member_for_card(club_b, NOBODY["card"]) is None


# --- over HTTP, logged in as club B's desk and manager ------------------------------------------------------

def page_of(response, member_id) -> tuple[int, str, str]:
    """Status, redirect and page, without CSRF tokens (signed afresh on every page) and with the member's id in
    URLs (the page's own, a redirect to the card) written as {id}."""
    def pattern(text: str) -> str:
        return re.sub(rf"/members/{member_id}\b", "/members/{id}", CSRF.sub("", text))
    return response.status_code, pattern(response.headers.get("Location", "")), pattern(response.get_data(as_text=True))


def member_routes(app) -> list[tuple[str, str]]:
    """Every staff page that loads a member by id: (method, URL pattern with {id})."""
    found = []
    for rule in app.url_map.iter_rules():
        if "member_id" not in rule.arguments or rule.rule.startswith("/api/"):
            continue
        values = {name: 1 for name in rule.arguments} | {"member_id": 424242}
        url = rule.build(values, append_unknown=False)[1].replace("424242", "{id}")
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize("role", ["desk", "manager"])
def test_each_staff_form_answers_not_found_for_another_clubs_member(app, web, login_as, make, clubs, role):
    club_a, club_b, stranger, session = clubs
    login_as(role, club=club_b)

    # Booking into a session of B: the form's error is the one for nobody.
    def book(text):
        response = web.post(f"/sessions/{session.id}/book", {"member": text})
        return response.status_code, field_errors(response)
    assert same_answer(book, stranger)[0] == (422, {"member": ["No member has this card code, phone or id."]})

    # The desk's search box: nobody matches.
    def search(text):
        page = web.get(f"/?q={text}&partial=1").text
        return "Alma" in page, page.count('class="empty"')
    assert same_answer(search, stranger)[0] == (False, 1)

    # The scanner: a phone or an id becomes a search, as for nobody; another club's card is said to be so.
    def scan(text):
        response = web.post("/scan", {"q": text})
        return response.status_code, response.headers["Location"].replace(text.replace("+", "%2B"), "…")
    for kind in ("phone", "id"):
        assert scan(theirs(stranger)[kind]) == scan(NOBODY[kind])
    scanned = web.post("/scan", {"q": stranger.card_code}, follow_redirects=True)
    assert "Check-in refused: This card belongs to a member of another club." in flashes(scanned)

    # Every page that loads a member by id (the card, edit, check-in, contacts, SMS, sales, packages, freezes,
    # the GDPR export and erasure): A's id is answered as an id nobody has.
    routes = member_routes(app)
    assert len(routes) >= 15 and ("POST", "/members/{id}/sell") in routes
    for method, url in routes:
        mine = page_of(web.open(method, url.format(id=stranger.id)), stranger.id)
        nobodys = page_of(web.open(method, url.format(id=NOBODY["id"])), NOBODY["id"])
        # Refused, or (the GET a failed form's URL answers) sent back to the card, which is refused.
        assert mine[0] in (403, 404) or mine[1] == "/members/{id}", (method, url, mine[:2])
        assert mine[:2] == nobodys[:2], (method, url)
        assert mine[2] == nobodys[2], (method, url, "\n".join(difflib.unified_diff(
            mine[2].splitlines(), nobodys[2].splitlines(), lineterm="", n=0)))

    # A's phone is free in B: a new lead with it is registered. A card code names one member in the whole chain
    # (a chain plan opens every desk), so A's card is refused, naming the field.
    taken = web.post("/members/new", {"first_name": "Bea", "last_name": "Berg", "phone": stranger.phone,
                                      "card_code": stranger.card_code, "locale": "en"})
    assert taken.status_code == 422 and field_errors(taken) == {
        "card_code": ["A member of another club of the chain already has this card code."]}
    created = web.post("/members/new", {"first_name": "Bea", "last_name": "Berg", "phone": stranger.phone,
                                        "card_code": "B-CARD-1", "locale": "en"})
    assert created.status_code == 302, field_errors(created)
    db.session.commit()
    assert db.session.query(Member).filter_by(club_id=club_b.id, phone=stranger.phone).count() == 1
    assert db.session.query(Booking).count() == 0


# --- the API, with a token of club B's desk -----------------------------------------------------------------

def test_the_api_answers_not_found_for_another_clubs_member_but_other_club_for_their_card(web, make, clubs):
    club_a, club_b, stranger, session = clubs
    with unit_of_work():
        token = api_tokens.issue(make.staff("desk", club=club_b), "")
    auth = {"Authorization": f"Bearer {token}"}

    def answer(response):
        return response.status_code, response.get_json()

    mine, nobodys = (answer(web.get(f"/api/v1/members/{i}", headers=auth)) for i in (stranger.id, NOBODY["id"]))
    assert mine == nobodys and mine[0] == 404
    mine, nobodys = (answer(web.open("POST", "/api/v1/checkins", json={"member_id": i}, headers=auth))
                     for i in (stranger.id, int(NOBODY["id"])))
    assert mine == nobodys and mine[0] == 404
    for text in (stranger.phone, stranger.card_code, "Alma"):
        assert answer(web.get(f"/api/v1/members?q={text.replace('+', '%2B')}", headers=auth)) == (
            200, {"members": []})
    lead = web.open("POST", "/api/v1/leads", json={"first_name": "Cleo", "phone": stranger.phone}, headers=auth)
    assert lead.status_code == 201 and lead.get_json()["member"]["id"] != stranger.id
    # The exception: A's card at B's turnstile says other_club.
    card = web.open("POST", "/api/v1/checkins", json={"card_code": stranger.card_code}, headers=auth)
    assert card.status_code == 403 and card.get_json()["error"]["code"] == "other_club"
