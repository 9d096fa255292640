"""Sessions: scheduling rules one by one, bookings with a waitlist, attendance on check-in, no-shows,
the week calendar, trainers' work; and the pages, end to end."""
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Booking, ClubSession
from clubcrm.services import checkin, members, sessions
from tests.statements import statements
from tests.web import field_errors, flashes
from tests.conftest import NOW, TODAY

HELSINKI = ZoneInfo("Europe/Helsinki")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given as wall-clock time in the test club's zone."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI)


class Gym:
    """The test club's manager and trainer, and helpers that go through the sessions service."""

    def __init__(self, make) -> None:
        self.make = make
        self.club = make.default_club
        self.manager = make.staff("manager")
        self.trainer = make.staff("desk", name="Tina Trainer", is_trainer=True)

    def session(self, starts: datetime | None = None, minutes: int = 60, capacity: int = 10,
                kind: str = "class", trainer=None, club=None, **data) -> ClubSession:
        starts = starts or local(TODAY, 18)
        values = {"kind": kind, "title": "Yoga", "activity": "Yoga", "starts_at": starts,
                  "ends_at": starts + timedelta(minutes=minutes), "capacity": capacity,
                  "trainer_id": (trainer or self.trainer).id, **data}
        with unit_of_work():
            return sessions.schedule(self.manager, club or self.club, values)

    def member(self, lead: bool = False, **values):
        member = self.make.member(**values)
        if not lead:
            self.make.membership(member)
        return member

    def book(self, session, member) -> Booking:
        with unit_of_work():
            return sessions.book(self.make.desk(), session, member)

    def spinning_booked_by_texted_and_called(self):
        """A spinning session in two days, booked by Tuuli (SMS consent, Finnish) and Kalle (no consent): who is
        texted and who is called when it changes."""
        session = self.session(local(TODAY + timedelta(days=2), 18), title="Spinning")
        texted = self.member(first_name="Tuuli", last_name="Texted", sms_consent=True, locale="fi")
        called = self.member(first_name="Kalle", last_name="Called", sms_consent=False)
        self.book(session, texted)
        self.book(session, called)
        return session, texted, called

    def status(self, booking: Booking) -> str:
        db.session.expire_all()
        return db.session.get(Booking, booking.id).status


@pytest.fixture
def gym(make) -> Gym:
    return Gym(make)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- scheduling ---------------------------------------------------------------------------------


def test_schedule_reads_wall_clock_time_in_the_clubs_zone(gym):
    session = gym.session(starts=datetime(2026, 3, 12, 18, 0))  # naive: Helsinki time
    assert session.starts_at == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
    assert session.ends_at == datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
    assert session.trainer_id == gym.trainer.id and session.capacity == 10
    assert count(AuditEvent, AuditEvent.entity == "club_session") == 1


@pytest.mark.parametrize("field, data, message", [
    ("kind", {"kind": "party"}, "Choose a class, a trial session or a club event."),
    ("title", {"title": "   "}, "Enter a title of at most 80 characters."),
    ("title", {"title": "x" * 81}, "Enter a title of at most 80 characters."),
    ("activity", {"activity": "x" * 61}, "Enter an activity of at most 60 characters."),
    ("starts_at", {"starts_at": None}, "Enter when the session starts."),
    ("ends_at", {"ends_at": None}, "Enter when the session ends."),
    ("ends_at", {"ends_at": datetime(2026, 3, 12, 18, 0)}, "The session must end after it starts."),
    ("ends_at", {"ends_at": datetime(2026, 3, 12, 17, 0)}, "The session must end after it starts."),
    ("ends_at", {"ends_at": datetime(2026, 3, 13, 18, 1)}, "A session can last at most 24 hours."),
    ("ends_at", {"ends_at": datetime(9999, 12, 31, 23, 59)}, "A session can last at most 24 hours."),
    ("starts_at", {"starts_at": datetime(1, 1, 1, 0, 0)}, "A session cannot start more than a year ago."),
    ("starts_at", {"starts_at": datetime(9999, 12, 31, 0, 0)},
     "A session can be scheduled at most two years ahead."),
    ("capacity", {"capacity": 0}, "Enter a whole number of places from 1 to 500."),
    ("capacity", {"capacity": 501}, "Enter a whole number of places from 1 to 500."),
    ("capacity", {"capacity": None}, "Enter a whole number of places from 1 to 500."),
    ("trainer_id", {"trainer_id": None}, "Choose a trainer of this club."),
    ("trainer_id", {"trainer_id": 2**31 - 1}, "Choose a trainer of this club."),
])
def test_schedule_refuses_bad_values_naming_the_field(gym, field, data, message):
    values = {"kind": "class", "title": "Yoga", "activity": "", "starts_at": datetime(2026, 3, 12, 18, 0),
              "ends_at": datetime(2026, 3, 12, 19, 0), "capacity": 10, "trainer_id": gym.trainer.id, **data}
    with pytest.raises(InvalidInput) as caught, unit_of_work():
        sessions.schedule(gym.manager, gym.club, values)
    assert (caught.value.field, str(caught.value)) == (field, message)
    assert count(ClubSession) == 0


