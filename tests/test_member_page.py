"""The member page's content and bookings (issue 18, item 2): the membership, balances, bookings with their cancel
deadline, the sessions that fit the member, and booking and cancelling from the page, on both engines."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import (
    AuditEvent, Booking, Club, ClubSession, Member, MemberPageEvent, Membership, Message, Plan, Touchpoint,
)
from clubcrm.services import lead_cycles, member_links, sales, sessions
from clubcrm.services.contracts import memberships_of
from tests.conftest import NOW, TODAY

HELSINKI = ZoneInfo("Europe/Helsinki")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of March 2026 in the club's zone (Helsinki)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=HELSINKI)


def schedule(make, club=None, kind="class", title="Yoga", activity=None, starts_at=None, capacity=10,
             minutes=60, **extra) -> ClubSession:
    club = club or make.default_club
    trainer = make.staff("desk", club=club, is_trainer=True)
    starts_at = starts_at or at(12, 18)
    with unit_of_work():
        session = sessions.schedule(trainer, club, {
            "kind": kind, "title": title, "activity": activity, "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=minutes), "capacity": capacity, "trainer_id": trainer.id,
            **extra})
    return session


def link(member, tool_key="class_invitation", session=None) -> str:
    """A token of MEMBER's page, carried by the SMS of a touchpoint of TOOL_KEY (offering SESSION)."""
    with unit_of_work():
        member = db.session.get(Member, member.id)
        club = member.club
        rule = next(r for r in engine.club_rules(club) if r.tool.key == tool_key and r.channel == "sms")
        membership = db.session.scalar(select(Membership).where(Membership.member_id == member.id)
                                       .order_by(Membership.ends_on.desc()).limit(1))
        cycle = {"membership_id": membership.id} if membership is not None else \
            {"lead_cycle_id": lead_cycles.open_cycle_of(member.id).id}
        touchpoint = Touchpoint(club_id=club.id, member_id=member.id, tool_id=rule.tool_id, rule_id=rule.id,
                                stage="active" if membership else "lead", channel="sms", status="sent", due_on=TODAY,
                                planned_at=NOW, session_id=session.id if session else None, **cycle)
        db.session.add(touchpoint)
        db.session.flush()
        message = Message(club_id=club.id, member_id=member.id, touchpoint_id=touchpoint.id,
                          idempotency_key=f"page:{touchpoint.id}", to_phone=member.phone, body="Hi",
                          locale="en", encoding="GSM-7", segments=1, status="sent", due_at=NOW, created_at=NOW)
        db.session.add(message)
        db.session.flush()
        return member_links.mint(message, NOW)


def member_with(make, days=365, plan="Gold Year", **values):
    member = make.member(**values)
    chosen = db.session.scalar(select(Plan).where(Plan.name == plan, Plan.club_id == member.club_id)) or \
        make.plan(name=plan, duration_days=days)
    make.membership(member, chosen, today=TODAY - timedelta(days=100))
    return member


def attended(make, member, title="Yoga", activity=None):
    """MEMBER took part in a past class TITLE."""
    with clock.frozen(NOW - timedelta(days=10)):
        past = schedule(make, title=title, activity=activity, starts_at=at(1, 18))
        with unit_of_work():
            sessions.book(None, db.session.get(ClubSession, past.id), db.session.get(Member, member.id))
    with unit_of_work():
        db.session.execute(update(Booking).where(Booking.session_id == past.id).values(status="attended"))
    return past


def bookings_of(member) -> list[Booking]:
    db.session.expire_all()
    return list(db.session.scalars(select(Booking).where(Booking.member_id == member.id).order_by(Booking.id)))


def events_of(member) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(MemberPageEvent.kind).where(MemberPageEvent.member_id == member.id)
                                   .order_by(MemberPageEvent.id)))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def flashed(client, response) -> str:
    """The page the POST redirected to (its flash messages)."""
    assert response.status_code == 302, response.data
    return client.get(response.headers["Location"]).get_data(as_text=True)


# --- what the page shows ------------------------------------------------------------------------


