"""The worker's hourly pass plans a club-day in full once, then only the members with news (clubcrm/lifecycle/
since.py): over a simulated month it must plan exactly what a full pass every hour plans, in as many
statements for 2,000 members as for 100."""
import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import Booking, ClubSession, Member, Membership, Plan, Rule, Staff, Touchpoint
from clubcrm.services import checkin, members, sales, sessions, tasks
from clubcrm.sms.inbound import opt_out
from tests.conftest import NOW, TODAY
from tests.lifecycle import no_holdouts
from tests.statements import statements
from tests.test_lifecycle_statements import at, populate, shapes

HOURS = (9, 13, 18)   # the passes of each day, club-local


def mirrored_clubs(make, size: int) -> tuple[int, int]:
    """Two clubs alike in everything but their ids, each with a trial session whose one place is taken (members
    who should be invited wait for it)."""
    ids = populate(make, size), populate(make, size)
    no_holdouts(*ids)
    with unit_of_work():
        for club_id in ids:
            session = db.session.execute(insert(ClubSession.__table__).returning(ClubSession.id), [
                {"club_id": club_id, "kind": "trial", "title": "Small trial", "capacity": 1,
                 "starts_at": at(TODAY + timedelta(days=6)), "ends_at": at(TODAY + timedelta(days=6), 19)}]).scalar()
            first = db.session.scalar(select(Member.id).where(Member.club_id == club_id).order_by(Member.id))
            db.session.execute(insert(Booking.__table__), [
                {"session_id": session, "member_id": first, "status": "booked", "source": "desk"}])
        # Sessions of the same kind: the trial invitation offers the small one first (the others start later).
        later = TODAY + timedelta(days=20)
        db.session.execute(ClubSession.__table__.update()
                           .where(ClubSession.kind == "trial", ClubSession.capacity == 50)
                           .values(starts_at=at(later), ends_at=at(later, 19)))
    return ids


def people(club_id: int) -> list[int]:
    return list(db.session.scalars(select(Member.id).where(Member.club_id == club_id).order_by(Member.id)))


def happen(club_id: int, index: int, kind: str, day) -> str | None:
    """One event of KIND to the INDEX-th member of CLUB_ID, through the services staff use; the name of the
    error if it was refused."""
    member = db.session.get(Member, people(club_id)[index])
    staff = db.session.scalar(select(Staff).where(Staff.club_id == club_id))
    try:
        with unit_of_work():
            if kind == "visit":
                checkin.check_in(staff, member)
            elif kind == "sale":
                month = db.session.scalar(select(Plan.id).where(Plan.club_id == club_id, Plan.duration_days == 30))
                sales.sell_membership(staff, member, month, day)
            elif kind == "freeze":
                live = db.session.scalar(select(Membership.id).where(Membership.member_id == member.id)
                                         .order_by(Membership.id.desc()))
                sales.freeze(staff, member, live, day + timedelta(days=1), day + timedelta(days=3), day)
            elif kind == "contact":
                tasks.log_contact(staff, member, "reached", None)
            elif kind == "stop":
                opt_out([member.id], clock.utcnow())
            elif kind == "cancel":
                booking = db.session.scalar(
                    select(Booking).join(ClubSession).where(ClubSession.club_id == club_id,
                                                            ClubSession.title == "Small trial",
                                                            Booking.status == "booked"))
                if booking is not None:
                    sessions.cancel_booking(staff, booking)
            elif kind == "edit":
                members.update(staff, member, {"birth_date": day})
    except Exception as error:   # refused the same way in both clubs (an expired card, a frozen member...)
        db.session.rollback()
        return type(error).__name__
    return None


def planned(club_id: int) -> Counter:
    """The club's touchpoints as comparable tuples: the member's place in the club, not its id."""
    place = {member_id: i for i, member_id in enumerate(people(club_id))}
    rows = db.session.execute(
        select(Touchpoint.member_id, Rule.key, Touchpoint.due_on, Touchpoint.channel, Touchpoint.status,
               Touchpoint.skip_reason, Touchpoint.session_id.is_not(None))
        .join(Rule, Rule.id == Touchpoint.rule_id).where(Touchpoint.club_id == club_id))
    return Counter((place[row[0]], *row[1:]) for row in rows)


