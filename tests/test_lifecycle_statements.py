"""A lifecycle pass sends as many SQL statements for 2,000 members as for 100: its facts are loaded with
set-based queries and its plan is stored in one statement, never a query or an insert per member."""
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import defaults, engine
from clubcrm.models import (
    Booking, ClubSession, Freeze, Member, Membership, Package, Rule, StaffContact, Touchpoint, Visit,
)
from tests.conftest import NOW, TODAY
from tests.statements import statements

HELSINKI = ZoneInfo("Europe/Helsinki")
# Ten kinds of members, one in ten of each: what they are and the rule they should set off today.
KINDS = (
    "starts today (welcome)",
    "started 8 days ago, never came (first-visit call)",
    "year plan, last visit 12 days ago (silence SMS)",
    "year plan ending in 20 days, nothing sold yet (renewal offer)",
    "month plan ended 8 days ago (win-back)",
    "1 unit left in a package (low-balance offer)",
    "10th visit this cycle yesterday (milestone)",
    "started 21 days ago, never in a class (class invitation)",
    "frozen today (nothing)",
    "lead (nothing)",
)


def at(day: date, hour: int = 18) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=HELSINKI).astimezone(UTC)


def populate(make, members: int) -> int:
    """A club of MEMBERS people in the mix of KINDS, with visits, packages, sessions, bookings, staff
    contacts and an earlier touchpoint; written with one multi-row insert per table."""
    club = make.club()
    year, month = make.plan(club=club, duration_days=365), make.plan(club=club, duration_days=30)
    service = make.service(club=club)
    staff = make.staff("manager", club=club)
    with unit_of_work():
        defaults.ensure(club)
        db.session.execute(insert(Member.__table__), [
            {"club_id": club.id, "first_name": f"Member{i}", "last_name": "Mix", "name_key": f"member{i} mix",
             "name_key_rev": f"mix member{i}", "phone": f"+3585{club.id:03d}{i:05d}", "locale": "en",
             "birth_date": date(1990, 1 + i % 12, 1 + i % 28), "sms_consent": i % 7 != 0,
             "created_at": NOW - timedelta(days=400), "converted_at": None if i % 10 == 9 else NOW}
            for i in range(members)])
        ids = list(db.session.scalars(select(Member.id).where(Member.club_id == club.id).order_by(Member.id)))
        # (plan, first day, last day) of each member's membership; leads have none.
        spans = {
            0: (year, TODAY, TODAY + timedelta(days=364)),
            1: (year, TODAY - timedelta(days=8), TODAY + timedelta(days=356)),
            2: (year, TODAY - timedelta(days=100), TODAY + timedelta(days=264)),
            3: (year, TODAY - timedelta(days=344), TODAY + timedelta(days=20)),
            4: (month, TODAY - timedelta(days=37), TODAY - timedelta(days=8)),
            5: (year, TODAY - timedelta(days=150), TODAY + timedelta(days=214)),
            6: (year, TODAY - timedelta(days=60), TODAY + timedelta(days=304)),
            7: (year, TODAY - timedelta(days=21), TODAY + timedelta(days=343)),
            8: (year, TODAY - timedelta(days=90), TODAY + timedelta(days=274)),
        }
        db.session.execute(insert(Membership.__table__), [
            {"club_id": club.id, "member_id": member_id, "plan_id": spans[i % 10][0].id,
             "starts_on": spans[i % 10][1], "ends_on": spans[i % 10][2], "price_minor": 5900, "currency": "EUR",
             "sold_at": at(spans[i % 10][1], 10), "sold_by_id": staff.id}
            for i, member_id in enumerate(ids) if i % 10 in spans])
        cycle = dict(db.session.execute(select(Membership.member_id, Membership.id)
                                        .where(Membership.club_id == club.id)).all())
        visits = []
        for i, member_id in enumerate(ids):
            kind = i % 10
            days = {2: [12, 30, 40], 3: [2, 5, 9], 5: [1, 4], 6: list(range(1, 20, 2)), 7: [1, 3, 6],
                    8: [65]}.get(kind, [])
            visits += [{"club_id": club.id, "member_id": member_id, "membership_id": cycle[member_id],
                        "checked_in_at": at(TODAY - timedelta(days=d)), "source": "turnstile"} for d in days]
        db.session.execute(insert(Visit.__table__), visits)
        db.session.execute(insert(Freeze.__table__), [
            {"membership_id": cycle[member_id], "starts_on": TODAY - timedelta(days=5),
             "ends_on": TODAY + timedelta(days=9), "created_by_id": staff.id}
            for i, member_id in enumerate(ids) if i % 10 == 8])
        db.session.execute(insert(Package.__table__), [
            {"club_id": club.id, "member_id": member_id, "service_id": service.id, "balance": 1,
             "expires_on": TODAY + timedelta(days=60)}
            for i, member_id in enumerate(ids) if i % 10 == 5])
        # A past class the milestone members went to, and classes and trial sessions ahead with room.
        db.session.execute(insert(ClubSession.__table__), [
            {"club_id": club.id, "kind": kind, "title": kind, "starts_at": at(TODAY + timedelta(days=d)),
             "ends_at": at(TODAY + timedelta(days=d), 19), "capacity": 50}
            for kind, d in (("class", -10), ("class", 2), ("class", 3), ("trial", 3), ("event", 5))])
        past = db.session.scalar(select(ClubSession.id).where(ClubSession.club_id == club.id,
                                                              ClubSession.starts_at < NOW))
        db.session.execute(insert(Booking.__table__), [
            {"session_id": past, "member_id": member_id, "status": "attended", "source": "desk"}
            for i, member_id in enumerate(ids) if i % 10 == 6])
        db.session.execute(insert(StaffContact.__table__), [
            {"club_id": club.id, "member_id": member_id, "staff_id": staff.id, "outcome": "reached",
             "created_at": NOW - timedelta(days=5)}
            for i, member_id in enumerate(ids) if i % 10 == 2])
        # The welcome the engine sent to the members who started 100 days ago.
        welcome = db.session.scalar(select(Rule).where(Rule.club_id == club.id, Rule.key == "welcome"))
        db.session.execute(insert(Touchpoint.__table__), [
            {"club_id": club.id, "member_id": member_id, "membership_id": cycle[member_id],
             "tool_id": welcome.tool_id, "rule_id": welcome.id, "occurrence": 0, "stage": "adaptation",
             "channel": "sms", "status": "sent", "facts": {}, "due_on": TODAY - timedelta(days=100),
             "planned_at": NOW - timedelta(days=100)}
            for i, member_id in enumerate(ids) if i % 10 == 2])
    return club.id


