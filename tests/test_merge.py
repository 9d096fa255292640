"""Merging two records of one person: every row of both survives under the kept member, in one transaction, audited;
a refused or failed merge leaves both records exactly as they were."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import (
    Assignment, AuditEvent, DeskCall, LeadCycle, Member, MemberPageEvent, MemberPhoto, StaffContact, Visit,
)
from clubcrm.models.consent import ConsentRequest
from clubcrm.models.sms import Message
from clubcrm.services import member_links, merge, sales, sessions, tasks
from tests.conftest import NOW, TODAY
from tests.test_lead_list import cycle_of, lead_task
from tests.web import flashes


def snapshot(member_ids: list[int]) -> dict:
    """Every row that names one of MEMBER_IDS, per referencing table, and the members' own rows."""
    found = {}
    for table_name, column_name in merge.member_references():
        table = db.metadata.tables[table_name]
        found[(table_name, column_name)] = sorted(
            tuple(str(v) for v in row) for row in db.session.execute(
                select(table).where(table.c[column_name].in_(member_ids))))
    member = db.metadata.tables["member"]
    found["member"] = sorted(tuple(str(v) for v in row) for row in db.session.execute(
        select(member).where(member.c.id.in_(member_ids))))
    return found


def one_of_everything(make, desk, manager, member, n: int) -> None:
    """Give MEMBER a row in every table that references a member."""
    club = member.club
    start = datetime(TODAY.year, TODAY.month, TODAY.day, 17 + n, tzinfo=ZoneInfo(club.timezone))
    with unit_of_work():
        session = sessions.schedule(manager, club, {
            "kind": "trial", "title": f"Trial {n}", "activity": "Yoga", "starts_at": start,
            "ends_at": start + timedelta(hours=1), "capacity": 10, "trainer_id": manager.trainer.id})
        sessions.book(desk, session, member)
        tasks.log_contact(desk, member, "reached", f"call {n}")
        cycle = cycle_of(member)
        db.session.add_all([
            Visit(club_id=club.id, member_id=member.id, checked_in_at=NOW - timedelta(days=n)),
            Message(club_id=club.id, member_id=member.id, idempotency_key=f"merge:{member.id}", to_phone=member.phone,
                    body="Hello", locale="en", encoding="GSM-7", segments=1, status="queued", due_at=NOW,
                    created_at=NOW),
            Assignment(club_id=club.id, member_id=member.id, kind="lead", lead_cycle_id=cycle.id,
                       tool_key=f"tool{n}", held=False, share_pct=10, first_on=TODAY),
            DeskCall(club_id=club.id, member_id=member.id, session_id=session.id, reason="session_moved",
                     due_on=TODAY),
            ConsentRequest(club_id=club.id, member_id=member.id, source="web_form", expires_at=NOW + timedelta(days=2)),
            MemberPageEvent(club_id=club.id, member_id=member.id, kind="language", created_at=NOW),
        ])
        db.session.flush()
        member_links.mint(db.session.scalar(select(Message).where(Message.idempotency_key == f"merge:{member.id}")))
    lead_task(member)


def test_every_row_of_both_records_survives_under_the_kept_member(app, make):
    desk, manager = make.desk(), make.staff("manager")
    manager.trainer = make.staff("desk", is_trainer=True)
    keep = make.member(first_name="Anna", last_name="Kept", email=None)
    drop = make.member(first_name="Anna", last_name="Twice", email="anna@example.org", sms_consent=True,
                       phone="+358401234567")
    referred = make.member(first_name="Rudi", source="referral", referrer_member_id=drop.id)
    for n, member in enumerate((keep, drop)):
        one_of_everything(make, desk, manager, member, n)
    make.membership(drop)                         # the dropped record bought: the person converts
    service = make.service()
    with unit_of_work():
        sales.sell_package(desk, drop, service.id, TODAY)
        db.session.add(MemberPhoto(member_id=drop.id, image=b"jpeg", width=1, height=1))
    ids = [keep.id, drop.id]
    before = merge.count_rows(ids)
    assert all(before.values()), [key for key, n in before.items() if not n]   # the test covers every table
    keep_id, drop_id = keep.id, drop.id
    with unit_of_work():
        moved = merge.merge(manager, keep_id, drop_id)
    # Every row is there, and one audit event more: the merge's own.
    audit_rows = ("audit_event", "member_id")
    assert merge.count_rows([keep_id]) == {**before, audit_rows: before[audit_rows] + 1}
    assert merge.count_rows([drop_id]) == {key: 0 for key in before}
    assert db.session.get(Member, drop_id) is None
    kept = db.session.get(Member, keep_id, populate_existing=True)
    # The kept record takes the email it lacked, the later consent, the first sale; its own phone stays.
    assert (kept.email, kept.sms_consent, kept.converted_at is not None) == ("anna@example.org", True, True)
    assert kept.phone == keep.phone
    assert db.session.get(LeadCycle, cycle_of(referred).id).referrer_member_id == keep_id
    # Bought: no lead cycle of the person stays open.
    assert db.session.scalar(select(LeadCycle).where(LeadCycle.member_id == keep_id, LeadCycle.ended_at.is_(None))
                             ) is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "merge_members")).one()
    assert (event.staff_id, event.member_id, event.before["kept_id"], event.before["dropped_id"]) == (
        manager.id, keep_id, keep_id, drop_id)
    assert event.after["moved"] == moved and moved["visit.member_id"] == 1 and moved["staff_contact.member_id"] == 1