def test_trainer_must_be_a_trainer_of_this_club(gym, make):
    plain_desk = make.staff("desk")
    elsewhere = make.staff("desk", club=make.club(), is_trainer=True)
    for staff in (plain_desk, elsewhere):
        with pytest.raises(InvalidInput) as caught:
            gym.session(trainer=staff)
        assert caught.value.field == "trainer_id"
    event_ = gym.session(kind="event", trainer_id=None)
    assert event_.trainer_id is None


def test_a_session_may_start_in_the_past(gym):
    session = gym.session(starts=local(TODAY - timedelta(days=30), 18))
    assert session.starts_at < NOW


# --- bookings -----------------------------------------------------------------------------------


def test_booking_fills_places_then_the_waitlist(gym):
    session = gym.session(capacity=2)
    first, second, third = (gym.book(session, gym.member()) for _ in range(3))
    assert [first.status, second.status, third.status] == ["booked", "booked", "waitlist"]


def test_a_member_books_once(gym):
    session = gym.session(capacity=1)
    booked, waiting = gym.member(first_name="Bea"), gym.member(first_name="Wes")
    gym.book(session, booked)
    gym.book(session, waiting)
    with pytest.raises(Conflict, match="Bea Number.* is already booked"):
        gym.book(session, booked)
    with pytest.raises(Conflict, match="already on the waitlist"):
        gym.book(session, waiting)
    assert count(Booking) == 2


def test_another_clubs_member_is_not_found(gym, make):
    stranger = make.member(club=make.club())
    make.membership(stranger)
    with pytest.raises(NotFound) as caught:
        gym.book(gym.session(), stranger)
    assert caught.value.field == "member" and str(caught.value.message) == "No member has this card code, phone or id."
    assert count(Booking) == 0


def test_a_lead_books_a_trial_session_only(gym):
    lead = gym.member(lead=True)
    with pytest.raises(InvalidInput) as caught:
        gym.book(gym.session(kind="class"), lead)
    assert caught.value.code == "lead"
    assert gym.book(gym.session(kind="trial", capacity=1), lead).status == "booked"


def test_cancelled_or_ended_session_takes_no_booking(gym):
    ended = gym.session(starts=local(TODAY, 8))  # 08:00-09:00 local; now is 10:00 local
    with pytest.raises(Conflict, match="over"):
        gym.book(ended, gym.member())
    later = gym.session()
    with unit_of_work():
        sessions.cancel_session(gym.manager, later)
    with pytest.raises(Conflict, match="cancelled"):
        gym.book(later, gym.member())


def test_cancelling_a_booking_promotes_the_first_on_the_waitlist(gym):
    session = gym.session(capacity=1)
    booked = gym.book(session, gym.member())
    clock.set_now(NOW + timedelta(minutes=1))
    first_waiting = gym.book(session, gym.member())
    clock.set_now(NOW + timedelta(minutes=2))
    second_waiting = gym.book(session, gym.member())
    with unit_of_work():
        promoted = sessions.cancel_booking(gym.make.desk(), booked)
    assert promoted.id == first_waiting.id
    assert [gym.status(b) for b in (booked, first_waiting, second_waiting)] == [
        "cancelled", "booked", "waitlist"]