def one_pass(club_id: int, now: datetime) -> tuple[list[str], int]:
    """Run a writing pass for the club at NOW, from an empty session; return its SQL statements (an
    executemany once) and how many touchpoints it planned."""
    clock.set_now(now)
    with statements() as seen, unit_of_work():
        planned = len(engine.run(now, club_ids=[club_id]).touchpoints)
    db.session.remove()
    return [" ".join(statement.split()) for statement in seen], planned


def without_draws(seen: list[str]) -> list[str]:
    """SEEN without the one INSERT of the day's assignments (checked to be at most one)."""
    draws = [s for s in seen if s.startswith("INSERT INTO assignment")]
    assert len(draws) <= 1, draws
    return [s for s in seen if not s.startswith("INSERT INTO assignment")]


def shapes(statements: list[str]) -> Counter:
    return Counter(statement[:90] for statement in statements)


def test_a_pass_sends_as_many_statements_for_2000_members_as_for_100(make):
    small, large = populate(make, 100), populate(make, 2000)
    for when in (NOW, NOW + timedelta(hours=1), NOW + timedelta(days=1)):  # first pass, rerun, next day
        few, few_planned = one_pass(small, when)
        many, many_planned = one_pass(large, when)
        # The arms drawn today are one INSERT when there are any: a small club may have none on a given day.
        few, many = (without_draws(seen) for seen in (few, many))
        assert len(few) == len(many), (
            f"pass at {when}: {len(few)} statements for 100 members, {len(many)} for 2,000; "
            f"only in the larger: {shapes(many) - shapes(few)}; only in the smaller: {shapes(few) - shapes(many)}")
        if when == NOW:   # not vacuous: the mix sets off rules
            assert few_planned > 30 and many_planned > 600
        elif when.date() == NOW.date():
            assert few_planned == many_planned == 0  # one contact a day: the rerun finds today planned
        else:
            assert few_planned > 0 and many_planned > few_planned
