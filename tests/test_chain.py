"""Chain access (issue 13, point 5): a member whose plan is valid in every club of the chain checks in at another
club's desk (scan, guest view, API); the visit is recorded where it happened, on the home club's membership, and
counts for the member at home (the card, the lifecycle engine's facts, the reports) while the visiting club's
reports show it as a guest visit. A home-only plan is refused there with `other_club`; the other club's desk finds a
chain member by card code or exact phone only, and sees nothing but what the check-in needs. Card codes name one
member in the whole chain: the services refuse a code used in any club, and the migration that makes them unique
names any duplicates and stops."""
import secrets
from datetime import timedelta

import pytest
from alembic import command
from babel.dates import format_date
from sqlalchemy import inspect, select, text

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, InvalidInput
from clubcrm.extensions import db
from clubcrm.imports.headers import guess_mapping
from clubcrm.imports.reading import read_table
from clubcrm.imports.run import run
from clubcrm.lifecycle import facts
from clubcrm.models import Club, Member, Plan, Visit
from clubcrm.phones import display
from clubcrm.reports import activity
from clubcrm.reports.scope import Scope
from clubcrm.services import api_tokens, chain, checkin, club_closing, members, sales
from tests.conftest import ENGINES, NOW, ROOT, TODAY, make_app
from tests.report_snapshots import compute_all
from tests.web import field_errors, flashes

MONDAY = TODAY - timedelta(days=TODAY.weekday())
CHAIN_UNIQUE_REVISION = "8fc6527b28fc"


@pytest.fixture
def clubs(make):
    """Club A with Carla (a chain plan) and Hugo (a home-only plan); club B, a second club of the chain."""
    club_a = make.default_club
    club_b = make.club(name="Harbour Club")
    carla = make.member(first_name="Carla", last_name="Chain", phone="+358401110001", card_code="CARLA-1",
                        email="carla@example.org", notes="Knee surgery in May")
    carla_plan = make.plan(club=club_a, name="Chain year", chain_wide=True)
    carlas = make.membership(carla, plan=carla_plan)
    hugo = make.member(first_name="Hugo", last_name="Home", phone="+358401110002", card_code="HUGO-1")
    make.membership(hugo, plan=make.plan(club=club_a, name="Home month"))
    return club_a, club_b, carla, carlas, hugo


def visits_of(member) -> list[tuple[int, int | None]]:
    db.session.expire_all()
    return list(db.session.execute(select(Visit.club_id, Visit.membership_id).where(Visit.member_id == member.id)))


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_a_chain_plan_is_copied_to_the_membership_and_set_in_the_plan_form(make, web, login_as, clubs):
    club_a, _club_b, _carla, carlas, _hugo = clubs
    assert carlas.chain_wide is True
    login_as("manager")
    added = web.post("/settings/plans", {"name": "Chain month", "duration_days": "30", "price": "49",
                                         "chain_wide": "y"})
    assert added.status_code == 302, field_errors(added)
    home = web.post("/settings/plans", {"name": "Local month", "duration_days": "30", "price": "39"})
    assert home.status_code == 302, field_errors(home)
    db.session.expire_all()
    plans = dict(db.session.execute(select(Plan.name, Plan.chain_wide).where(Plan.club_id == club_a.id)).all())
    assert plans["Chain month"] is True and plans["Local month"] is False
    page = web.get("/settings/").text
    assert page.count('class="plan-scope">every club of the chain') == 2   # Chain year, Chain month
    assert page.count('class="plan-scope">home club only') == 2             # Home month, Local month