def test_cancelling_a_waitlist_place_promotes_nobody(gym):
    session = gym.session(capacity=1)
    booked = gym.book(session, gym.member())
    waiting = gym.book(session, gym.member())
    other = gym.book(session, gym.member())
    with unit_of_work():
        assert sessions.cancel_booking(gym.make.desk(), waiting) is None
    assert [gym.status(b) for b in (booked, waiting, other)] == ["booked", "cancelled", "waitlist"]
    with pytest.raises(Conflict), unit_of_work():
        sessions.cancel_booking(gym.make.desk(), db.session.get(Booking, waiting.id))


def test_booking_again_after_cancelling_queues_behind_those_waiting(gym):
    session = gym.session(capacity=1)
    member = gym.member()
    first = gym.book(session, member)
    waiting = gym.book(session, gym.member())
    with unit_of_work():
        sessions.cancel_booking(gym.make.desk(), first)
    again = gym.book(session, member)
    assert again.id == first.id and again.status == "waitlist"
    assert gym.status(waiting) == "booked"


def test_cancelling_a_session_cancels_its_bookings(gym):
    session = gym.session(capacity=1)
    bookings = [gym.book(session, gym.member()) for _ in range(2)]
    with unit_of_work():
        assert sessions.cancel_session(gym.manager, session).bookings == 2
    assert [gym.status(b) for b in bookings] == ["cancelled", "cancelled"]
    with pytest.raises(Conflict), unit_of_work():
        sessions.cancel_session(gym.manager, db.session.get(ClubSession, session.id))


def test_the_booking_lookup_finds_this_clubs_member_by_card_phone_or_id(gym, make):
    member = gym.member(card_code="CARD-7", phone="+358401112233")
    # Card codes are unique in the chain; another club's card is not this club's member.
    make.member(club=make.club(), card_code="CARD-8", phone="+358401112233")
    for text in ("CARD-7", "card-7", " 040 111 2233 ", str(member.id)):
        assert members.lookup(gym.club, text).id == member.id
    for text in ("NOPE", "CARD-8"):
        with pytest.raises(NotFound) as caught:
            members.lookup(gym.club, text)
        assert caught.value.field == "member"
    with pytest.raises(InvalidInput):
        members.lookup(gym.club, "  ")


# --- attendance ---------------------------------------------------------------------------------


def test_check_in_marks_that_days_bookings_attended(gym):
    member = gym.member()
    # 00:30 local on the 10th is 22:30 UTC on the 9th: still the club's day of the check-in.
    early = gym.session(starts=local(TODAY, 0, 30), title="Early")
    tonight = gym.session(starts=local(TODAY, 18))
    tomorrow = gym.session(starts=local(TODAY + timedelta(days=1), 0, 30))
    full = gym.session(starts=local(TODAY, 20), capacity=1)
    clock.set_now(NOW - timedelta(days=1))  # book the early one before it happened
    bookings = {"early": gym.book(early, member)}
    clock.set_now(NOW)
    bookings |= {"tonight": gym.book(tonight, member), "tomorrow": gym.book(tomorrow, member)}
    gym.book(full, gym.member())
    bookings["waitlist"] = gym.book(full, member)
    other = gym.book(tonight, gym.member())
    with unit_of_work():
        checkin.check_in(gym.make.desk(), member)
    assert {k: gym.status(b) for k, b in bookings.items()} == {
        "early": "attended", "tonight": "attended", "tomorrow": "booked", "waitlist": "waitlist"}
    assert gym.status(other) == "booked"


def test_a_check_in_costs_the_same_statements_with_or_without_bookings(gym):
    def cost(member) -> int:
        db.session.expire_all()
        with statements() as seen, unit_of_work():
            checkin.check_in(gym.make.desk(), member)
        return len(seen)

    plain, busy = gym.member(), gym.member()
    for hour in range(11, 21):
        gym.book(gym.session(starts=local(TODAY, hour, 30), minutes=20), busy)
    gym.make.desk()
    assert cost(plain) == cost(busy)
    assert count(Booking, Booking.status == "attended") == 10


