"""GDPR: a member's data as JSON, erasure that leaves no personal value in any text column of any table while
the reports keep their totals, and the consent history on the card."""
import json
from dataclasses import asdict
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import JSON, String, Text, cast, event, select, text

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import CheckinRefused, Conflict, NotAllowed
from clubcrm.extensions import db
from clubcrm.lifecycle import engine, facts
from clubcrm.models import (
    AuditEvent, Booking, ConsentEvent, Freeze, LedgerEntry, Member, Membership, Message, StaffContact, Touchpoint,
    Visit,
)
from clubcrm.reports.renewals import renewal_report
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import tool_report
from clubcrm.services import api_tokens, cards, checkin, gdpr, members, packages, sales, sessions, tasks
from clubcrm.sms import inbound, outbox
from tests.conftest import NOW, TODAY
from tests.web import field_errors, flashes

FIRST, LAST, OLD_LAST = "Zebulon", "Quixworth", "Quixworthy"
PHONE, NATIONAL = "+358407654321", "0407654321"
EMAIL = "zebulon.q@example.org"
BIRTH = date(1987, 4, 23)
NOTES = "Knee surgery in 2019; prefers purple towels"
CARD = "ZQ9981"
STAFF_SMS = "Your locker key is ready at the lilac counter"
CONTACT_NOTE = "Talked about the tangerine knee brace"
REPLY = "Call me after the marmalade meeting"
FREEZE_REASON = "Skiing trip to Lapland with Marjatta"
REDEEM_REASON = "PT with Zebulon's cousin"
CANCEL_REASON = "Moved to Oulu for the walrus job"


def contract(member, plan, starts: date, ends: date, renews=None) -> Membership:
    with unit_of_work():
        m = Membership(club_id=member.club_id, member_id=member.id, plan_id=plan.id, starts_on=starts,
                       ends_on=ends, renews_id=renews.id if renews else None, price_minor=plan.price_minor,
                       currency=plan.currency, sold_at=datetime(2025, 11, 1, tzinfo=UTC))
        db.session.add(m)
    return m


@pytest.fixture
def person(make, fake_twilio):
    """A member with a distinctive name, phone, email, birth date, notes, card, contracts, visits, a package,
    a freeze, a booking, SMS (queued by the real outbox and the engine), a reply, contacts and an edit."""
    club, desk = make.default_club, make.desk()
    month = make.plan(name="Month", duration_days=30)
    service = make.service(name="PT")
    with unit_of_work():
        member = members.create_lead(desk, club, {
            "first_name": FIRST, "last_name": OLD_LAST, "phone": "040 765 4321", "email": EMAIL,
            "birth_date": BIRTH, "notes": NOTES, "card_code": CARD, "sms_consent": True})
    with unit_of_work():
        members.update(desk, member, {"first_name": FIRST, "last_name": LAST, "phone": PHONE, "email": EMAIL,
                                      "birth_date": BIRTH, "notes": NOTES, "card_code": CARD,
                                      "locale": "en", "sms_consent": True})
    # History the renewal report counts: a December cycle renewed in January, and other members around.
    dec = contract(member, month, date(2025, 12, 1), date(2025, 12, 30))
    contract(member, month, date(2025, 12, 31), date(2026, 1, 29), renews=dec)
    for n in range(3):
        other = make.member()
        first = contract(other, month, date(2025, 12, 1), date(2025, 12, 30))
        if n == 0:
            contract(other, month, date(2025, 12, 31), date(2026, 1, 29), renews=first)
    current = make.membership(member, month)
    with unit_of_work():
        checkin.check_in(desk, member)
        packages.grant(desk, member, service, 10, TODAY, reason="sale", price_minor=45000)
        packages.redeem(desk, member, service.id, TODAY, units=1, reason=REDEEM_REASON)
        sales.freeze(desk, member, current.id, TODAY + timedelta(days=10), TODAY + timedelta(days=12), TODAY,
                     reason=FREEZE_REASON)
    manager = make.staff("manager")
    with unit_of_work():
        session = sessions.schedule(manager, club, {
            "kind": "event", "title": "Spin", "starts_at": datetime(2026, 3, 12, 18, 0),
            "ends_at": datetime(2026, 3, 12, 19, 0), "capacity": 5})
        sessions.book(desk, session, member)
        tasks.log_contact(desk, member, "reached", CONTACT_NOTE)
        outbox.queue_from_staff(desk, member, STAFF_SMS, NOW)
    with unit_of_work():
        engine.run(NOW)   # whatever the engine plans today, queued through the real outbox
        db.session.add(Message(   # a text the dispatcher delivered last month
            club_id=club.id, member_id=member.id, idempotency_key="tp:test:1", to_phone=PHONE,
            body=f"Happy birthday, {FIRST}! A free smoothie waits for you.", locale="en", encoding="GSM-7",
            segments=1, status="delivered", due_at=NOW - timedelta(days=30), sent_at=NOW - timedelta(days=30),
            twilio_sid="SM" + "b" * 32, error_message=f"late callback for {PHONE}",
            created_at=NOW - timedelta(days=30)))
    with unit_of_work():
        inbound.handle_inbound(PHONE, "+15005550006", REPLY, now=NOW)
        inbound.handle_inbound(PHONE, "+15005550006", "STOP", now=NOW + timedelta(minutes=1))
        inbound.handle_inbound(PHONE, "+15005550006", "START", now=NOW + timedelta(minutes=2))
    # A renewal sold ahead, then cancelled with the member's own words.
    extra = contract(member, month, current.ends_on + timedelta(days=1), current.ends_on + timedelta(days=30),
                     renews=current)
    with unit_of_work():
        sales.cancel(manager, member, extra.id, TODAY, CANCEL_REASON)
    bodies = list(db.session.scalars(select(Message.body).where(Message.member_id == member.id)))
    assert len(bodies) >= 2 and any(STAFF_SMS in b for b in bodies)
    return member, manager, bodies


