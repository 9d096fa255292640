"""Moving in within a chain (issue 13, points 5 and 6): an imported contract on a chain plan opens every club's
desk as a sold one does; a closed club takes no history (contracts, balances, visits are sales and check-ins
there); a card code held in another club of the chain is refused in words that say so, without that member's id."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, InvalidInput
from clubcrm.extensions import db
from clubcrm.imports.kinds import KINDS, guess
from clubcrm.imports.reading import read_table
from clubcrm.imports.run import run
from clubcrm.models import AuditEvent, Club, ImportJob, Member, Membership, Package, Visit
from clubcrm.services import checkin, club_closing
from tests.conftest import TODAY
from tests.test_import_http import job_id_of, wait_for_check

OTHER_CLUBS_CARD = "This card code belongs to a member of another club of the chain."


def d(day) -> str:
    return day.strftime("%d.%m.%Y")


def imported(club, kind: str, text: str, mode: str = "valid"):
    """Import TEXT as a file of KIND into CLUB (the columns guessed from its headers), committed."""
    table = read_table(text.encode())
    with unit_of_work():
        return run(None, club, table, guess(KINDS[kind], table.headers), mode=mode, kind=kind)


def refusals(result) -> dict[tuple[int, str], str]:
    return {(r.line, r.field): str(r.message) for r in result.checked.refusals}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def chain(make):
    """Club A with Carla (card K001) and its plans, a chain year and a home month; club B, another club."""
    club_a = make.default_club
    club_b = make.club(name="Harbour Club")
    make.plan(club=club_a, name="Chain year", duration_days=365, chain_wide=True)
    make.plan(club=club_a, name="Home month", duration_days=30)
    make.service(club=club_a, name="Personal training")
    carla = make.member(club=club_a, first_name="Carla", card_code="K001", phone="+358401110001")
    return club_a, club_b, carla


def test_an_imported_chain_membership_checks_the_member_in_at_another_club(make, chain):
    club_a, club_b, carla = chain
    hugo = make.member(club=club_a, first_name="Hugo", card_code="K002")
    start = TODAY - timedelta(days=100)
    result = imported(club_a, "memberships", "Card;Plan;Start;End\n"
                                             f"K001;Chain year;{d(start)};{d(start + timedelta(days=364))}\n"
                                             f"K002;Home month;{d(TODAY - timedelta(days=5))};\n")
    assert result.imported == 2, refusals(result)
    chain_year = db.session.scalar(select(Membership).where(Membership.member_id == carla.id))
    assert chain_year.chain_wide is True
    desk_b = make.staff("desk", club=club_b)
    # Carla moved in with her chain year: club B's desk checks her in, on her home club's contract, as it would
    # had the year been sold in ClubCRM.
    with unit_of_work():
        checkin.check_in(desk_b, db.session.get(Member, carla.id), club=db.session.get(Club, club_b.id))
    assert list(db.session.execute(select(Visit.club_id, Visit.membership_id).where(Visit.member_id == carla.id))) \
        == [(club_b.id, chain_year.id)]
    # A home-only plan stays refused there with its own code.
    with pytest.raises(DomainError) as refused:
        checkin.check_in(desk_b, db.session.get(Member, hugo.id), club=db.session.get(Club, club_b.id))
    assert refused.value.code == "other_club"
    db.session.rollback()


HISTORY = {
    "memberships": (Membership, f"Card;Plan;Start\nK001;Home month;{d(TODAY - timedelta(days=3))}\n"),
    "balances": (Package, "Card;Service;Units left\nK001;Personal training;4\n"),
    "visits": (Visit, f"Card;Visit time\nK001;{d(TODAY - timedelta(days=2))} 18:30\n"),
}


@pytest.mark.parametrize("kind", sorted(HISTORY))
def test_a_closed_club_takes_no_history_but_its_member_list_may_still_be_put_right(make, chain, runner, tmp_path,
                                                                                   kind):
    club_a, _club_b, _carla = chain
    model, text = HISTORY[kind]
    with unit_of_work():
        club_closing.close(None, db.session.get(Club, club_a.id), TODAY)
    club_a = db.session.get(Club, club_a.id)
    events = count(AuditEvent)
    for mode in ("all", "valid"):
        with pytest.raises(InvalidInput) as refused:
            imported(club_a, kind, text, mode=mode)
        assert (refused.value.field, refused.value.code) == ("file", "club_closed")
        assert "Test Club is closed since" in str(refused.value.message)
        db.session.rollback()
    assert count(model) == 0 and count(AuditEvent) == events
    # From the shell: refused naming the file, nothing written.
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    result = runner.invoke(args=["import", kind, str(path), "--club", str(club_a.id)])
    assert result.exit_code != 0 and "Test Club is closed since" in result.output, result.output
    assert count(model) == 0 and count(AuditEvent) == events
    # The members file is no sale and no check-in: a closed club's list may still be completed.
    members = imported(club_a, "members", "First name;Card\nNina;K077\n")
    assert members.imported == 1 and count(Member) == 2


def test_the_import_page_says_why_a_closed_club_takes_no_visits(make, chain, web, login_as):
    """The preview's check names the closing, as any refused file (not "the file could not be checked")."""
    club_a, _club_b, _carla = chain
    with unit_of_work():
        club_closing.close(None, db.session.get(Club, club_a.id), TODAY)
    login_as("owner")   # an owner still reaches a closed club's pages; its first club is club A
    upload = (io.BytesIO(HISTORY["visits"][1].encode()), "visits.csv")
    response = web.post("/imports/", data={"kind": "visits", "file": upload}, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    job_id = job_id_of(response)
    assert wait_for_check(web, job_id)["status"] == "failed"
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job.club_id == club_a.id and job.error.startswith("Test Club is closed since "), job.error
    assert count(Visit) == 0


def test_a_club_closing_ahead_takes_the_history_before_its_closing_day(make, chain):
    club_a, _club_b, carla = chain
    with unit_of_work():
        club_closing.close(None, db.session.get(Club, club_a.id), TODAY + timedelta(days=10))
    club_a = db.session.get(Club, club_a.id)
    for kind, (model, text) in HISTORY.items():
        result = imported(club_a, kind, text, mode="all")
        assert result.imported == 1 and count(model) == 1, (kind, refusals(result))


def test_a_card_code_held_in_another_club_is_refused_without_that_members_id(make, chain):
    club_a, club_b, carla = chain
    bea = make.member(club=club_b, first_name="Bea", card_code="B001")
    result = imported(club_b, "members", "First name;Card\nCid;k001\nDan;B001\nEva;E001\n")
    assert refusals(result) == {
        (2, "card_code"): "A member of another club of the chain already has this card code.",
        (3, "card_code"): f"{bea.full_name} (member {bea.id}) already has this card code."}
    assert result.imported == 1
    assert db.session.scalar(select(Member.card_code).where(Member.first_name == "Eva")) == "E001"


@pytest.mark.parametrize("kind", sorted(HISTORY))
def test_a_history_row_naming_another_clubs_card_says_so(make, chain, kind):
    club_a, club_b, carla = chain
    make.plan(club=club_b, name="Home month")
    make.service(club=club_b, name="Personal training")
    # Club B's own member with Carla's phone (phones are unique per club only): the card still names Carla.
    make.member(club=club_b, first_name="Bea", card_code="B001", phone=carla.phone)
    model, text = HISTORY[kind]
    header, row = text.splitlines()
    result = imported(club_b, kind, f"{header};Phone\n{row};{carla.phone}\n{row.replace('K001', 'K999')};\n")
    assert refusals(result) == {(2, "card_code"): OTHER_CLUBS_CARD,
                                (3, "card_code"): "No member of the club has this value: import the members first."}
    assert result.imported == 0 and count(model) == 0