def test_two_open_lead_cycles_keep_the_older_open_and_close_the_newer(app, make):
    manager = make.staff("manager")
    older = make.member(first_name="Otto", last_name="Older")
    from clubcrm import clock
    clock.set_now(NOW + timedelta(days=2))
    newer = make.member(first_name="Otto", last_name="Newer", phone=None, card_code=None)
    older_cycle, newer_cycle = cycle_of(older).id, cycle_of(newer).id
    phone, card = older.phone, older.card_code
    with unit_of_work():
        merge.merge(manager, newer.id, older.id)     # keep the newer record; the older cycle is the one kept open
    cycles = {c.id: c for c in db.session.scalars(select(LeadCycle).where(LeadCycle.member_id == newer.id)
                                                  .execution_options(populate_existing=True))}
    assert set(cycles) == {older_cycle, newer_cycle}
    assert cycles[older_cycle].ended_at is None
    assert (cycles[newer_cycle].outcome, cycles[newer_cycle].lost_reason) == ("lost", "merged")
    # The kept record lacked a phone and a card: it takes the dropped one's (unique values, freed first).
    kept = db.session.get(Member, newer.id, populate_existing=True)
    assert (kept.phone, kept.card_code) == (phone, card)


def test_refusals_change_nothing(app, make):
    manager, desk = make.staff("manager"), make.desk()
    one, two = make.member(), make.member()
    elsewhere = make.member(club=make.club(name="Elsewhere"))
    erased = make.member()
    with unit_of_work():
        db.session.get(Member, erased.id).erased_at = NOW
    ids = [one.id, two.id, elsewhere.id, erased.id]
    before = snapshot(ids)
    for actor, keep_id, drop_id, error, code in (
            (manager, one.id, one.id, InvalidInput, "same_member"),
            (manager, one.id, elsewhere.id, NotFound, "not_found"),
            (make.staff("owner"), one.id, elsewhere.id, Conflict, "other_club"),
            (manager, one.id, erased.id, Conflict, "erased"),
            (manager, one.id, 2**31 - 1, NotFound, "not_found"),
            (desk, one.id, two.id, NotFound, "not_found")):
        with pytest.raises(error) as refused, unit_of_work():
            merge.merge(actor, keep_id, drop_id)
        assert refused.value.code == code
    db.session.expire_all()
    assert snapshot(ids) == before


def test_a_merge_that_fails_midway_leaves_both_records_as_they_were(app, make, monkeypatch):
    desk, manager = make.desk(), make.staff("manager")
    manager.trainer = make.staff("desk", is_trainer=True)
    keep, drop = make.member(first_name="Kim"), make.member(first_name="Kim", email="kim@example.org")
    for n, member in enumerate((keep, drop)):
        one_of_everything(make, desk, manager, member, n)
    make.membership(drop)
    ids = [keep.id, drop.id]
    before = snapshot(ids)

    def fail(*_args):     # after every row moved and the dropped member is deleted
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(merge, "_won_if_bought", fail)
    with pytest.raises(RuntimeError), unit_of_work():
        merge.merge(manager, keep.id, drop.id)
    db.session.expire_all()
    assert snapshot(ids) == before
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "merge_members")) is None
    assert db.session.scalar(select(StaffContact).where(StaffContact.member_id == drop.id)) is not None


def test_a_manager_merges_from_the_merge_page(web, login_as, make):
    login_as("manager")
    keep = make.member(first_name="Mia", last_name="Kept")
    drop = make.member(first_name="Mia", last_name="Dropped", email="mia@example.org")
    keep_id, drop_id = keep.id, drop.id
    page = web.get(f"/leads/merge?keep={keep.card_code}&drop={drop.id}")
    assert page.status_code == 200 and 'id="merge-confirm"' in page.text and "Mia Dropped" in page.text
    from_the_list = web.get(f"/leads/merge?drop={drop.id}")
    assert from_the_list.status_code == 200 and 'value="' + str(drop.id) + '"' in from_the_list.text
    assert 'class="flash danger"' not in from_the_list.text
    refused = web.get("/leads/merge?keep=nobody-here&drop=" + str(drop.id))
    assert refused.status_code == 422 and "No member has this card code, phone or id." in refused.text
    same = web.post("/leads/merge", {"keep": str(drop.id), "drop": str(drop.id), "confirm": "yes"})
    assert same.status_code == 422 and db.session.get(Member, drop.id) is not None
    response = web.post("/leads/merge", {"keep": str(keep_id), "drop": str(drop_id), "confirm": "yes"},
                        follow_redirects=True)
    assert "The two records are merged into Mia Kept's." in flashes(response)
    db.session.expunge_all()
    assert db.session.get(Member, drop_id) is None
    assert db.session.get(Member, keep_id).email == "mia@example.org"
    history = web.get(f"/members/{keep_id}/audit?partial=1")
    assert history.status_code == 200 and "merged two records of one person" in history.text