def needles(bodies) -> list[str]:
    values = [FIRST, LAST, OLD_LAST, PHONE, PHONE[1:], NATIONAL, EMAIL, BIRTH.isoformat(), BIRTH.strftime("%d.%m.%Y"),
              NOTES, CARD, STAFF_SMS, CONTACT_NOTE, REPLY, FREEZE_REASON, REDEEM_REASON, CANCEL_REASON, *bodies]
    return [v.casefold() for v in values]


def personal_values_found(values: list[str]) -> list[tuple[str, str, str]]:
    """Scan every text-like column (String, Text, JSON) of every table for each of VALUES."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in db.session.execute(select(*[cast(c, Text) if isinstance(c.type, JSON) else c
                                               for c in columns])):
            for column, value in zip(columns, row, strict=True):
                text = (value or "").casefold()
                found += [(table.name, column.name, v) for v in values if v and v in text]
    return found


def totals():
    scope = Scope((db.session.scalar(select(Member.club_id).limit(1)),), date(2025, 12, 1), date(2026, 2, 28),
                  TODAY)
    report = renewal_report(scope)
    return asdict(report.total), [asdict(r) for r in report.by_plan], [asdict(r) for r in report.by_cycle], \
        [(t.tool, t.received, t.sent, t.delivered, t.replies, t.bookings, t.calls_done)
         for t in tool_report(scope).tools]


def test_erasure_leaves_no_personal_value_anywhere_and_the_reports_unchanged(person, web, login_as):
    member, _manager, bodies = person
    values = needles(bodies)
    assert personal_values_found(values)   # the scan finds them before (so it can fail)
    before = totals()
    counts = {m: db.session.scalar(select(db.func.count()).select_from(m).where(m.member_id == member.id))
              for m in (Membership, Visit, Message, Touchpoint, StaffContact, AuditEvent, ConsentEvent)}
    login_as("manager")
    response = web.post(f"/data/members/{member.id}/erase", data={"confirmation": "ERASE"})
    assert response.status_code == 302, response.text
    db.session.expire_all()
    assert personal_values_found(values) == []
    assert totals() == before
    erased = db.session.get(Member, member.id)
    assert erased.erased_at == NOW and erased.birth_date is None and erased.phone is None
    assert erased.full_name == f"Erased #{member.id}"
    after = {m: db.session.scalar(select(db.func.count()).select_from(m).where(m.member_id == member.id))
             for m in counts}
    # Rows stay (two more audit events: the erasure and the cancel of the future booking; one more consent
    # event: its withdrawal).
    assert after == {**counts, AuditEvent: counts[AuditEvent] + 2, ConsentEvent: counts[ConsentEvent] + 1}
    # The delivered text keeps its state (the reports count it); the queued one will never go out.
    assert dict(db.session.execute(select(Message.status, Message.skip_reason).where(
        Message.member_id == member.id)).all()) == {"delivered": None, "skipped": "erased"}
    assert db.session.scalar(select(db.func.count()).select_from(Touchpoint).where(
        Touchpoint.member_id == member.id, Touchpoint.status == "planned")) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "erase"))
    assert (event.member_id, event.before, event.after) == (member.id, None, None)
    card = web.get(f"/members/{member.id}")
    assert card.status_code == 200 and 'id="erased"' in card.text
    assert not any(v in card.text.casefold() for v in values)
    assert 'id="gdpr-erase"' not in card.text and "/edit" not in card.text


def test_an_erased_member_gets_nothing_more_from_the_engine_or_the_outbox(person):
    member, manager, _bodies = person
    with unit_of_work():
        gdpr.erase(manager, member, f"{FIRST} {LAST}".upper())   # the full name confirms too
    loaded = facts.load(member.club_id, "Europe/Helsinki", TODAY, NOW)
    assert member.id in loaded.contracts and member.id not in loaded.members
    clock.set_now(NOW + timedelta(days=3))
    with unit_of_work():
        engine.run(NOW + timedelta(days=3))
    planned_after = db.session.scalars(select(Touchpoint).where(Touchpoint.member_id == member.id,
                                                                Touchpoint.planned_at > NOW)).all()
    assert planned_after == []
    assert db.session.scalar(select(db.func.count()).select_from(Message).where(
        Message.member_id == member.id, Message.status == "queued")) == 0
    with pytest.raises(Conflict) as refused:
        gdpr.erase(manager, member, "ERASE")
    assert refused.value.code == "already_erased"


def test_erasure_needs_the_typed_confirmation_and_a_manager(person, web, login_as, make):
    member, _manager, _bodies = person
    login_as("desk")
    assert web.post(f"/data/members/{member.id}/erase", data={"confirmation": "ERASE"}).status_code == 403
    web.client.post("/logout")
    login_as("manager")
    response = web.post(f"/data/members/{member.id}/erase", data={"confirmation": "erase please"})
    assert response.status_code == 422
    assert "confirmation" in field_errors(response)
    db.session.expire_all()
    assert db.session.get(Member, member.id).erased_at is None
    with pytest.raises(NotAllowed):
        gdpr.erase(make.desk(), member, "ERASE")
    assert web.post(f"/data/members/{member.id}/erase", data={"confirmation": "ERASE"}).status_code == 302
    again = web.post(f"/data/members/{member.id}/erase", data={"confirmation": "ERASE"}, follow_redirects=True)
    assert again.status_code == 200
    assert "This member's personal data was already erased." in flashes(again)


def test_the_export_holds_the_members_data_for_managers_only(person, web, login_as, make):
    member, _manager, bodies = person
    login_as("manager")
    response = web.get(f"/data/members/{member.id}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="member-{member.id}.json"'
    document = json.loads(response.text)
    assert (document["member"]["first_name"], document["member"]["phone"]) == (FIRST, PHONE)
    assert document["member"]["birth_date"] == BIRTH.isoformat() and document["member"]["notes"] == NOTES
    assert {m["body"] for m in document["messages"]} == set(bodies)
    assert [c["note"] for c in document["staff_contacts"]] == [CONTACT_NOTE]
    assert len(document["memberships"]) == 4 and len(document["visits"]) == 1
    assert any(f["reason"] == FREEZE_REASON for m in document["memberships"] for f in m["freezes"])
    assert [e["units"] for p in document["packages"] for e in p["ledger"]] == [10, -1]
    assert [b["session"]["title"] for b in document["bookings"]] == ["Spin"]
    assert [(c["source"], c["outcome"]) for c in document["lead_cycles"]] == [("walk_in", "won")]
    assert [(e["granted"], e["source"]) for e in document["consent_events"]] == [
        (True, "desk"), (False, "sms"), (True, "sms")]
    assert any(t["facts"].get("reply") == REPLY for t in document["touchpoints"])
    # The engine's draws for the member's cycles: the programme's at least, with the share it was drawn at.
    assert "programme" in {a["tool_key"] for a in document["assignments"]}
    assert all(set(a) >= {"tool_key", "held", "share_pct", "first_on"} for a in document["assignments"])
    assert any(e["action"] == "update" for e in document["audit_events"])
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "gdpr_export"))
    assert (exported.member_id, exported.before, exported.after) == (member.id, None, None)
    web.client.post("/logout")
    login_as("desk")
    assert web.get(f"/data/members/{member.id}/export.json").status_code == 403
    web.client.post("/logout")
    login_as("manager", club=make.club(name="Elsewhere"))
    assert web.get(f"/data/members/{member.id}/export.json").status_code == 404
    assert web.post(f"/data/members/{member.id}/erase", data={"confirmation": "ERASE"}).status_code == 404


def test_the_card_shows_the_consent_history(make, web, login_as):
    manager = login_as("manager")
    member = make.member(sms_consent=True)
    with unit_of_work():
        members.update(manager, member, {"first_name": member.first_name, "last_name": member.last_name,
                                         "phone": member.phone, "card_code": member.card_code,
                                         "sms_consent": False})
    rows = db.session.execute(select(ConsentEvent.granted, ConsentEvent.source, ConsentEvent.staff_id)
                              .where(ConsentEvent.member_id == member.id).order_by(ConsentEvent.id)).all()
    assert rows == [(True, "desk", None), (False, "desk", manager.id)]
    assert f'data-src="/members/{member.id}/consents?partial=1"' in web.get(f"/members/{member.id}").text
    panel = web.get(f"/members/{member.id}/consents?partial=1")   # the card's panel, fetched when opened
    assert panel.text.count('data-granted="') == 2
    assert 'data-granted="no"' in panel.text and manager.name in panel.text.split('id="consent-history"')[1]


def test_a_carriers_21610_is_a_withdrawal_in_the_consent_history(make, fake_twilio):
    from clubcrm.sms import dispatch
    from clubcrm.sms.client import close_client, make_client, settings_from
    from tests.fake_twilio import error

    member = make.member(sms_consent=True)
    with unit_of_work():
        outbox.queue_from_staff(make.desk(), member, "See you tomorrow", NOW)
    fake_twilio.respond_for(member.phone, error(21610))
    settings = settings_from(fake_twilio.config(TWILIO_TIMEOUT_SECONDS=0.5))
    client = make_client(settings)
    try:
        assert dispatch.dispatch(NOW, settings, client).failed == 1
    finally:
        close_client(client)
    rows = db.session.execute(select(ConsentEvent.granted, ConsentEvent.source, ConsentEvent.created_at)
                              .where(ConsentEvent.member_id == member.id).order_by(ConsentEvent.id)).all()
    assert rows == [(True, "desk", NOW), (False, "sms", NOW)]


def test_the_gdpr_actions_are_on_the_card_for_managers_only(make, web, login_as):
    member = make.member()
    login_as("desk")
    assert 'id="gdpr"' not in web.get(f"/members/{member.id}").text
    web.client.post("/logout")
    login_as("manager")
    card = web.get(f"/members/{member.id}").text
    assert f'/data/members/{member.id}/export.json' in card and f'/data/members/{member.id}/erase' in card
    page = web.get(f"/data/members/{member.id}/erase")
    assert page.status_code == 200 and 'name="confirmation"' in page.text


def rows(model) -> int:
    return db.session.scalar(select(db.func.count()).select_from(model))


def erased_member(make):
    """A paying member with a live contract whose personal data is then erased."""
    member = make.member()
    membership = make.membership(member, make.plan(name="Month", duration_days=30))
    with unit_of_work():
        gdpr.erase(make.staff("manager"), member, "ERASE")
    return member, membership


def test_nothing_more_is_written_about_an_erased_member(make, web, login_as):
    member, membership = erased_member(make)
    desk, manager, service = make.desk(), make.staff("manager"), make.service(name="PT")
    with unit_of_work():
        session = sessions.schedule(manager, member.club, {
            "kind": "event", "title": "Spin", "starts_at": datetime(2026, 3, 12, 18, 0),
            "ends_at": datetime(2026, 3, 12, 19, 0), "capacity": 5})
    models = (Visit, StaffContact, Booking, Membership, Freeze, LedgerEntry, Message, AuditEvent)
    before = {m: rows(m) for m in models}
    with pytest.raises(CheckinRefused) as refused, unit_of_work():
        checkin.check_in(desk, member)
    assert refused.value.code == "erased"
    for action in (lambda: sessions.book(desk, session, member),
                   lambda: sales.sell_membership(desk, member, membership.plan_id, TODAY),
                   lambda: sales.sell_package(desk, member, service.id, TODAY),
                   lambda: sales.freeze(desk, member, membership.id, TODAY, TODAY + timedelta(days=3), TODAY,
                                        reason=FREEZE_REASON),
                   lambda: sales.cancel(manager, member, membership.id, TODAY, CANCEL_REASON),
                   lambda: packages.grant(manager, member, service, 3, TODAY, reason=REDEEM_REASON),
                   lambda: tasks.log_contact(desk, member, "reached", CONTACT_NOTE)):
        with pytest.raises(Conflict) as refused, unit_of_work():
            action()
        assert refused.value.code == "erased"
    with pytest.raises(Conflict), unit_of_work():   # no phone, no consent left: the outbox refuses already
        outbox.queue_from_staff(desk, member, STAFF_SMS, NOW)
    audits = db.session.scalar(select(db.func.max(AuditEvent.id)))
    with unit_of_work():
        token = api_tokens.issue(desk, "")
    answer = web.open("POST", "/api/v1/checkins", json={"member_id": member.id},
                      headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "erased", answer.json
    login_as("desk")
    contact = web.post(f"/members/{member.id}/contacts", data={"outcome": "reached", "note": CONTACT_NOTE})
    assert contact.status_code == 422 and any("was erased" in f for f in flashes(contact)), contact.text
    desk_checkin = web.post(f"/members/{member.id}/checkin", follow_redirects=True)
    assert any(f.startswith("Check-in refused") and "was erased" in f for f in flashes(desk_checkin))
    db.session.expire_all()
    # The token and the login's staff are audited; nothing about the member is.
    assert {m: rows(m) for m in models} == {**before, AuditEvent: before[AuditEvent] + 2}
    assert db.session.scalars(select(AuditEvent.entity).where(AuditEvent.id > audits)).all() == [
        "api_token", "staff"]
    card = web.get(f"/members/{member.id}")
    assert card.status_code == 200 and 'id="erased"' in card.text
    # No form or link of the card acts on the member (a script's file name may say "sms").
    targets = re.findall(r'(?:action|href)="([^"]*)"', card.text)
    for action in ("checkin", "/sell", "/freeze", "/cancel", "/packages/", "/sms", "/contacts", "/let-in"):
        assert not [t for t in targets if action in t and not t.startswith("/static/")], action


def test_erasure_cancels_future_bookings_and_the_waitlist_moves_up(make):
    member, waiting = make.member(), make.member()
    manager, desk = make.staff("manager"), make.desk()
    month = make.plan(name="Month", duration_days=30)
    make.membership(member, month)
    make.membership(waiting, month)
    with unit_of_work():
        full = sessions.schedule(manager, member.club, {
            "kind": "event", "title": "Spin", "starts_at": datetime(2026, 3, 12, 18, 0),
            "ends_at": datetime(2026, 3, 12, 19, 0), "capacity": 1})
        other = sessions.schedule(manager, member.club, {
            "kind": "event", "title": "Yoga", "starts_at": datetime(2026, 3, 13, 18, 0),
            "ends_at": datetime(2026, 3, 13, 19, 0), "capacity": 1})
    with unit_of_work():
        mine = sessions.book(desk, full, member)
        theirs = sessions.book(desk, full, waiting)
        sessions.book(desk, other, waiting)
        queued = sessions.book(desk, other, member)
    assert (mine.status, theirs.status, queued.status) == ("booked", "waitlist", "waitlist")
    with unit_of_work():
        gdpr.erase(manager, member, "ERASE")
    db.session.expire_all()
    status = dict(db.session.execute(select(Booking.id, Booking.status)).all())
    assert status[mine.id] == "cancelled" and status[queued.id] == "cancelled"
    assert status[theirs.id] == "booked"


def test_a_message_being_sent_at_erasure_stays_with_the_dispatcher(make):
    member, manager = make.member(), make.staff("manager")
    keys = {"a": "sending", "b": "queued"}
    race = db.engine.dialect.name == "postgresql"
    if race:
        keys["c"] = "queued"   # claimed by the dispatcher (committed) while the erasure runs
    with unit_of_work():
        for key, status in keys.items():
            db.session.add(Message(
                club_id=member.club_id, member_id=member.id, idempotency_key=f"test:{key}", to_phone=member.phone,
                body="Hello", locale="en", encoding="GSM-7", segments=1, status=status, due_at=NOW,
                claimed_at=NOW if status == "sending" else None, attempts=1 if status == "sending" else 0,
                created_at=NOW))
    claimed = []

    def dispatcher_claims(_conn, _cursor, statement, *_args):
        # Right after erasure reads the unsent messages (or just before it changes them), another connection
        # claims message c and commits, as the dispatcher does.
        if claimed or not statement.lstrip().startswith(("SELECT message.id", "UPDATE message SET status")):
            return
        claimed.append(True)
        with db.engine.connect() as other:
            other.execute(text("UPDATE message SET status = 'sending', claimed_at = :now, attempts = 1 "
                               "WHERE idempotency_key = 'test:c'"), {"now": NOW})
            other.commit()

    def before_update(conn, cursor, statement, *args):
        if statement.lstrip().startswith("UPDATE"):
            dispatcher_claims(conn, cursor, statement, *args)

    def after_select(conn, cursor, statement, *args):
        if statement.lstrip().startswith("SELECT"):
            dispatcher_claims(conn, cursor, statement, *args)

    if race:
        event.listen(db.engine, "before_cursor_execute", before_update)
        event.listen(db.engine, "after_cursor_execute", after_select)
    try:
        with unit_of_work():
            gdpr.erase(manager, member, "ERASE")
    finally:
        if race:
            event.remove(db.engine, "before_cursor_execute", before_update)
            event.remove(db.engine, "after_cursor_execute", after_select)
    db.session.expire_all()
    assert claimed == ([True] if race else [])
    assert dict(db.session.execute(select(Message.idempotency_key, Message.status)).all()) == {
        "test:a": "sending", "test:b": "skipped", **({"test:c": "sending"} if race else {})}


def test_the_card_of_an_erased_member_asks_the_desk_to_do_nothing(make):
    member = make.member(birth_date=date(1990, TODAY.month, TODAY.day))
    make.membership(member, make.plan(name="Ten days", duration_days=10))   # ends within the alert days
    before = [a.text for a in cards.build(member, TODAY).alerts]
    assert any("renewal" in text for text in before) and any("irthday" in text for text in before)
    with unit_of_work():
        gdpr.erase(make.staff("manager"), member, "ERASE")
    assert cards.build(db.session.get(Member, member.id), TODAY).alerts == []
