"""Closing a club from a day: sales, check-ins (desk and API) and logins refused there from that day and allowed
the day before, its queued SMS skipped, its open tasks dropped, the lifecycle engine planning nothing for it,
while the other clubs go on."""
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Club, LoginSession, Membership, Message, Touchpoint, Visit
from clubcrm.services import api_tokens, club_closing
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.client import close_client, make_client, settings_from
from tests.conftest import NOW, TODAY
from tests.lifecycle import no_holdouts, run_pass
from tests.web import field_errors, flashes

CLOSED = "closed since"


def close_from(club, day) -> None:
    with unit_of_work():
        club_closing.close(None, db.session.get(Club, club.id), day)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def bearer(staff) -> dict:
    with unit_of_work():
        return {"Authorization": f"Bearer {api_tokens.issue(staff, 'turnstile')}"}


def test_sales_and_check_ins_are_allowed_the_day_before_and_refused_from_the_closing_day(make, web, login_as):
    club = make.default_club
    member, other = make.member(card_code="SHUT-1"), make.member(card_code="SHUT-2")
    plan, service = make.plan(name="Month"), make.service(name="PT")
    make.membership(member)
    owner = login_as("owner")                 # owners still log in: they close the club and read its data
    owner_token = bearer(owner)
    close_from(club, TODAY + timedelta(days=1))

    # The day before: everything works.
    assert web.post(f"/members/{other.id}/sell", {"plan_id": str(plan.id), "starts_on": ""}).status_code == 302
    assert web.post("/scan", {"q": "SHUT-1"}).status_code == 302 and count(Visit) == 1

    clock.set_now(NOW + timedelta(days=1))    # 10:00 on the closing day in Helsinki
    memberships, visits = count(Membership), count(Visit)
    sold = web.post(f"/members/{member.id}/sell", {"plan_id": str(plan.id), "starts_on": ""})
    assert sold.status_code == 422 and CLOSED in field_errors(sold)["plan_id"][0]
    package = web.post(f"/members/{member.id}/packages/sell", {"service_id": str(service.id)})
    assert package.status_code == 422 and CLOSED in " ".join(field_errors(package)["service_id"])
    scanned = web.post("/scan", {"q": "SHUT-1"})
    assert any(CLOSED in text for text in flashes(web.get(scanned.location)))
    api = web.open("POST", "/api/v1/checkins", json={"card_code": "SHUT-1"}, headers=owner_token)
    assert api.status_code == 403 and api.json["error"]["code"] == "club_closed", api.json
    assert (count(Membership), count(Visit)) == (memberships, visits)

    # The club's data, reports and exports stay readable for the owner.
    assert web.get(f"/members/{member.id}").status_code == 200
    assert web.get("/reports/renewals").status_code == 200
    export = web.get("/data/visits.csv")
    assert export.status_code == 200 and len(export.text.splitlines()) == 2   # the header and the visit


def test_a_closed_clubs_staff_cannot_log_in_and_their_sessions_and_tokens_end(make, web):
    club, elsewhere = make.default_club, make.club(name="Still open")
    desk, open_desk = make.staff("desk"), make.staff("desk", club=elsewhere)
    token = bearer(desk)
    close_from(club, TODAY + timedelta(days=1))
    login = web.post("/login", {"email": desk.email, "password": "secret-pass"})
    assert login.status_code == 302                       # the day before: in
    assert web.get("/").status_code == 200
    assert web.open("GET", f"/api/v1/members/{make.member().id}", headers=token).status_code == 200

    clock.set_now(NOW + timedelta(days=1))
    assert web.get("/").status_code == 302                # the session made the day before ends
    assert db.session.scalar(select(LoginSession.end_reason).where(LoginSession.staff_id == desk.id)) \
        == "club_closed"
    refused = web.post("/login", {"email": desk.email, "password": "secret-pass"})
    assert refused.status_code == 422 and CLOSED in field_errors(refused)["email"][0]
    api = web.open("GET", f"/api/v1/members/{make.member().id}", headers=token)
    assert api.status_code == 403 and api.json["error"]["code"] == "club_closed"
    # Another club's staff are not touched.
    assert web.post("/login", {"email": open_desk.email, "password": "secret-pass"}).status_code == 302


def test_queued_sms_of_a_closed_club_are_skipped_at_claim_time(make, fake_twilio):
    closed, open_club = make.default_club, make.club(name="Open")
    shut = make.member(sms_consent=True)
    fine = make.member(club=open_club, sms_consent=True)
    rows = []
    with unit_of_work():
        for member in (shut, fine):
            message = Message(club_id=member.club_id, member_id=member.id, idempotency_key=f"c:{member.id}",
                              to_phone=member.phone, body="Hello", locale="en", encoding="GSM-7", segments=1,
                              status="queued", due_at=NOW, created_at=NOW)
            db.session.add(message)
            rows.append(message)
    close_from(closed, TODAY)
    settings = settings_from(fake_twilio.config())
    client = make_client(settings)
    try:
        report = dispatching.dispatch(NOW, settings, client)
    finally:
        close_client(client)
    assert (report.sent, report.skipped) == (1, 1)
    assert [got.to for got in fake_twilio.received] == [fine.phone]
    db.session.expire_all()
    skipped = db.session.get(Message, rows[0].id)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "club_closed")


def test_closing_drops_open_tasks_and_the_engine_plans_nothing_for_the_closed_club(make):
    club, open_club = make.default_club, make.club(name="Open")
    make.membership(make.member())              # no SMS consent: the engine gives a welcome call (a task)
    no_holdouts()
    run_pass()
    open_tasks = (Touchpoint.club_id == club.id, Touchpoint.channel == "task", Touchpoint.status == "planned")
    assert count(Touchpoint, *open_tasks) >= 1
    make.membership(make.member())              # joined before the closing: nothing planned for them yet
    make.membership(make.member(club=open_club))

    close_from(club, TODAY)
    assert count(Touchpoint, *open_tasks) == 0
    assert count(Touchpoint, Touchpoint.club_id == club.id, Touchpoint.skip_reason == "club_closed") >= 1
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "club")
                             .order_by(AuditEvent.id.desc())) == "close"

    before = count(Touchpoint, Touchpoint.club_id == club.id)
    no_holdouts()
    plan = run_pass()
    by_club = {entry.club.id: entry.planned for entry in plan.clubs}
    assert by_club[club.id] == [] and by_club[open_club.id]
    assert count(Touchpoint, Touchpoint.club_id == club.id) == before


def test_a_closing_day_set_ahead_keeps_todays_tasks_and_the_engine_drops_them_on_the_day(make):
    club = make.default_club
    make.membership(make.member())
    no_holdouts()
    run_pass()
    open_tasks = (Touchpoint.club_id == club.id, Touchpoint.channel == "task", Touchpoint.status == "planned")
    planned = count(Touchpoint, *open_tasks)
    assert planned >= 1
    close_from(club, TODAY + timedelta(days=3))
    assert count(Touchpoint, *open_tasks) == planned          # still three working days to do them
    clock.set_now(NOW + timedelta(days=3))
    run_pass()
    assert count(Touchpoint, *open_tasks) == 0
