"""The timetable (issue 16, item 4): weekly classes with a room, the week per room and per trainer, booking by name,
past sessions taking attendance instead of bookings, frozen members refused, their calls dropped when a freeze
starts, and the card's list of bookings."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Booking, ClubSession, DeskCall, Membership, Message
from clubcrm.services import members, sales, sessions
from tests.conftest import TODAY
from tests.test_sessions import Gym, local
from tests.test_tasks import newcomer, run_engine, task_of
from tests.web import field_errors, flashes

HELSINKI = ZoneInfo("Europe/Helsinki")


def schedule_page(web, gym, **values):
    data = {"kind": "class", "title": "Spinning", "activity": "", "starts_at": "2026-03-17T18:00",
            "ends_at": "2026-03-17T19:00", "capacity": "12", "trainer_id": str(gym.trainer.id), "room": "Studio 2",
            "weekly_until": "", **values}
    return web.post("/sessions/new", data)


def test_a_weekly_class_repeats_at_the_same_local_time_until_its_last_week(make, web, login_as):
    gym = Gym(make)
    login_as("manager")
    response = schedule_page(web, gym, weekly_until="2026-04-07")
    assert response.status_code == 302, field_errors(response)
    found = db.session.scalars(select(ClubSession).order_by(ClubSession.starts_at)).all()
    # 17, 24 and 31 March and 7 April: at 18:00 in Helsinki before and after summer time (29 March).
    assert [s.starts_at.astimezone(HELSINKI).replace(tzinfo=None) for s in found] == [
        datetime(2026, 3, 17, 18, 0), datetime(2026, 3, 24, 18, 0), datetime(2026, 3, 31, 18, 0),
        datetime(2026, 4, 7, 18, 0)]
    assert {s.series_id for s in found} == {found[0].id} and {s.room for s in found} == {"Studio 2"}
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in found)


def test_a_series_must_end_after_it_starts_and_within_a_year(make, web, login_as):
    gym = Gym(make)
    login_as("manager")
    early = schedule_page(web, gym, weekly_until="2026-03-10")
    assert early.status_code == 422
    assert field_errors(early) == {"weekly_until": ["The last week must not come before the first session."]}
    late = schedule_page(web, gym, weekly_until="2027-06-01")
    assert field_errors(late) == {"weekly_until": ["A weekly class can be scheduled at most a year ahead."]}
    assert db.session.scalar(select(ClubSession.id)) is None


def test_the_week_shows_one_room_or_one_trainer(make, web, login_as):
    gym = Gym(make)
    other = make.staff("desk", name="Otto Trainer", is_trainer=True)
    gym.session(local(TODAY, 9), room="Pool")
    gym.session(local(TODAY, 11), room="Studio 2", trainer=other)
    login_as("desk")
    everything = web.get("/sessions/").text
    assert everything.count('class="slot') == 2
    pool = web.get("/sessions/?room=Pool").text
    assert pool.count('class="slot') == 1 and "Pool" in pool
    otto = web.get(f"/sessions/?trainer={other.id}").text
    assert otto.count('class="slot') == 1 and "Otto Trainer" in otto
    assert web.get("/sessions/?trainer=x&room=" + "y" * 300).status_code == 200


def test_a_member_is_booked_by_name(make, web, login_as):
    gym = Gym(make)
    session = gym.session(local(TODAY + timedelta(days=1), 18))
    gym.member(first_name="Agnes", last_name="Unique")
    login_as("desk")
    response = web.post(f"/sessions/{session.id}/book", {"member": "Agnes Uni"})
    assert response.status_code == 302, field_errors(response)
    assert "Agnes Unique is booked." in flashes(web.get(f"/sessions/{session.id}"))


def test_a_name_several_members_share_lists_them_to_choose(make, web, login_as):
    gym = Gym(make)
    session = gym.session(local(TODAY + timedelta(days=1), 18))
    first = gym.member(first_name="Anna", last_name="Lindqvist", phone="+358401110001")
    gym.member(first_name="Anna", last_name="Lindqvist", phone="+358401110002")
    login_as("desk")
    page = web.post(f"/sessions/{session.id}/book", {"member": "Anna Lindqvist"})
    assert page.status_code == 200
    assert len(re.findall(r'<button class="small" data-member="\d+">Book: Anna Lindqvist</button>', page.text)) == 2
    assert db.session.scalar(select(Booking.id)) is None
    chosen = web.post(f"/sessions/{session.id}/book", {"member": str(first.id)})
    assert chosen.status_code == 302
    assert db.session.scalar(select(Booking.member_id)) == first.id
    live = web.get(f"/sessions/{session.id}/find?q=Anna")
    assert live.status_code == 200 and live.text.count("data-member=") == 2
    nobody = web.post(f"/sessions/{session.id}/book", {"member": "Zelda"})
    assert nobody.status_code == 422 and "member" in field_errors(nobody)


def test_a_past_session_takes_attendance_not_bookings(make, web, login_as):
    gym = Gym(make)
    past = gym.session(local(TODAY - timedelta(days=2), 18))
    member = gym.member(first_name="Was", last_name="There")
    login_as("desk")
    page = web.get(f"/sessions/{past.id}").text
    assert "Record attendance" in page and "Book a member" not in page
    response = web.post(f"/sessions/{past.id}/book", {"member": member.card_code})
    assert response.status_code == 302, field_errors(response)
    assert "Was There attended." in flashes(web.get(f"/sessions/{past.id}"))
    assert db.session.scalar(select(Booking.status).where(Booking.member_id == member.id)) == "attended"


def test_a_frozen_member_cannot_be_booked(make, web, login_as):
    gym = Gym(make)
    session = gym.session(local(TODAY + timedelta(days=3), 18))
    member = gym.member(first_name="Frida", last_name="Frozen")
    desk = login_as("desk")
    membership_id = db.session.scalar(select(Membership.id).where(Membership.member_id == member.id))
    with unit_of_work():
        sales.freeze(desk, members.get_for(desk, member.id), membership_id, TODAY, TODAY + timedelta(days=9), TODAY)
    response = web.post(f"/sessions/{session.id}/book", {"member": member.card_code})
    assert response.status_code == 422
    [message] = field_errors(response)["member"]
    assert message.startswith("Frida Frozen's membership is frozen until")
    assert db.session.scalar(select(Booking.id)) is None


def test_a_freeze_drops_the_calls_planned_for_the_member(make, login_as):
    member = newcomer(make, first_name="Cal", last_name="Led")
    run_engine(7)                     # a week without a first visit: a call is planned for today
    assert task_of(member).status == "planned"
    desk = make.desk()
    today = clock.utcnow().astimezone(HELSINKI).date()
    membership_id = db.session.scalar(select(Membership.id).where(Membership.member_id == member.id))
    with unit_of_work():
        sales.freeze(desk, members.get_for(desk, member.id), membership_id, today, today + timedelta(days=14), today)
    task = task_of(member)
    assert (task.status, task.skip_reason) == ("skipped", "frozen")


def test_the_card_lists_upcoming_and_past_bookings(make, web, login_as):
    gym = Gym(make)
    member = gym.member(first_name="Bo", last_name="Booker")
    soon = gym.session(local(TODAY + timedelta(days=2), 18), title="Pilates soon", room="Studio 1")
    gone = gym.session(local(TODAY - timedelta(days=3), 18), title="Yoga gone")
    gym.book(soon, member)
    with unit_of_work():
        sessions.record_attendance(gym.manager, db.session.get(ClubSession, gone.id), member)
    login_as("desk")
    panel = web.get(f"/members/{member.id}/bookings?partial=1")
    assert panel.status_code == 200
    upcoming = re.search(r'<table class="compact" id="bookings-upcoming">(.*?)</table>', panel.text, re.S).group(1)
    past = re.search(r'<table class="compact" id="bookings-past">(.*?)</table>', panel.text, re.S).group(1)
    assert "Pilates soon" in upcoming and "Studio 1" in upcoming and "booked" in upcoming
    assert "Yoga gone" in past and "attended" in past
    assert f'data-src="/members/{member.id}/bookings?partial=1"' in web.get(f"/members/{member.id}").text


def test_cancelling_a_session_texts_the_booked_in_their_language_and_lists_the_others_to_call(make, web, login_as):
    session, texted, called = Gym(make).spinning_booked_by_texted_and_called()
    login_as("manager")
    response = web.post(f"/sessions/{session.id}/cancel")
    assert response.status_code == 302
    notes = flashes(web.get(f"/sessions/{session.id}"))
    assert "Session cancelled with 2 bookings. 1 member is told by SMS." in notes
    assert any(n.startswith("Calls to tell them are on Today's list (no SMS consent): Kalle Called") for n in notes)
    [call] = db.session.scalars(select(DeskCall)).all()
    assert (call.member_id, call.session_id, call.reason, call.due_on) == (called.id, session.id,
                                                                           "session_cancelled", TODAY)
    [message] = db.session.scalars(select(Message)).all()
    assert message.member_id == texted.id and message.status == "queued" and message.locale == "fi"
    assert "Spinning" in message.body and "peruttu" in message.body
    # Cancelling is once: nothing is queued twice.
    assert web.post(f"/sessions/{session.id}/cancel").status_code == 302
    assert len(db.session.scalars(select(Message)).all()) == 1
