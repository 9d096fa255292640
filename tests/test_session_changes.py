"""Changing a session (issue 16, item 4): one session or the rest of its weekly series, the booked told of a new
time (SMS with consent, else a call on Today); what a session costs, a price or a package unit taken when booked
and given back when the booking or the session is cancelled; the desk's calls about sessions on Today."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clubcrm import integrity
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Booking, ClubSession, DeskCall, LedgerEntry, Message, Package, StaffContact
from clubcrm.services import packages
from tests.conftest import TODAY
from tests.test_sessions import Gym, local
from tests.web import field_errors, flashes

HELSINKI = ZoneInfo("Europe/Helsinki")


def edit_page(web, gym, session, **values):
    data = {"kind": "class", "title": session.title, "activity": "", "capacity": str(session.capacity),
            "starts_at": wall(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": wall(session.ends_at).strftime("%Y-%m-%dT%H:%M"),
            "trainer_id": str(gym.trainer.id), "room": session.room or "", "price": "", "service_id": "0",
            **values}
    return web.post(f"/sessions/{session.id}/edit", data)


def wall(instant: datetime) -> datetime:
    return instant.astimezone(HELSINKI).replace(tzinfo=None)


def weekly(gym, weeks: int = 4, **data) -> list[ClubSession]:
    first = gym.session(local(TODAY + timedelta(days=1), 18), weekly_until=TODAY + timedelta(days=1 + 7 * (weeks - 1)),
                        **data)
    return list(db.session.scalars(select(ClubSession).where(ClubSession.series_id == first.id)
                                   .order_by(ClubSession.starts_at)))


def test_the_edit_form_shows_the_session_as_it_is(make, web, login_as):
    gym = Gym(make)
    session = gym.session(local(TODAY + timedelta(days=1), 18), title="Pilates", room="Studio 1", capacity=8)
    login_as("manager")
    page = web.get(f"/sessions/{session.id}/edit")
    assert page.status_code == 200
    assert 'value="Pilates"' in page.text and 'value="Studio 1"' in page.text and 'value="8"' in page.text
    starts = re.search(r'name="starts_at"[^>]*value="([^"]*)"', page.text).group(1)
    assert "18:00" in starts and str((TODAY + timedelta(days=1)).day) in starts
    assert 'id="edit-session"' in web.get(f"/sessions/{session.id}").text


def test_changing_one_session_of_a_series_leaves_the_others(make, web, login_as):
    gym = Gym(make)
    series = weekly(gym)
    login_as("manager")
    response = edit_page(web, gym, series[1], title="Pilates for backs", capacity="6")
    assert response.status_code == 302, field_errors(response)
    db.session.expire_all()
    assert [(s.title, s.capacity) for s in series] == [("Yoga", 10), ("Pilates for backs", 6), ("Yoga", 10),
                                                       ("Yoga", 10)]
    assert "1 session changed." in flashes(web.get(f"/sessions/{series[1].id}"))


def test_changing_the_rest_of_a_series_moves_each_later_week_and_keeps_the_earlier(make, web, login_as):
    gym = Gym(make)
    series = weekly(gym)
    second = wall(series[1].starts_at)
    login_as("manager")
    # From 18:00 to 19:30, one day later, 45 minutes long: the second week on, each in its own week.
    start = second + timedelta(days=1, minutes=90)
    response = edit_page(web, gym, series[1], following="y", starts_at=start.strftime("%Y-%m-%dT%H:%M"),
                         ends_at=(start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302, field_errors(response)
    db.session.expire_all()
    assert wall(series[0].starts_at) == wall(series[0].starts_at).replace(hour=18, minute=0)
    for n, session in enumerate(series[1:], start=1):
        assert wall(session.starts_at) == second + timedelta(days=7 * (n - 1) + 1, minutes=90)
        assert session.ends_at - session.starts_at == timedelta(minutes=45)
    assert "3 sessions changed." in flashes(web.get(f"/sessions/{series[1].id}"))


def test_places_cannot_drop_below_those_booked_and_a_started_session_cannot_change(make, web, login_as):
    gym = Gym(make)
    session = gym.session(local(TODAY + timedelta(days=1), 18), capacity=3)
    for n in range(2):
        gym.book(session, gym.member(first_name=f"Booked{n}"))
    started = gym.session(local(TODAY, 9))      # the clock says 10:00 in Helsinki
    login_as("manager")
    refused = edit_page(web, gym, session, capacity="1")
    assert refused.status_code == 422
    [message] = field_errors(refused)["capacity"]
    assert message.startswith("2 places are already booked on ")
    db.session.expire_all()
    assert db.session.get(ClubSession, session.id).capacity == 3
    past = edit_page(web, gym, session, starts_at=f"{TODAY}T09:00", ends_at=f"{TODAY}T09:30")
    assert field_errors(past) == {"starts_at": ["A session to come cannot be moved into the past."]}
    late = edit_page(web, gym, started, title="Too late")
    assert late.status_code == 409
    assert "This session has started: it can no longer be changed." in late.text
    assert web.get(f"/sessions/{started.id}/edit").status_code == 200   # the form says so when it is sent


def test_a_new_time_is_texted_to_the_booked_with_consent_and_put_on_today_for_the_others(make, web, login_as):
    gym = Gym(make)
    session, texted, called = gym.spinning_booked_by_texted_and_called()
    login_as("manager")
    same_time = edit_page(web, gym, session, title="Spinning 45")     # no new time: nobody is told
    assert same_time.status_code == 302 and db.session.scalar(select(Message.id)) is None
    moved = edit_page(web, gym, session, starts_at=f"{TODAY + timedelta(days=2)}T19:00",
                      ends_at=f"{TODAY + timedelta(days=2)}T20:00")
    assert moved.status_code == 302, field_errors(moved)
    notes = flashes(web.get(f"/sessions/{session.id}"))
    assert "1 booked member is told the new time by SMS." in notes
    assert any(n.startswith("Calls to tell the new time are on Today's list (no SMS consent): Kalle Called")
               for n in notes)
    [message] = db.session.scalars(select(Message)).all()
    assert message.member_id == texted.id and message.locale == "fi" and "19.00" in message.body
    [call] = db.session.scalars(select(DeskCall)).all()
    assert (call.member_id, call.reason) == (called.id, "session_moved")
    # Both still hold their places.
    assert {b.status for b in db.session.scalars(select(Booking))} == {"booked"}


def test_today_lists_the_calls_and_an_answered_one_is_done_with_a_contact(make, web, login_as):
    gym = Gym(make)
    session = gym.session(local(TODAY + timedelta(days=3), 18), title="Spinning")
    called = gym.member(first_name="Kalle", last_name="Called", sms_consent=False, phone="+358401110001")
    gym.book(session, called)
    login_as("manager")
    assert web.post(f"/sessions/{session.id}/cancel").status_code == 302
    today = web.get("/today/")
    assert 'id="calls"' in today.text and "Kalle Called" in today.text and "is cancelled" in today.text
    assert 'id="nav-today">Today <span class="badge count">1<' in today.text
    home = web.get("/home").text
    assert "Kalle Called</a> — session cancelled: Spinning" in home and 'id="calls-due">1<' in home
    [call] = db.session.scalars(select(DeskCall)).all()
    # No answer: tomorrow again (the session is days away); reached: done, and logged as a contact.
    assert web.post(f"/today/calls/{call.id}", {"outcome": "no_answer"}).status_code == 302
    db.session.expire_all()
    assert call.due_on == TODAY + timedelta(days=1) and call.done_at is None
    web.get("/today/")      # the flash
    assert 'id="calls"' not in web.get("/today/").text
    with unit_of_work():
        call.due_on = TODAY
    assert web.post(f"/today/calls/{call.id}", {"outcome": "reached"}).status_code == 302
    db.session.expire_all()
    assert call.outcome == "reached" and call.done_at is not None
    assert [c.outcome for c in db.session.scalars(select(StaffContact).order_by(StaffContact.id))] == [
        "no_answer", "reached"]
    assert web.post(f"/today/calls/{call.id}", {"outcome": "reached"}).status_code == 409
    assert web.post(f"/today/calls/{call.id}", {"outcome": "nonsense"}).status_code == 422


def test_another_clubs_call_is_not_found(make, web, login_as):
    gym = Gym(make)
    other = make.club(name="Other")
    session = gym.session(local(TODAY + timedelta(days=3), 18), club=other,
                          trainer=make.staff("desk", club=other, is_trainer=True))
    member = make.member(club=other, sms_consent=False)
    make.membership(member)
    gym.book(session, member)
    with unit_of_work():
        from clubcrm.services import sessions
        sessions.cancel_session(gym.manager, db.session.get(ClubSession, session.id))
    [call] = db.session.scalars(select(DeskCall)).all()
    login_as("desk")
    assert web.post(f"/today/calls/{call.id}", {"outcome": "reached"}).status_code == 404


# --- price or package -----------------------------------------------------------------------------


def balance(member) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Package.balance).where(Package.member_id == member.id))


def test_a_session_paid_with_a_package_takes_a_unit_when_booked_and_gives_it_back_when_cancelled(make, web,
                                                                                                   login_as):
    gym = Gym(make)
    pilates = make.service(name="Pilates 10")
    session = gym.session(local(TODAY + timedelta(days=1), 18), service_id=pilates.id)
    member = gym.member(first_name="Agnes", last_name="Paid")
    with unit_of_work():
        packages.grant(None, member, pilates, 2, TODAY, "sale")
    login_as("manager")
    assert "one unit of Pilates 10" in web.get(f"/sessions/{session.id}").text
    assert web.post(f"/sessions/{session.id}/book", {"member": str(member.id)}).status_code == 302
    assert balance(member) == 1
    [booking] = db.session.scalars(select(Booking)).all()
    assert booking.ledger_entry_id is not None
    assert web.post(f"/sessions/{session.id}/bookings/{booking.id}/cancel").status_code == 302
    assert balance(member) == 2
    # Booked again, then the whole session cancelled: the unit comes back once.
    assert web.post(f"/sessions/{session.id}/book", {"member": str(member.id)}).status_code == 302
    assert balance(member) == 1
    assert web.post(f"/sessions/{session.id}/cancel").status_code == 302
    assert balance(member) == 2
    kinds = [e.kind for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert kinds == ["grant", "redeem", "adjust", "redeem", "adjust"]
    assert integrity.problems() == []


def test_booking_a_package_session_without_units_is_refused_and_writes_nothing(make, web, login_as):
    gym = Gym(make)
    pilates = make.service(name="Pilates 10")
    session = gym.session(local(TODAY + timedelta(days=1), 18), service_id=pilates.id)
    member = gym.member(first_name="Agnes", last_name="Empty")
    login_as("desk")
    refused = web.post(f"/sessions/{session.id}/book", {"member": str(member.id)})
    assert refused.status_code == 422
    assert field_errors(refused) == {"member": [
        "Agnes Empty has no Pilates 10 left to pay for this session: sell a package first."]}
    assert db.session.scalar(select(Booking.id)) is None
    with unit_of_work():
        packages.grant(None, member, pilates, 1, TODAY, "sale")
    assert web.post(f"/sessions/{session.id}/book", {"member": str(member.id)}).status_code == 302
    other = gym.member(first_name="Otto", last_name="Empty")
    assert web.post(f"/sessions/{session.id}/book", {"member": str(other.id)}).status_code == 422
    assert balance(member) == 0


def test_a_priced_session_says_what_to_pay_and_takes_a_price_or_a_package_not_both(make, web, login_as):
    gym = Gym(make)
    pilates = make.service(name="Pilates 10")
    login_as("manager")
    both = web.post("/sessions/new", {"kind": "class", "title": "Boxing", "starts_at": f"{TODAY}T18:00",
                                      "ends_at": f"{TODAY}T19:00", "capacity": "10", "trainer_id": str(gym.trainer.id),
                                      "price": "15", "service_id": str(pilates.id)})
    assert field_errors(both) == {"service_id": ["A session is paid with a price or with a package, not both."]}
    priced = web.post("/sessions/new", {"kind": "class", "title": "Boxing", "starts_at": f"{TODAY}T18:00",
                                        "ends_at": f"{TODAY}T19:00", "capacity": "10",
                                        "trainer_id": str(gym.trainer.id), "price": "15,50", "service_id": "0"})
    assert priced.status_code == 302, field_errors(priced)
    session = db.session.scalar(select(ClubSession))
    assert session.price_minor == 1550 and session.service_id is None
    member = gym.member(first_name="Agnes", last_name="Cash")
    page = web.get(f"/sessions/{session.id}").text
    assert "15.50" in page
    assert web.post(f"/sessions/{session.id}/book", {"member": str(member.id)}).status_code == 302
    assert "Agnes Cash is booked. To pay at the desk: €15.50." in flashes(web.get(f"/sessions/{session.id}"))
    another = make.service(name="Swim 10", club=make.club(name="Elsewhere"))
    foreign = edit_page(web, gym, session, service_id=str(another.id), price="")
    assert field_errors(foreign) == {"service_id": ["Choose a service."]}