def test_a_chain_member_scanned_at_another_clubs_desk_is_checked_in_there_and_counted_at_home(
        make, web, login_as, clubs, app):
    club_a, club_b, carla, carlas, hugo = clubs
    login_as("desk", club=club_b)
    scanned = web.post("/scan", {"q": " carla-1 "})
    assert scanned.status_code == 302 and scanned.headers["Location"].endswith(f"/members/{carla.id}/guest")
    # Recorded where it happened, on the home club's membership.
    assert visits_of(carla) == [(club_b.id, carlas.id)]
    # The guest view: what the check-in needs, nothing of the member's contacts or notes.
    guest = web.get(f"/members/{carla.id}/guest")
    page = guest.text
    assert guest.status_code == 200 and "Carla Chain checked in." in flashes(guest)
    assert "CARLA-1" in page and "Member of Test Club" in page and "29 days left" in page
    assert not any(secret in page for secret in (carla.phone, display(carla.phone), "carla@example.org", "Knee"))
    # The member's pages stay closed to club B's desk.
    for url in (f"/members/{carla.id}", f"/members/{carla.id}/edit"):
        assert web.get(url).status_code == 404
    # A second press of the guest view's button moments later is the same visit.
    again = web.post(f"/members/{carla.id}/guest/checkin", {})
    assert again.status_code == 302 and visits_of(carla) == [(club_b.id, carlas.id)]

    # The lifecycle engine's facts for club A count the visit at B (no silence, one visit this week).
    club_facts = facts.load(club_a.id, club_a.timezone, TODAY, NOW)
    seen = club_facts.visits[carla.id]
    assert (seen.last_visit, seen.last_7, seen.last_30, seen.by_membership) == (TODAY, 1, 1, {carlas.id: 1})
    assert carla.id not in facts.load(club_b.id, club_b.timezone, TODAY, NOW).visits

    # Club A's report counts it for its member; club B's shows one guest visit, not one of its own.
    def week(club):
        return activity.visits_per_week(Scope((club.id,), MONDAY, TODAY, TODAY, None))[0]
    assert (week(club_a).visits, week(club_a).guest_visits) == (1, 0)
    assert (week(club_b).visits, week(club_b).guest_visits) == (0, 1)
    assert activity.visits_by_member([club_a], TODAY)[carla.id].last == TODAY
    assert carla.id not in activity.visits_by_member([club_b], TODAY)
    # Both clubs together: one visit of their members, no guest.
    both = activity.visits_per_week(Scope((club_a.id, club_b.id), MONDAY, TODAY, TODAY, None))[0]
    assert (both.visits, both.guest_visits) == (1, 0)

    # Club A's member card lists the visit with the club where it happened.
    web.post("/logout")
    login_as("desk")
    card = web.get(f"/members/{carla.id}").text
    assert "at Harbour Club" in card.split('id="visits"', 1)[1].split("</ul>", 1)[0]

    # The managers' report pages say the same: A one visit of its members, B one guest visit.
    def visits_table(club):
        web.post("/logout")
        login_as("manager", club=club)
        compute_all()   # the KPI page reads the figures the worker stored
        csv = web.get(f"/reports/club/visits.csv?start={MONDAY}&end={TODAY}")
        assert csv.status_code == 200, csv.status_code
        header, row = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()[:2]
        return dict(zip(header.replace('"', "").split(","), row.split(","), strict=True))
    a_row, b_row = visits_table(club_a), visits_table(club_b)
    assert (a_row["Visits"], a_row["Guest visits"]) == ("1", "0")
    assert (b_row["Visits"], b_row["Guest visits"]) == ("0", "1")


def test_a_home_only_plan_is_refused_at_another_club_with_other_club(make, web, login_as, clubs):
    club_a, club_b, _carla, _carlas, hugo = clubs
    desk_b = login_as("desk", club=club_b)
    scanned = web.post("/scan", {"q": "HUGO-1"}, follow_redirects=True)
    assert "Check-in refused: This card belongs to a member of another club." in flashes(scanned)
    assert visits_of(hugo) == []
    assert refusal(lambda: checkin.check_in(desk_b, hugo, club=club_b)).code == "other_club"
    db.session.rollback()
    # Not a guest: no guest view, no guest check-in, not found by phone.
    assert web.get(f"/members/{hugo.id}/guest").status_code == 404
    assert web.post(f"/members/{hugo.id}/guest/checkin", {}).status_code == 404
    assert "Hugo" not in web.get("/?q=%2B358401110002&partial=1").text
    assert visits_of(hugo) == []