def test_no_shows_are_marked_for_ended_sessions_only(gym):
    clock.set_now(NOW - timedelta(days=2))
    ended = gym.session(starts=local(TODAY - timedelta(days=1), 18))
    cancelled = gym.session(starts=local(TODAY - timedelta(days=1), 19, 30))
    running = gym.session(starts=local(TODAY, 9, 30))  # 09:30-10:30 local; now is 10:00
    absent, present = gym.member(), gym.member()
    b_absent, b_present = gym.book(ended, absent), gym.book(ended, present)
    b_cancelled = gym.book(cancelled, absent)
    b_running = gym.book(running, absent)
    with unit_of_work():
        sessions.cancel_session(gym.manager, cancelled)
    clock.set_now(NOW)
    with unit_of_work():
        sessions.mark_attended(gym.make.desk(), b_present)
        assert sessions.mark_no_shows(gym.club, NOW) == 1
    assert [gym.status(b) for b in (b_absent, b_present, b_cancelled, b_running)] == [
        "no_show", "attended", "cancelled", "booked"]
    with unit_of_work():
        assert sessions.mark_no_shows(gym.club, NOW) == 0


# --- the week -----------------------------------------------------------------------------------


def test_week_holds_the_club_local_week_with_counts_in_one_query(gym, make):
    monday = date(2026, 3, 9)
    gym.session(starts=local(monday, 0, 0), title="Monday midnight")  # 22:00 UTC on Sunday
    full = gym.session(starts=local(monday + timedelta(days=2), 18), capacity=1, title="Wednesday")
    gym.session(starts=local(monday + timedelta(days=6), 23, 0), title="Sunday late")
    gym.session(starts=local(monday + timedelta(days=7), 0, 30), title="Next week")
    gym.session(starts=local(monday, 9), title="Elsewhere", club=make.club(), trainer_id=None, kind="event")
    for _ in range(3):
        gym.book(full, gym.member())
    db.session.expire_all()
    assert gym.club.timezone == "Europe/Helsinki"  # loaded before counting
    with statements() as seen:
        week = sessions.week(gym.club, date(2026, 3, 12))  # any day picks its Monday
        titles = {day: [(s.session.title, s.booked, s.waitlist, s.session.trainer.name) for s in slots]
                  for day, slots in week.days}
    assert len(seen) == 1
    assert week.monday == monday and week.previous == date(2026, 3, 2) and week.next == date(2026, 3, 16)
    assert titles[monday] == [("Monday midnight", 0, 0, "Tina Trainer")]
    assert titles[monday + timedelta(days=2)] == [("Wednesday", 1, 2, "Tina Trainer")]
    assert titles[monday + timedelta(days=6)] == [("Sunday late", 0, 0, "Tina Trainer")]
    assert sum(len(v) for v in titles.values()) == 3


# --- trainers' work -----------------------------------------------------------------------------