def test_the_hourly_pass_plans_what_a_full_pass_every_hour_plans_over_a_month(make):
    hourly, full = mirrored_clubs(make, 60)
    rng = random.Random(15)
    kinds = ("visit", "visit", "visit", "visit", "sale", "freeze", "contact", "stop", "cancel", "edit")
    regulars = [i for i in range(60) if i % 10 in (2, 3, 7)]
    for days in range(30):
        day = TODAY + timedelta(days=days)
        for hour in HOURS:
            now = at(day, hour)
            clock.set_now(now - timedelta(minutes=30))
            for _ in range(rng.randrange(0, 5)):
                index, kind = rng.randrange(60), rng.choice(kinds)
                if kind == "visit":   # regulars on year plans: their tenth visit of the cycle comes this month
                    index = rng.choice(regulars)
                outcomes = {happen(club_id, index, kind, day) for club_id in (hourly, full)}
                assert len(outcomes) == 1, (kind, outcomes)
            clock.set_now(now)
            engine.run(now, club_ids=[hourly], hourly=True)
            with unit_of_work():
                engine.run(now, club_ids=[full])
            db.session.remove()
    a, b = planned(hourly), planned(full)
    assert a == b, {"hourly only": a - b, "full only": b - a}
    assert sum(a.values()) > 100 and any(key[1] == "trial_invite" for key in a)


def hourly_pass(club_id: int, now) -> tuple[list[str], int]:
    clock.set_now(now)
    with statements() as seen:
        count = len(engine.run(now, club_ids=[club_id], hourly=True).touchpoints)
    db.session.remove()
    return [" ".join(s.split()) for s in seen], count


def test_later_passes_of_a_day_send_as_many_statements_for_2000_members_as_for_100(make):
    small, large = populate(make, 100), populate(make, 2000)
    first = NOW + timedelta(hours=1)   # (the populated members converted at NOW: news until then)
    for club_id in (small, large):
        hourly_pass(club_id, first)   # the day's first pass, in full
    quiet_small, _ = hourly_pass(small, first + timedelta(hours=1))
    quiet_large, planned_large = hourly_pass(large, first + timedelta(hours=1))
    assert shapes(quiet_small) == shapes(quiet_large) and planned_large == 0
    # Nothing new: the news is looked for and nothing else is read.
    assert len(quiet_large) <= 8, quiet_large
    for club_id in (small, large):   # news for three members of each
        staff = db.session.scalar(select(Staff).where(Staff.club_id == club_id))
        for member_id in people(club_id)[2:30:10]:
            with unit_of_work():
                tasks.log_contact(staff, db.session.get(Member, member_id), "reached", None)
    news_small, _ = hourly_pass(small, first + timedelta(hours=2))
    news_large, _ = hourly_pass(large, first + timedelta(hours=2))
    assert shapes(news_small) == shapes(news_large)


def test_news_without_an_audit_trail_is_found_and_a_club_wide_change_means_a_full_pass(make):
    """A STOP reply and a phone found invalid change no audit trail: the member's own columns name them. An
    audit event naming no member (a rule edited, an import) may touch anyone: a full pass (None)."""
    from clubcrm.lifecycle import since
    from clubcrm.services import audit

    club = make.club()
    quiet, stopped, invalid = (make.member(club=club) for _ in range(3))
    before = clock.utcnow() + timedelta(hours=1)   # the last look: after the members were made
    clock.set_now(before + timedelta(minutes=30))
    with unit_of_work():
        opt_out([stopped.id], clock.utcnow())
        db.session.get(Member, invalid.id).phone_invalid_at = clock.utcnow()
    assert since.members_with_news(club.id, before) == {stopped.id, invalid.id}   # not `quiet`
    with unit_of_work():
        audit.record(None, "update", "rule", 1, club_id=club.id)
    assert since.members_with_news(club.id, before) is None


def test_a_contact_logged_at_another_club_is_news_for_the_members_home_club(make):
    """Its audit event names the club that logged it: the home club's hourly pass finds it by the contact."""
    from clubcrm.lifecycle import since
    from clubcrm.models import StaffContact

    home, elsewhere = make.club(), make.club(name="Harbour Club")
    called = make.member(club=home)
    make.member(club=home)   # a second member of the club, with no news
    before = clock.utcnow() + timedelta(hours=1)
    clock.set_now(before + timedelta(minutes=30))
    with unit_of_work():
        db.session.add(StaffContact(club_id=elsewhere.id, member_id=called.id, outcome="reached",
                                    created_at=clock.utcnow()))
    assert since.members_with_news(home.id, before) == {called.id}   # not the second member
    assert since.members_with_news(elsewhere.id, before) == set()