def test_the_api_checks_a_chain_member_in_at_the_tokens_club(make, web, clubs):
    club_a, club_b, carla, carlas, hugo = clubs
    with unit_of_work():
        token = api_tokens.issue(make.staff("desk", club=club_b), "turnstile")
    auth = {"Authorization": f"Bearer {token}"}
    by_card = web.open("POST", "/api/v1/checkins", json={"card_code": "carla-1"}, headers=auth)
    assert by_card.status_code == 201, by_card.get_json()
    answer = by_card.get_json()
    assert answer["member"] == {"id": carla.id, "club_id": club_a.id, "name": "Carla Chain",
                                "card_code": "CARLA-1", "guest": True}
    assert answer["membership"]["id"] == carlas.id and answer["balances"] == []
    clock.set_now(NOW + timedelta(hours=3))
    by_id = web.open("POST", "/api/v1/checkins", json={"member_id": carla.id}, headers=auth)
    assert by_id.status_code == 201, by_id.get_json()
    assert visits_of(carla) == [(club_b.id, carlas.id)] * 2
    # A home-only plan: other_club by card, and by id not found, as an id nobody has.
    hugos_card = web.open("POST", "/api/v1/checkins", json={"card_code": "HUGO-1"}, headers=auth)
    assert hugos_card.status_code == 403 and hugos_card.get_json()["error"]["code"] == "other_club"
    hugos_id = web.open("POST", "/api/v1/checkins", json={"member_id": hugo.id}, headers=auth)
    nobodys = web.open("POST", "/api/v1/checkins", json={"member_id": 999999}, headers=auth)
    assert hugos_id.status_code == nobodys.status_code == 404
    assert hugos_id.get_json() == nobodys.get_json()
    # The member's own data stays closed to club B's token.
    assert web.get(f"/api/v1/members/{carla.id}", headers=auth).status_code == 404
    assert visits_of(hugo) == []


def test_a_closed_club_takes_no_guest_visits_and_a_closed_home_club_stops_no_chain_member(make, clubs):
    """The check-in asks whether the club where the visit happens is closed, not the member's home club."""
    club_a, club_b, carla, carlas, _hugo = clubs
    desk_a, desk_b = make.staff("desk", club=club_a), make.staff("desk", club=club_b)
    with unit_of_work():
        club_closing.close(None, db.session.get(Club, club_b.id), TODAY)
    refused = refusal(lambda: checkin.check_in(desk_b, carla, club=club_b))
    assert refused.code == "club_closed"
    db.session.rollback()
    assert visits_of(carla) == []
    with unit_of_work():
        club_closing.reopen(None, db.session.get(Club, club_b.id))
        club_closing.close(None, db.session.get(Club, club_a.id), TODAY)
    assert refusal(lambda: checkin.check_in(desk_a, carla, club=club_a)).code == "club_closed"
    db.session.rollback()
    with unit_of_work():
        checkin.check_in(desk_b, carla, club=club_b)
    assert visits_of(carla) == [(club_b.id, carlas.id)]


def test_another_clubs_desk_finds_a_chain_member_by_exact_phone_only(make, web, login_as, clubs):
    _club_a, club_b, carla, _carlas, _hugo = clubs
    login_as("desk", club=club_b)

    def guests(query):
        page = web.get("/", query_string={"q": query, "partial": "1"}).text
        return page.split('id="guests"', 1)[1].split("</table>", 1)[0] if 'id="guests"' in page else ""

    for exact in ("+358401110001", "040 111 0001", "0401110001", "CARLA-1"):
        found = guests(exact)
        assert "Carla Chain" in found and f"/members/{carla.id}/guest" in found, exact
        assert "040" not in found.replace("CARLA-1", "")   # no phone shown
    for near in ("040111000", "+35840111000", "Carla", "Chain", "carla@example.org", "CARLA"):
        assert guests(near) == "", near
    assert [g.member.id for g in chain.find_guests(club_b, "040 111 0001")] == [carla.id]
    assert chain.find_guests(club_b, "0401110002") == []   # Hugo: home-only
    # Found by phone, checked in from the result row.
    checked = web.post(f"/members/{carla.id}/guest/checkin", {})
    assert checked.status_code == 302 and visits_of(carla) == [(club_b.id, _carlas.id)]