def test_trainer_stats_by_hand(gym, make):
    """Anna's two classes and Boris's trial, 2–15 March, counted by hand (see the comments)."""
    boris = make.staff("desk", name="Boris Trainer", is_trainer=True)
    make.staff("desk", name="Cleo Trainer", is_trainer=True)
    members = [gym.member() for _ in range(5)]
    regular = make.member()  # a member since February who tries a session: not a trial sale
    clock.set_now(datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
    make.membership(regular, today=date(2026, 2, 1))
    leads = {name: gym.member(lead=True, first_name=name) for name in ("Sold", "Late", "Edge", "Absent")}
    monday = date(2026, 3, 2)
    clock.set_now(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    mon = gym.session(starts=local(monday, 18), capacity=3)
    wed = gym.session(starts=local(monday + timedelta(days=2), 18))
    thu = gym.session(starts=local(monday + timedelta(days=3), 18))  # cancelled: not counted
    trial = gym.session(starts=local(monday + timedelta(days=5), 10), kind="trial", trainer=boris)
    tonight = gym.session(starts=local(TODAY, 18))  # not ended as of NOW: not counted
    gym.session(starts=local(date(2026, 3, 16), 18))  # after the period
    mon_b = [gym.book(mon, m) for m in members]  # three places, two waiting
    wed_b = [gym.book(wed, m) for m in members[:2]]
    gym.book(thu, members[0])
    trial_b = {name: gym.book(trial, lead) for name, lead in leads.items()} | {"regular": gym.book(trial, regular)}
    gym.book(tonight, members[0])
    with unit_of_work():
        sessions.cancel_booking(None, mon_b[4])  # a waitlist place: no promotion
        sessions.cancel_session(gym.manager, thu)
    clock.set_now(datetime(2026, 3, 8, 12, 0, tzinfo=UTC))
    with unit_of_work():
        for booking in (mon_b[0], mon_b[1], wed_b[0]) + tuple(
                trial_b[name] for name in ("Sold", "Late", "Edge", "regular")):
            sessions.mark_attended(None, db.session.get(Booking, booking.id))
    # Anna: Monday 2 attended of 3 (one no-show, one waiting, one cancelled); Wednesday 1 of 2.
    # Boris: the trial 4 attended of 5; sales within 14 days after its start (7 March 08:00 UTC):
    # "Sold" on the 9th, "Edge" exactly 14 days later; "Late" a second too late; "Absent" did not come.
    trial_start = datetime(2026, 3, 7, 8, 0, tzinfo=UTC)
    for name, moment in (("Sold", datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
                         ("Edge", trial_start + timedelta(days=14)),
                         ("Late", trial_start + timedelta(days=14, seconds=1)),
                         ("Absent", datetime(2026, 3, 8, 13, 0, tzinfo=UTC))):
        clock.set_now(moment)
        make.membership(leads[name], today=moment.date())
    clock.set_now(NOW)
    with unit_of_work():
        sessions.mark_no_shows(gym.club, NOW)
    assert gym.club.timezone
    with statements() as seen:
        stats = {s.name: s for s in sessions.trainer_stats(gym.club, monday, date(2026, 3, 15))}
    assert len(seen) == 1
    got = {name: (s.sessions, s.attended, s.expected, s.attendance_rate, s.trial_sales)
           for name, s in stats.items()}
    assert got == {
        "Tina Trainer": (2, 3, 5, 0.6, 0),
        "Boris Trainer": (1, 4, 5, 0.8, 2),
        "Cleo Trainer": (0, 0, 0, None, 0),
    }


# --- the pages ----------------------------------------------------------------------------------


def snapshot() -> tuple:
    db.session.commit()
    return (count(ClubSession), count(AuditEvent),
            [tuple(r) for r in db.session.execute(select(Booking.id, Booking.status).order_by(Booking.id))])


def test_desk_sees_the_week_and_books_by_card_phone_and_id(gym, web, login_as):
    login_as("desk")
    session = gym.session(starts=local(TODAY, 18), capacity=2, title="Evening Yoga")
    by_card = gym.member(card_code="YOGA-1", first_name="Cara")
    by_phone = gym.member(phone="+358405556677", first_name="Pia")
    by_id = gym.member(first_name="Ida")
    page = web.get("/sessions/?week=2026-03-11")
    assert page.status_code == 200
    assert "Evening Yoga" in page.text and "Tina Trainer" in page.text
    assert re.search(r"6:00\W+PM–7:00\W+PM", page.text)  # 18:00 Helsinki time, in English
    assert "0 of 2 booked" in page.text
    assert 'href="/sessions/?week=2026-03-02"' in page.text and 'href="/sessions/?week=2026-03-16"' in page.text
    url = f"/sessions/{session.id}/book"
    for text in ("YOGA-1", "040 555 6677", str(by_id.id)):
        response = web.post(url, {"member": text}, follow_redirects=True)
        assert response.status_code == 200
    assert "Cara Number" in response.text and "Pia Number" in response.text
    assert any("on the waitlist" in text for text in flashes(response))
    statuses = dict(db.session.execute(select(Booking.member_id, Booking.status)).all())
    assert statuses == {by_card.id: "booked", by_phone.id: "booked", by_id.id: "waitlist"}
    assert "2 of 2 booked" in web.get("/sessions/?week=2026-03-11").text
    assert "1 waiting" in web.get("/sessions/?week=2026-03-11").text


def test_desk_cancels_a_booking_and_marks_attendance(gym, web, login_as):
    login_as("desk")
    session = gym.session(starts=local(TODAY, 9, 30), capacity=1)  # running now
    first = gym.book(session, gym.member())
    waiting = gym.book(session, gym.member())
    response = web.post(f"/sessions/{session.id}/bookings/{first.id}/cancel", follow_redirects=True)
    assert "Booking cancelled." in flashes(response)
    response = web.post(f"/sessions/{session.id}/bookings/{waiting.id}/attend", follow_redirects=True)
    assert "Marked as attended." in flashes(response)
    assert [gym.status(first), gym.status(waiting)] == ["cancelled", "attended"]


def test_bad_booking_input_shows_on_the_field_and_writes_nothing(gym, web, login_as, make):
    login_as("desk")
    session = gym.session()
    make.member(club=make.club(), card_code="FAR-1")
    before = snapshot()
    for text, message in (("", "Enter a card code, a phone number or a member id."),
                          ("NOPE", "No member has this card code, phone or id."),
                          ("FAR-1", "No member has this card code, phone or id.")):   # another club's
        response = web.post(f"/sessions/{session.id}/book", {"member": text})
        assert response.status_code == 422
        assert field_errors(response) == {"member": [message]}
    assert snapshot() == before


def test_desk_cannot_schedule_or_cancel_sessions(gym, web, login_as):
    login_as("desk")
    session = gym.session()
    before = snapshot()
    assert web.get("/sessions/new").status_code == 403
    assert web.post("/sessions/new", {"kind": "class", "title": "X"}).status_code == 403
    assert web.post(f"/sessions/{session.id}/cancel").status_code == 403
    assert web.get("/sessions/trainers").status_code == 403
    assert snapshot() == before


def test_manager_schedules_and_cancels_a_session(gym, web, login_as):
    login_as("manager")
    form = web.get("/sessions/new")
    assert form.status_code == 200 and "Tina Trainer" in form.text
    response = web.post("/sessions/new", {
        "kind": "class", "title": "Spinning", "activity": "Spinning", "starts_at": "2026-03-12T19:00",
        "ends_at": "2026-03-12T19:45", "capacity": "12", "trainer_id": str(gym.trainer.id)})
    assert response.status_code == 302, field_errors(response)
    assert response.location.endswith("/sessions/?week=2026-03-12")
    session = db.session.scalar(select(ClubSession).where(ClubSession.title == "Spinning"))
    assert session.starts_at == datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
    response = web.post(f"/sessions/{session.id}/cancel", follow_redirects=True)
    assert "Session cancelled with 0 bookings." in flashes(response)
    assert web.get("/sessions/trainers").status_code == 200


@pytest.mark.parametrize("data, field, message", [
    ({"title": ""}, "title", "Enter a title of at most 80 characters."),
    ({"ends_at": "2026-03-12T18:30"}, "ends_at", "The session must end after it starts."),
    ({"capacity": "0"}, "capacity", "Enter a whole number of places from 1 to 500."),
    ({"trainer_id": "0"}, "trainer_id", "Choose a trainer of this club."),
    ({"starts_at": ""}, "starts_at", "Enter when the session starts."),
])
def test_bad_schedule_input_shows_on_the_field_and_writes_nothing(gym, web, login_as, data, field, message):
    login_as("manager")
    before = snapshot()
    response = web.post("/sessions/new", {
        "kind": "class", "title": "Spinning", "activity": "", "starts_at": "2026-03-12T19:00",
        "ends_at": "2026-03-12T19:45", "capacity": "12", "trainer_id": str(gym.trainer.id), **data})
    assert response.status_code == 422
    assert field_errors(response) == {field: [message]}
    assert snapshot() == before


def test_another_clubs_session_is_not_found(gym, web, login_as, make):
    login_as("desk")
    other = gym.session(club=make.club(), kind="event", trainer_id=None)
    assert web.get(f"/sessions/{other.id}").status_code == 404
    assert web.post(f"/sessions/{other.id}/book", {"member": "x"}).status_code == 404
    assert web.get("/sessions/?week=yesterday").status_code == 200
    assert web.get("/sessions/?week=9999-12-31").status_code == 200


def test_trainers_page_reads_any_period(gym, web, login_as):
    login_as("manager")
    for query in ("", "?from=2026-03-01&to=2026-03-15", "?from=9999-12-31&to=0001-01-01", "?from=x&to=%00"):
        response = web.get("/sessions/trainers" + query)
        assert response.status_code in (200, 400), query
        assert response.status_code == 200 or "%00" in query
    assert "Tina Trainer" in web.get("/sessions/trainers").text
