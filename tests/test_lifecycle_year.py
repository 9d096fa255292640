"""A year walked day by day for member archetypes: each cycle gets 10-15 contacts, the right ones in the
right order, and none while frozen."""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import ClubSession, Freeze, Membership, Touchpoint, Visit
from clubcrm.services import packages, sales
from tests.lifecycle import no_holdouts

START = date(2026, 1, 5)          # a Monday; the first memberships start here
DAYS = 445                        # a year, the lapse and the win-back window after it
TZ = "Europe/Helsinki"
CONTACT = ("planned", "done", "sent", "failed")


@dataclass
class Archetype:
    """How one member behaves: which weekdays they come on, in which days of the walk, and what they buy."""

    name: str
    visit_days: set[int] = field(default_factory=set)   # walk days with a visit
    renew_on: int | None = None                          # walk day the renewal is sold
    freeze: tuple[int, int] | None = None                # walk days of a freeze (first, last)
    come_back_on: int | None = None                      # walk day a new membership is sold after a lapse
    package: bool = False
    consent: bool = True


def weekly(first: int, last: int, per_week: int) -> set[int]:
    days = (0, 2, 4, 5, 1, 3, 6)[:per_week]
    return {d for d in range(first, last) if d % 7 in days}


ARCHETYPES = [
    Archetype("eager", weekly(1, 440, 3), renew_on=340, freeze=(120, 133)),
    Archetype("fading", weekly(2, 60, 3) | weekly(60, 150, 1)),
    Archetype("never", set(), consent=False),
    Archetype("package", weekly(3, 440, 2), renew_on=350, package=True),
    Archetype("early", weekly(1, 440, 2), renew_on=310),
    Archetype("comeback", weekly(5, 200, 2) | weekly(420, 445, 2), come_back_on=410),
]


def instant(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(TZ)).astimezone(UTC)


def walk(make):
    """Walk the club through DAYS days: behaviour during the day, the lifecycle pass each morning."""
    club = make.club(timezone=TZ, name="Walk Club")
    desk = make.staff("desk", club=club)
    year = make.plan(club=club, name="Year", duration_days=365, price_minor=49000)
    service = make.service(club=club, name="PT", package_units=10, valid_days=120)
    people = {}
    for n, archetype in enumerate(ARCHETYPES):
        member = make.member(club=club, first_name=archetype.name.title(), birth_date=date(1990, 3 + n, 10 + n),
                             sms_consent=archetype.consent)
        people[archetype.name] = member
    with unit_of_work():
        # A trial session and a class every week, all year: invitations offer real sessions.
        rows = []
        for week in range(DAYS // 7 + 2):
            monday = START + timedelta(days=7 * week)
            for kind, offset, title in (("trial", 1, "Induction"), ("class", 3, "Spinning")):
                starts = instant(monday + timedelta(days=offset), 18)
                rows.append({"club_id": club.id, "kind": kind, "title": title, "capacity": 8,
                             "starts_at": starts, "ends_at": starts + timedelta(hours=1),
                             "created_at": clock.utcnow()})
        db.session.execute(insert(ClubSession), rows)
    no_holdouts(club.id)

    for offset in range(DAYS):
        today = START + timedelta(days=offset)
        clock.set_now(instant(today, 7))
        with unit_of_work():
            engine.run(clock.utcnow())
        clock.set_now(instant(today, 17))
        for archetype in ARCHETYPES:
            member = people[archetype.name]
            with unit_of_work():
                if offset == 0:
                    sales.sell_membership(desk, member, year.id, today)
                    if archetype.package:
                        sales.sell_package(desk, member, service.id, today)
                if offset == archetype.renew_on or offset == archetype.come_back_on:
                    sales.sell_membership(desk, member, year.id, today)
                if archetype.freeze and offset == archetype.freeze[0]:
                    first, last = archetype.freeze
                    sales.freeze(desk, member, current_membership(member.id, today), today,
                                 START + timedelta(days=last), today)
                if offset in archetype.visit_days and not frozen_on(member.id, today):
                    current = current_membership(member.id, today)
                    if current is not None:
                        db.session.add(Visit(club_id=club.id, member_id=member.id, membership_id=current,
                                             checked_in_at=clock.utcnow(), source="desk"))
                        if archetype.package and offset % 7 == 3:
                            try:
                                packages.redeem(desk, member, service.id, 1)
                            except Exception:
                                sales.sell_package(desk, member, service.id, today)
    return club, people


def current_membership(member_id: int, today: date) -> int | None:
    return db.session.scalar(select(Membership.id).where(
        Membership.member_id == member_id, Membership.starts_on <= today, Membership.ends_on >= today,
        Membership.cancelled_on.is_(None)).order_by(Membership.starts_on.desc()))


def frozen_on(member_id: int, today: date) -> bool:
    return db.session.scalar(select(Freeze.id).join(Membership).where(
        Membership.member_id == member_id, Freeze.starts_on <= today, Freeze.ends_on >= today)) is not None


def touchpoints_of(member_id: int) -> list[Touchpoint]:
    return list(db.session.scalars(select(Touchpoint).where(Touchpoint.member_id == member_id)
                                   .order_by(Touchpoint.due_on, Touchpoint.id)))


def cycles_of(member_id: int) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.member_id == member_id)
                                   .order_by(Membership.starts_on)))