def test_a_chain_renewal_that_starts_later_is_said_as_not_started_at_another_club(make, web, login_as, clubs):
    """A home-only plan runs now and a chain-wide renewal is already bought: at club B the member is a guest whose
    chain membership starts later; the guest view says so (not "valid in every club" until the home-only plan's
    end), and the check-in says when it starts, not that the card belongs to another club."""
    _club_a, club_b, _carla, _carlas, _hugo = clubs
    mia = make.member(first_name="Mia", last_name="Later", phone="+358401110003", card_code="MIA-1")
    home = make.membership(mia, plan=make.plan(name="Home only month"))
    renewal = make.membership(mia, plan=make.plan(name="Chain renewal", chain_wide=True))
    assert (home.chain_wide, renewal.chain_wide, renewal.starts_on) == (False, True, home.ends_on + timedelta(days=1))

    def en(value):
        return format_date(value, "medium", locale="en")

    login_as("desk", club=club_b)
    page = web.get(f"/members/{mia.id}/guest")
    assert page.status_code == 200
    head = page.text.split('id="guest"', 1)[1].split("</section>", 1)[0]
    assert f"Valid in every club of the chain until {en(renewal.ends_on)}" in head
    assert f"The membership starts on {en(renewal.starts_on)}." in head
    assert en(home.ends_on) not in head and "days left" not in head
    scanned = web.post("/scan", {"q": "MIA-1"}, follow_redirects=True)
    assert f"Check-in refused: The membership starts on {en(renewal.starts_on)}." in flashes(scanned)
    assert visits_of(mia) == []


def test_the_desk_search_and_the_check_in_at_another_club_apply_one_rule(make, clubs):
    """Whoever another club's desk finds is never refused as of another club, and whoever it does not find always
    is: both ask chain.guest_standing, which counts chain-wide memberships only."""
    club_a, club_b, carla, _carlas, hugo = clubs
    desk_b = make.staff("desk", club=club_b)

    def member(name, card):
        return make.member(first_name=name, last_name="Case", card_code=card)

    chain_plan = make.plan(name="Chain month", chain_wide=True)
    mia = member("Mia", "MIA-1")             # home-only now, a chain renewal from next month
    make.membership(mia, plan=make.plan(name="Home only month"))
    make.membership(mia, plan=chain_plan)
    ned = member("Ned", "NED-1")             # a first chain plan that starts in ten days
    make.membership(ned, plan=chain_plan, starts_on=TODAY + timedelta(days=10))
    eva = member("Eva", "EVA-1")             # a chain plan that ended ten days ago
    make.membership(eva, plan=chain_plan, today=TODAY - timedelta(days=40))
    fay = member("Fay", "FAY-1")             # a chain plan frozen this week
    fays = make.membership(fay, plan=chain_plan)
    with unit_of_work():
        sales.freeze(make.desk(), db.session.get(Member, fay.id), fays.id, TODAY, TODAY + timedelta(days=6), TODAY)

    expected = {"CARLA-1": "checked_in", "HUGO-1": "other_club", "MIA-1": "not_started", "NED-1": "not_started",
                "EVA-1": "other_club", "FAY-1": "frozen"}
    outcome = {}
    for card in expected:
        found = [g.member.card_code for g in chain.find_guests(club_b, card)]
        holder = members.holder_of_card(card)
        try:
            checkin.check_in(desk_b, holder, club=club_b)
            code = "checked_in"
        except DomainError as error:
            code = error.code
        db.session.rollback()
        outcome[card] = code
        assert (found == [card]) == (code != "other_club"), (card, found, code)
        assert chain.is_guest(club_b, holder) == (code != "other_club"), card
    assert outcome == expected
    assert all(chain.guest_view(members.holder_of_card(card)).standing.membership.chain_wide
               for card in ("CARLA-1", "MIA-1", "NED-1", "FAY-1"))


