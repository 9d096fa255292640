"""Card codes name one member in the whole chain, and no lock covers two clubs: when another club's desk saves the
same code between the service's check and its write, the database refuses the write. The service then says so as
its check would (on card_code), never a 500, and nothing of the refused change is written.

The race is made deterministic: the rival member is inserted and committed on a connection of its own at the very
flush that writes the code, after the check found it free."""
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, ConsentEvent, Member
from clubcrm.services import members
from tests.web import field_errors

OTHER_CLUB = "A member of another club of the chain already has this card code."
SAME_CLUB = "Another member already has this card code."


@contextmanager
def taken_at_flush(club, **rival) -> Iterator[list]:
    """Commit a member of CLUB with the RIVAL values (card_code=...) from a connection of its own, just before the
    first flush that writes those values to a member; yields a list that holds True once it did."""
    fired: list = []
    # Read now: loading it inside the flush would start the session's SQLite read snapshot before the rival's commit.
    club_id = club.id

    def before_flush(session, _context, _instances) -> None:
        writes = any(isinstance(obj, Member) and all(getattr(obj, k) == v for k, v in rival.items())
                     for obj in (*session.new, *session.dirty))
        if fired or not writes:
            return
        fired.append(True)
        with db.engine.begin() as connection:
            connection.execute(insert(Member).values(club_id=club_id, first_name="Rival", last_name="Desk",
                                                     locale="en", source="walk_in", sms_consent=False, **rival))

    event.listen(Session, "before_flush", before_flush)
    try:
        yield fired
    finally:
        event.remove(Session, "before_flush", before_flush)


def refused(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    db.session.rollback()
    return caught.value


def count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Member).where(*where))


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action,
                                                                               AuditEvent.entity == "member"))


@pytest.mark.parametrize("rival_in", ["other_club", "same_club"])
def test_a_new_lead_whose_card_code_another_desk_saves_at_once_is_refused_on_card_code(make, rival_in):
    club_a, club_b = make.default_club, make.club(name="Harbour Club")
    rival_club, message = (club_a, OTHER_CLUB) if rival_in == "other_club" else (club_b, SAME_CLUB)
    created = audits("create")
    with taken_at_flush(rival_club, card_code="RACE-1") as fired:
        error = refused(lambda: members.create_lead(None, club_b, {
            "first_name": "Lea", "last_name": "Late", "phone": "+358401110009", "card_code": " race-1 ",
            "sms_consent": True}))
    assert fired and (error.field, error.code, str(error.message)) == ("card_code", "duplicate", message)
    # Nothing of Lea: no member, no consent, no audit row; the rival keeps the code.
    assert count(Member.first_name == "Lea") == 0 and audits("create") == created
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
    assert (members.holder_of_card("RACE-1").first_name, members.holder_of_card("RACE-1").club_id) == (
        "Rival", rival_club.id)
    # The session goes on: the next lead is saved.
    with unit_of_work():
        members.create_lead(None, club_b, {"first_name": "Lea", "card_code": "LEA-1"})
    assert count(Member.card_code == "LEA-1") == 1


def test_an_edit_to_a_card_code_another_club_saves_at_once_is_refused_and_changes_nothing(make):
    club_a, club_b = make.default_club, make.club(name="Harbour Club")
    bea = make.member(club=club_b, first_name="Bea", last_name="Berg", card_code="BEA-1")
    manager_b = make.staff("manager", club=club_b)
    updated = audits("update")
    with taken_at_flush(club_a, card_code="RACE-1") as fired:
        error = refused(lambda: members.update(manager_b, db.session.get(Member, bea.id), {
            "first_name": "Beatrice", "last_name": "Berg", "card_code": "RACE-1"}))
    assert fired and (error.field, error.code, str(error.message)) == ("card_code", "duplicate", OTHER_CLUB)
    db.session.expire_all()
    kept = db.session.get(Member, bea.id)
    assert (kept.first_name, kept.card_code) == ("Bea", "BEA-1") and audits("update") == updated
    assert members.holder_of_card("RACE-1").club_id == club_a.id


def test_the_edit_form_shows_the_card_code_taken_at_once_under_its_field(make, web, login_as):
    club_a, club_b = make.default_club, make.club(name="Harbour Club")
    bea = make.member(club=club_b, first_name="Bea", last_name="Berg", card_code="BEA-1")
    login_as("manager", club=club_b)
    with taken_at_flush(club_a, card_code="RACE-1") as fired:
        answer = web.post(f"/members/{bea.id}/edit", {"first_name": "Bea", "last_name": "Berg", "card_code": "RACE-1",
                                                      "locale": "en"})
    assert fired and answer.status_code == 422
    assert field_errors(answer) == {"card_code": [OTHER_CLUB]}
    db.session.expire_all()
    assert db.session.get(Member, bea.id).card_code == "BEA-1"