def keys(points) -> list[str]:
    return [p.rule.key for p in points]


def check_each_first_cycle_gets_10_to_15_contacts(walked):
    club, people = walked
    for name, member in people.items():
        first = cycles_of(member.id)[0]
        points = [p for p in touchpoints_of(member.id) if p.membership_id == first.id]
        contacts = [p for p in points if p.status in CONTACT]
        assert 10 <= len(contacts) <= 15, (name, len(contacts), keys(points))
        assert keys(contacts)[0] == "welcome" or name == "never", (name, keys(contacts))
        # One contact a day at most, and at most one SMS in three days.
        days = [p.due_on for p in contacts]
        assert len(days) == len(set(days)), (name, days)
        sms_days = [p.due_on for p in contacts if p.channel == "sms"]
        assert all((b - a).days >= 3 for a, b in zip(sms_days, sms_days[1:], strict=False)), (name, sms_days)
        # Every touchpoint says why it fired.
        assert all(p.facts for p in points), name


def check_the_right_touchpoints_for_each_archetype(walked):
    _club, people = walked

    def first_cycle(name):
        member = people[name]
        first = cycles_of(member.id)[0]
        return [p for p in touchpoints_of(member.id) if p.membership_id == first.id and p.status in CONTACT]

    renewal = ["renewal_45", "renewal_14", "renewal_call_3"]
    never = keys(first_cycle("never"))
    # Never shows up: no SMS consent, so calls instead of texts; the first-visit call and both adaptation
    # checks; the renewal run-up in order, then the win-back after the lapse.
    assert {"no_first_visit", "adaptation_14", "adaptation_30"} <= set(never)
    assert all(p.channel == "task" for p in first_cycle("never"))
    assert [k for k in never if k in renewal] == renewal
    assert [k for k in never if k.startswith("win_back")] == ["win_back_7", "win_back_30"]
    assert "milestone_10" not in never

    fading = keys(first_cycle("fading"))
    assert "silence_sms" in fading and "silence_call" in fading
    assert fading.index("silence_sms") < fading.index("silence_call")
    assert [k for k in fading if k in renewal] == renewal
    assert [k for k in fading if k.startswith("win_back")] == ["win_back_7", "win_back_30"]

    eager = keys(first_cycle("eager"))
    assert {"welcome", "trial_invite", "milestone_10", "milestone_50", "freeze_ended"} <= set(eager)
    assert "no_first_visit" not in eager and "silence_call" not in eager
    assert [k for k in eager if k in renewal] == ["renewal_45"]  # renewed 38 days before the end
    assert not any(k.startswith("win_back") for k in eager)

    package = keys(first_cycle("package"))
    assert "low_balance" in package or "package_expiring" in package

    early = keys(first_cycle("early"))
    assert not any(k in renewal for k in early)   # renewed before the run-up: no renewal offers

    comeback = people["comeback"]
    cycles = cycles_of(comeback.id)
    assert len(cycles) == 2 and cycles[1].renews_id is None
    first = keys(first_cycle("comeback"))
    assert [k for k in first if k.startswith("win_back")] == ["win_back_7", "win_back_30"]
    back = [p for p in touchpoints_of(comeback.id) if p.membership_id == cycles[1].id]
    assert "welcome" not in keys(back)    # coming back is not a first membership


def check_no_touchpoint_while_frozen(walked):
    _club, people = walked
    eager = people["eager"]
    freezes = list(db.session.scalars(select(Freeze).join(Membership).where(Membership.member_id == eager.id)))
    assert freezes
    for point in touchpoints_of(eager.id):
        assert not any(f.starts_on <= point.due_on <= f.ends_on for f in freezes), point.rule.key


def check_rerunning_a_day_of_the_walk_plans_nothing_new(walked):
    club, _people = walked
    before = db.session.scalar(select(db.func.count()).select_from(Touchpoint))
    for offset in (0, 14, 200, 380, DAYS - 1):
        clock.set_now(instant(START + timedelta(days=offset), 9))
        with unit_of_work():
            plan = engine.run(clock.utcnow())
        assert [p for p in plan.touchpoints if p.status != "held_out"] == [] or offset == DAYS - 1
    after = db.session.scalar(select(db.func.count()).select_from(Touchpoint))
    assert after - before <= len(plan.touchpoints)


def test_a_year_day_by_day(make):
    """One walk (about 450 passes), then every check on it."""
    walked = walk(make)
    check_each_first_cycle_gets_10_to_15_contacts(walked)
    check_the_right_touchpoints_for_each_archetype(walked)
    check_no_touchpoint_while_frozen(walked)
    check_rerunning_a_day_of_the_walk_plans_nothing_new(walked)