def test_a_card_code_used_in_any_club_is_refused_naming_the_field(make, clubs):
    _club_a, club_b, carla, _carlas, _hugo = clubs
    manager_b = make.staff("manager", club=club_b)
    error = refusal(lambda: members.create_lead(None, club_b, {"first_name": "Bea", "card_code": " carla-1 "}))
    assert isinstance(error, InvalidInput) and (error.field, error.code) == ("card_code", "duplicate")
    db.session.rollback()
    bea = make.member(club=club_b, first_name="Bea", card_code="BEA-1")
    error = refusal(lambda: members.update(manager_b, bea, {"first_name": "Bea", "card_code": "CARLA-1"}))
    assert (error.field, error.code) == ("card_code", "duplicate")
    db.session.rollback()
    assert db.session.scalar(select(Member.card_code).where(Member.id == bea.id)) == "BEA-1"
    assert db.session.scalar(select(Member.card_code).where(Member.card_code == "CARLA-1")) == "CARLA-1"


def test_the_import_refuses_a_card_code_of_another_club_and_imports_the_rest(make, clubs):
    _club_a, club_b, carla, _carlas, _hugo = clubs
    table = read_table("Name;Phone;Card\nBea Berg;;carla-1\nCid Cole;+358401110001;CID-1\n".encode())
    with unit_of_work():
        result = run(None, club_b, table, guess_mapping(table.headers), mode="valid")
    assert {(r.line, r.field): str(r.message) for r in result.checked.refusals} == {
        (2, "card_code"): "A member of another club of the chain already has this card code."}
    # Carla's phone is free in club B (phones are unique per club): Cid is imported with it.
    assert result.imported == 1
    assert db.session.scalar(select(Member.card_code).where(Member.club_id == club_b.id)) == "CID-1"


# --- the migration that makes card codes unique across the chain --------------------------------------------

@pytest.fixture(params=ENGINES)
def empty_database(request, tmp_path) -> str:
    """An empty database of its own on each engine (the migration is run step by step on it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    return request.getfixturevalue("pg_cluster").create_database(f"chain_{secrets.token_hex(4)}")


def test_the_migration_names_cross_club_duplicate_card_codes_and_stops(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(str(ROOT / "migrations"))
        # Up to the revision before this one (whichever it is once the helpers' migrations are chained).
        command.upgrade(config, f"{CHAIN_UNIQUE_REVISION}-1")
        with db.engine.begin() as connection:
            for name in ("North", "South", "East"):
                connection.execute(text("INSERT INTO club (name, timezone, currency, country, default_locale, "
                                        "created_at) VALUES (:name, 'UTC', 'EUR', 'FI', 'en', :now)"),
                                   {"name": name, "now": NOW})
            for club_id, card in ((1, "SAME-1"), (2, "SAME-1"), (3, "OWN-3"), (1, "OWN-1"), (3, None)):
                connection.execute(text(
                    "INSERT INTO member (club_id, first_name, last_name, name_key, name_key_rev, card_code, locale, "
                    "source, sms_consent, created_at) VALUES (:club, 'A', 'B', 'a b', 'b a', :card, 'en', 'import', "
                    ":no, :now)"), {"club": club_id, "card": card, "no": False, "now": NOW})
        with pytest.raises(RuntimeError) as stopped:
            command.upgrade(config, CHAIN_UNIQUE_REVISION)
        message = str(stopped.value)
        assert "card code 'SAME-1': member 1 of club 1 (North), member 2 of club 2 (South)" in message
        assert "OWN-" not in message and "Nothing was changed." in message
        db.engine.dispose()
        # Nothing changed: still at the revision before, no new column, the per-club constraint kept.
        with db.engine.connect() as connection:
            assert CHAIN_UNIQUE_REVISION not in str(connection.execute(text("SELECT version_num FROM alembic_version"))
                                                    .scalar())
        assert "chain_wide" not in {c["name"] for c in inspect(db.engine).get_columns("plan")}
        # Fixed, the upgrade runs; a card code then names one member in the chain.
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE member SET card_code = 'SAME-2' WHERE id = 2"))
        command.upgrade(config, CHAIN_UNIQUE_REVISION)
        uniques = {tuple(u["column_names"]) for u in inspect(db.engine).get_unique_constraints("member")}
        assert ("card_code",) in uniques and ("club_id", "card_code") not in uniques
        db.engine.dispose()