def test_the_page_shows_that_members_membership_days_left_and_balances_and_nobody_elses(make, client):
    member = member_with(make, first_name="Anna", last_name="Virtanen", phone="+358401111111",
                         email="anna@example.com")
    other = member_with(make, first_name="Bertta", last_name="Other", phone="+358402222222")
    service = make.service(name="Massage", package_units=5, valid_days=90)
    with unit_of_work():
        sales.sell_package(make.desk(), db.session.get(Member, member.id), service.id, TODAY)
    token = link(member)
    page = client.get(f"/m/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # 365 days from 100 days ago: the last day is 264 days from today.
    assert "Hello, Anna!" in text and "Gold Year" in text and "264 days left" in text
    assert "Massage" in text and "5 left" in text and "Valid until" in text
    for secret in ("Virtanen", "+358401111111", "anna@example.com", "Bertta", "+358402222222", other.last_name):
        assert secret not in text


def test_a_frozen_membership_says_until_when(make, client):
    member = member_with(make)
    with unit_of_work():
        current = memberships_of(member.id)[0]
        sales.freeze(make.desk(), db.session.get(Member, member.id), current.id, TODAY, TODAY + timedelta(days=9),
                     TODAY)
    text = client.get(f"/m/{link(member)}").get_data(as_text=True)
    assert "Frozen until March 19, 2026" in text


def test_a_german_member_is_spoken_to_as_the_clubs_texts_speak_to_them(make, client):
    """The German SMS texts say "du"; the page they link to does too, also in its answers and on its 404."""
    member = member_with(make, locale="de")
    schedule(make, title="Yoga", starts_at=at(12, 18))
    attended(make, member)
    token = link(member, tool_key="renewal_offer")
    text = client.get(f"/m/{token}").get_data(as_text=True)
    said = flashed(client, client.post(f"/m/{token}/renewal", data={"answer": "call_me"}))
    missing = client.get("/m/" + "x" * 11, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Deine Mitgliedschaft" in text and "Stunden für dich" in text and "ruft dich" in said
    for page in (text, said):
        assert not re.search(r"\b(Sie|Ihre?[mnrs]?|Ihnen)\b", re.sub(r"<[^>]+>", " ", page)), page
    assert "bitte frag am Empfang" in missing and "Sie" not in missing


def test_a_lead_sees_trial_sessions_the_offered_one_first_and_no_classes(make, client):
    lead = make.member(first_name="Lea")
    later_trial = schedule(make, kind="trial", title="Trial Tuesday", starts_at=at(17, 18))
    offered = schedule(make, kind="trial", title="Trial Friday", starts_at=at(20, 18))
    schedule(make, kind="class", title="Spinning", starts_at=at(11, 18))
    schedule(make, kind="trial", title="Far trial", starts_at=at(30, 18))       # beyond two weeks
    schedule(make, kind="trial", title="Gone trial", starts_at=at(13, 18))
    with unit_of_work():
        sessions.cancel_session(make.staff("manager"), db.session.scalar(
            select(ClubSession).where(ClubSession.title == "Gone trial")))
    text = client.get(f"/m/{link(lead, 'lead_trial_invite', offered)}").get_data(as_text=True)
    assert "You have no membership yet" in text
    assert "Trial Friday" in text and "Trial Tuesday" in text and "Offered to you" in text
    assert text.index("Trial Friday") < text.index("Trial Tuesday")
    for absent in ("Spinning", "Far trial", "Gone trial"):
        assert absent not in text
    assert later_trial.id


def test_a_member_sees_classes_like_those_attended_within_two_weeks_not_started_and_not_booked(make, client):
    member = member_with(make)
    attended(make, member, title="Yoga", activity="Yoga")
    schedule(make, title="Yoga", starts_at=at(12, 18))
    schedule(make, title="Morning Yoga", activity="Yoga", starts_at=at(13, 7))
    schedule(make, title="Boxing", starts_at=at(12, 19))                      # never attended
    schedule(make, kind="trial", title="Trial", starts_at=at(12, 20))         # not their first membership? one
    with clock.frozen(NOW - timedelta(hours=2)):
        schedule(make, title="Yoga", starts_at=at(10, 9, 30))                  # started half an hour ago
    booked = schedule(make, title="Yoga", starts_at=at(14, 10))
    with unit_of_work():
        sessions.book(None, db.session.get(ClubSession, booked.id), db.session.get(Member, member.id))
    page = client.get(f"/m/{link(member)}").get_data(as_text=True)
    sessions_part = page[page.index("Sessions for you"):]
    assert "Morning Yoga" in sessions_part and sessions_part.count("<li class=\"slot") == 3   # 2 yoga + the trial
    assert "Boxing" not in sessions_part and "Sat, Mar 14" not in sessions_part
    bookings_part = page[page.index("Your bookings"):page.index("Sessions for you")]
    assert "Sat, Mar 14" in bookings_part and "Cancel booking" in bookings_part


def test_the_page_reads_in_a_handful_of_statements_whatever_the_history(make, app):
    from clubcrm.services import member_page
    from tests.statements import statements as count_statements

    member = member_with(make)
    for n in range(6):
        attended(make, member, title=f"Class {n}")
        schedule(make, title=f"Class {n}", starts_at=at(12 + n, 18))
    token = link(member)
    with app.test_request_context():
        with count_statements() as statements:   # the link with its member, club, touchpoint and tool, then the page
            view = member_page.view(member_links.find(token))
    assert len(view.sessions) == 6 and len(statements) <= 6, statements


# --- booking ------------------------------------------------------------------------------------


def test_booking_from_the_page_books_once_under_a_double_tap(make, client):
    member = member_with(make)
    attended(make, member)
    yoga = schedule(make, title="Yoga", starts_at=at(12, 18))
    token = link(member, session=yoga)
    first = flashed(client, client.post(f"/m/{token}/book/{yoga.id}"))
    assert "You are booked: Yoga on Thu, Mar 12, 6:00" in first
    second = flashed(client, client.post(f"/m/{token}/book/{yoga.id}"))
    assert "already booked" in second and "class=\"flash error" not in second
    [booking] = [b for b in bookings_of(member) if b.session_id == yoga.id]
    assert (booking.status, booking.source) == ("booked", "page")
    assert events_of(member) == ["booked"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == "booking", AuditEvent.entity_id == booking.id, AuditEvent.staff_id.is_(None))) == 1
    # The booking is under "Your bookings" now, and no longer offered.
    bookings_part = second[second.index("Your bookings"):second.index("Sessions for you")]
    assert "Yoga" in bookings_part


def test_a_full_session_puts_the_member_on_the_waitlist(make, client):
    member = member_with(make)
    trial = schedule(make, kind="trial", title="Trial", capacity=1)
    with unit_of_work():
        sessions.book(None, db.session.get(ClubSession, trial.id), make.member())
    token = link(member, "trial_session", trial)
    page = client.get(f"/m/{token}").get_data(as_text=True)
    assert "Join the waitlist" in page and "Full" in page
    said = flashed(client, client.post(f"/m/{token}/book/{trial.id}"))
    assert "you are on the waitlist for Trial" in said
    assert [b.status for b in bookings_of(member) if b.session_id == trial.id] == ["waitlist"]
    assert events_of(member) == ["waitlisted"]
    again = flashed(client, client.post(f"/m/{token}/book/{trial.id}"))
    assert "already on the waitlist" in again


def test_a_started_a_cancelled_another_clubs_or_an_unoffered_session_is_refused_and_nothing_written(make, client):
    member = member_with(make)
    attended(make, member)
    with clock.frozen(NOW - timedelta(hours=2)):
        started = schedule(make, title="Yoga", starts_at=at(10, 9, 30))
    cancelled = schedule(make, title="Yoga", starts_at=at(12, 18))
    with unit_of_work():
        sessions.cancel_session(make.staff("manager"), db.session.get(ClubSession, cancelled.id))
    elsewhere = schedule(make, club=make.club(name="Elsewhere"), title="Yoga", starts_at=at(12, 18))
    boxing = schedule(make, title="Boxing", starts_at=at(12, 19))
    token = link(member)
    before = (count(Booking), count(MemberPageEvent), count(AuditEvent))
    refusals = {started.id: "already started", cancelled.id: "This session is cancelled",
                elsewhere.id: "cannot be booked here", boxing.id: "cannot be booked here",
                999999: "cannot be booked here"}
    for session_id, words in refusals.items():
        page = flashed(client, client.post(f"/m/{token}/book/{session_id}"))
        assert words in page and "class=\"flash error" in page
    assert (count(Booking), count(MemberPageEvent), count(AuditEvent)) == before


def test_a_session_paid_with_a_package_the_member_lacks_is_refused_in_the_members_words(make, client):
    member = member_with(make)
    service = make.service(name="Pilates pack")
    trial = schedule(make, kind="trial", title="Pilates trial", service_id=service.id)
    token = link(member, "trial_session", trial)
    page = flashed(client, client.post(f"/m/{token}/book/{trial.id}"))
    assert "sell a package first" not in page and "yours has no Pilates pack left" in page
    assert [b for b in bookings_of(member) if b.session_id == trial.id] == []


def test_a_lead_books_the_offered_trial(make, client):
    lead = make.member()
    trial = schedule(make, kind="trial", title="Trial")
    token = link(lead, "lead_trial_invite", trial)
    said = flashed(client, client.post(f"/m/{token}/book/{trial.id}"))
    assert "You are booked: Trial" in said
    assert [(b.session_id, b.status, b.source) for b in bookings_of(lead)] == [(trial.id, "booked", "page")]


# --- cancelling ---------------------------------------------------------------------------------


def booked_member(make, starts_at):
    member = member_with(make)
    attended(make, member)
    yoga = schedule(make, title="Yoga", starts_at=starts_at)
    with unit_of_work():
        booking = sessions.book(None, db.session.get(ClubSession, yoga.id), db.session.get(Member, member.id))
    return member, yoga, booking.id


def test_cancel_before_the_deadline_works_once(make, client):
    member, yoga, booking_id = booked_member(make, at(12, 18))
    token = link(member)
    said = flashed(client, client.post(f"/m/{token}/cancel/{booking_id}"))
    assert "Cancelled: Yoga" in said
    assert db.session.get(Booking, booking_id).status == "cancelled"
    again = flashed(client, client.post(f"/m/{token}/cancel/{booking_id}"))
    assert "already cancelled" in again and "class=\"flash error" not in again
    assert events_of(member) == ["cancelled"]


def test_cancel_after_the_clubs_deadline_is_refused_naming_it(make, client):
    # The club allows cancelling until 2 hours before: the class starts at 11:30 today, it is 10:00 now.
    member, yoga, booking_id = booked_member(make, at(10, 11, 30))
    token = link(member)
    page = client.get(f"/m/{token}").get_data(as_text=True)
    assert "To cancel now, please call the club." in page and f"/cancel/{booking_id}" not in page
    said = flashed(client, client.post(f"/m/{token}/cancel/{booking_id}"))
    assert "can be cancelled here until Tue, Mar 10, 9:30" in said and "class=\"flash error" in said
    assert db.session.get(Booking, booking_id).status == "booked" and events_of(member) == []
    # A club that allows it until 30 minutes before lets the member cancel.
    with unit_of_work():
        db.session.execute(update(Club).values(booking_cancel_minutes=30))
    assert "Cancelled" in flashed(client, client.post(f"/m/{token}/cancel/{booking_id}"))


def test_another_members_booking_cannot_be_cancelled_and_looks_like_an_unknown_one(make, client):
    member, yoga, _own = booked_member(make, at(12, 18))
    other, _other_yoga, theirs = booked_member(make, at(12, 19))
    token = link(member)
    foreign = flashed(client, client.post(f"/m/{token}/cancel/{theirs}"))
    unknown = flashed(client, client.post(f"/m/{token}/cancel/999999"))
    assert "No such booking." in foreign
    flash = re.compile(r'<p class="flash[^"]*"[^>]*>.*?</p>')
    assert flash.findall(foreign) == flash.findall(unknown)
    assert db.session.get(Booking, theirs).status == "booked" and events_of(member) == []


def test_taps_at_the_same_instant_book_once(make, app):
    from clubcrm.services import member_page
    from tests.concurrency import at_once

    member = member_with(make)
    trial = schedule(make, kind="trial", title="Trial", capacity=5)
    token, trial_id = link(member, "trial_session", trial), trial.id   # the threads touch no object of the test's

    def tap():   # as the view does: the page's link found, one booking call in one transaction
        with app.test_request_context(), unit_of_work():
            return str(member_page.book(member_links.find(token), trial_id))

    said = at_once(app, 4, tap)
    assert sorted(said) == ["You are already booked for this session."] * 3 + [
        "You are booked: Trial on Thu, Mar 12, 6:00\u2009\u2013\u20097:00\u202fPM."], said
    assert [(b.session_id, b.status) for b in bookings_of(member)] == [(trial.id, "booked")]
    assert events_of(member) == ["booked"]


def test_the_view_says_whether_the_link_came_with_a_renewal_offer(make, app):
    from clubcrm.services import member_page

    member = member_with(make)
    renewal, invitation = link(member, "renewal_offer"), link(member, "class_invitation")
    with app.test_request_context():
        assert member_page.view(member_links.find(renewal)).renewal_offer is True
        assert member_page.view(member_links.find(invitation)).renewal_offer is False


def test_a_frozen_member_is_offered_nothing_within_the_freeze(make, client):
    member = member_with(make)
    attended(make, member)
    schedule(make, title="Yoga", starts_at=at(12, 18))                 # in the freeze
    schedule(make, title="Yoga", starts_at=at(16, 18))                 # the day after it
    with unit_of_work():
        current = memberships_of(member.id)[0]
        sales.freeze(make.desk(), db.session.get(Member, member.id), current.id, TODAY, TODAY + timedelta(days=5),
                     TODAY)
    text = client.get(f"/m/{link(member)}").get_data(as_text=True)
    part = text[text.index("Sessions for you"):]
    assert "Mon, Mar 16" in part and "Thu, Mar 12" not in part
