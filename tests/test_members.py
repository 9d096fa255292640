"""Leads and members: registration, phone numbers, duplicates and the desk search."""
import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Member
from clubcrm.services import members
from tests.conftest import NOW


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


@pytest.mark.parametrize("typed", ["040 123 4567", "+358 40 123 4567", "00358401234567", "040-123-4567",
                                   "(040) 1234567"])
def test_phone_is_stored_as_e164(make, typed):
    member = make.member(phone=typed)
    assert member.phone == "+358401234567"


def test_lead_with_consent_records_time_and_source(make):
    with unit_of_work():
        member = members.create_lead(make.desk(), make.default_club,
                                     {"first_name": "Eva", "phone": "0401234567", "sms_consent": True},
                                     source="web_form")
    assert member.is_lead
    assert (member.sms_consent, member.sms_consent_at, member.sms_consent_source) == (True, NOW, "web_form")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.member_id == member.id)) == "create"


@pytest.mark.parametrize("data,field", [
    ({"first_name": ""}, "first_name"),
    ({"first_name": "A", "phone": "12ab"}, "phone"),
    ({"first_name": "A", "phone": "+358 1"}, "phone"),
    ({"first_name": "A", "email": "not-an-email"}, "email"),
    ({"first_name": "A", "card_code": "has space"}, "card_code"),
    ({"first_name": "A", "locale": "xx"}, "locale"),
    ({"first_name": "A", "sms_consent": True}, "sms_consent"),
])
def test_bad_fields_are_named_and_nothing_is_written(make, data, field):
    before = count()
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        members.create_lead(make.desk(), make.default_club, data)
    assert caught.value.field == field
    assert count() == before


def test_duplicate_phone_in_another_format_and_duplicate_card(make):
    make.member(phone="+358401234567", card_code="CARD1")
    before = count()
    for data, field in (({"first_name": "B", "phone": "040 123 4567"}, "phone"),
                        ({"first_name": "B", "card_code": "CARD1"}, "card_code")):
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            members.create_lead(make.desk(), make.default_club, data)
        assert caught.value.field == field and caught.value.code == "duplicate"
    assert count() == before


def test_same_phone_in_another_club_is_fine(make):
    make.member(phone="+358401234567")
    assert make.member(club=make.club(), phone="+358401234567").phone == "+358401234567"


def test_search_by_name_phone_and_card(make):
    anna = make.member(first_name="Anna", last_name="Korhonen", phone="+358401234567", card_code="A-77")
    make.member(first_name="Annika", last_name="Salo")
    make.member(first_name="Mikko", last_name="Korpela")
    club = make.default_club

    def names(query):
        return [m.full_name for m in members.search(club.id, query, club.country)]

    assert names("anna") == ["Anna Korhonen"]
    assert names("ANN") == ["Anna Korhonen", "Annika Salo"]
    assert names("korh") == ["Anna Korhonen"]
    assert names("anna kor") == ["Anna Korhonen"]
    assert names("kor") == ["Anna Korhonen", "Mikko Korpela"]
    for typed in ("040 123 4567", "+358 40 123 4567", "0401234567", "00358401234567"):
        assert names(typed) == ["Anna Korhonen"], typed
    assert names("A-77") == ["Anna Korhonen"]
    assert names("") == [] and names("zzz") == []
    assert members.search(club.id, "anna", club.country)[0].id == anna.id


def test_search_never_crosses_clubs(make):
    make.member(club=make.club(), first_name="Hidden")
    assert members.search(make.default_club.id, "hidden", "FI") == []


def test_staff_of_another_club_cannot_load_a_member(make):
    other_desk = make.staff("desk", club=make.club())
    member = make.member()
    with pytest.raises(NotFound):
        members.get_for(other_desk, member.id)
    assert members.get_for(make.staff("owner"), member.id).id == member.id


def test_update_keeps_the_old_values_in_the_audit_trail(make):
    member = make.member(first_name="Old", phone="+358401234567")
    with unit_of_work():
        members.update(make.desk(), member, {"first_name": "New", "phone": "040 765 4321", "locale": "fi"})
    assert member.phone == "+358407654321" and member.name_key.startswith("new")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.before["first_name"] == "Old" and event.after["first_name"] == "New"


def test_card_codes_ignore_case_and_names_ignore_accents(make):
    make.member(first_name="Liisa", last_name="Mäkinen", card_code="c100001")
    club = make.default_club
    assert [m.card_code for m in members.search(club.id, "C100001", "FI")] == ["C100001"]
    assert [m.last_name for m in members.search(club.id, "c100001", "FI")] == ["Mäkinen"]
    assert [m.last_name for m in members.search(club.id, "makinen", "FI")] == ["Mäkinen"]
    assert members.find_by_card(club.id, " c100001 ").last_name == "Mäkinen"
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        members.create_lead(None, club, {"first_name": "Copy", "card_code": "C100001"})
    assert caught.value.code == "duplicate"
