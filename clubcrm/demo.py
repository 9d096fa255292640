"""A demo club with a year of life: members, leads, plans, packages, renewals, freezes, visits, and
weekly classes, trial sessions and club events with bookings and attendance."""
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import Booking, Club, ClubSession, Member, Plan, Service, Staff, Visit
from clubcrm.services import auth, members, packages, sales, sessions

DEMO_PASSWORD = "demo-password"
DEMO_LOGINS = (
    ("desk@demo.club", "desk", "Dana Desk"),
    ("manager@demo.club", "manager", "Max Manager"),
    ("owner@demo.club", "owner", "Olivia Owner"),
)
FIRST = ["Anna", "Mikko", "Laura", "Jussi", "Elena", "Sergei", "Katja", "Matej", "Petra", "Lukas",
         "Sofia", "Tomas", "Emma", "Ivan", "Olga", "Jonas", "Maria", "Ville", "Niina", "Marko",
         "Eva", "Aleksi", "Hanna", "Dmitri", "Lena", "Juraj", "Sanna", "Peter", "Mila", "Oskari"]
LAST = ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Ivanova", "Petrov", "Novak", "Horvat",
        "Schmidt", "Müller", "Kovač", "Lindqvist", "Heikkinen", "Smirnov", "Krajnc", "Varga",
        "Laine", "Koskinen", "Weber", "Hämäläinen", "Popova", "Zupan", "Baláž", "Salo"]
LOCALES = ["fi"] * 6 + ["en"] * 2 + ["ru", "de", "sl", "sk"]


def is_empty() -> bool:
    """Tell whether the database holds no club yet."""
    return db.session.scalar(select(func.count()).select_from(Club)) == 0


def load(members_count: int = 320, seed: int = 7, today: date | None = None) -> Club:
    """Create the demo club; the caller commits."""
    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Helsinki")
    today = today or clock.local_today("Europe/Helsinki")
    club = Club(name="Northside Fitness", timezone="Europe/Helsinki", currency="EUR", country="FI",
                default_locale="en", phone="+358401234567")
    db.session.add(club)
    db.session.flush()
    logins = [auth.create_staff(email, role, DEMO_PASSWORD, None if role == "owner" else club.id,
                                name=name) for email, role, name in DEMO_LOGINS]
    desk = logins[0]
    trainer = auth.create_staff("trainer@demo.club", "desk", DEMO_PASSWORD, club.id,
                                name="Tero Trainer", is_trainer=True)
    spin = auth.create_staff("spin@demo.club", "desk", DEMO_PASSWORD, club.id,
                             name="Sara Spin", is_trainer=True)
    timetable = schedule_sessions(club, logins[1], trainer, spin, today)
    trials = sorted((s for s in timetable if s.kind == "trial"), key=lambda s: s.starts_at)
    pt = Service(club_id=club.id, name="PT session", package_units=10, price_minor=45000,
                 currency="EUR", valid_days=180)
    sauna = Service(club_id=club.id, name="Sauna visit", package_units=5, price_minor=4000,
                    currency="EUR", valid_days=90)
    db.session.add_all([pt, sauna])
    db.session.flush()
    plans = [
        Plan(club_id=club.id, name="Month", duration_days=30, price_minor=5900, currency="EUR"),
        Plan(club_id=club.id, name="3 months", duration_days=91, price_minor=15900, currency="EUR"),
        Plan(club_id=club.id, name="Year", duration_days=365, price_minor=54900, currency="EUR",
             service_id=pt.id, service_units=2),
        Plan(club_id=club.id, name="10 visits", duration_days=60, visit_limit=10, price_minor=9900,
             currency="EUR"),
    ]
    db.session.add_all(plans)
    db.session.flush()
    weights = [40, 25, 30, 5]

    def at(day_: date, hour: int) -> datetime:
        return datetime.combine(day_, time(hour, rng.randrange(60)), tz).astimezone(UTC)

    visit_rows: list[dict] = []
    for n in range(members_count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        joined = today - timedelta(days=rng.randrange(0, 420))
        data = {
            "first_name": first, "last_name": last,
            "phone": f"+35840{1000000 + n * 37:07d}", "email": f"{first}.{last}.{n}@example.com".lower(),
            "card_code": f"C{100000 + n}", "locale": rng.choice(LOCALES),
            "birth_date": date(rng.randrange(1960, 2006), rng.randrange(1, 13), rng.randrange(1, 29)),
            "sms_consent": rng.random() < 0.85,
        }
        if n % 40 == 0:
            data["birth_date"] = date(1990, today.month, min(today.day, 28))
        with clock.frozen(at(joined, 10)):
            member = members.create_lead(desk, club, data, source=rng.choice(["walk_in", "web_form"]))
        tried = try_a_session(desk, member, trials, joined, tz, rng) if n % 3 == 0 else None
        if n % 6 == 5:
            continue  # stays a lead
        rate = rng.choice([0.05, 0.15, 0.3, 0.45, 0.6])  # chance of a visit on a given day
        fader = rng.random() < 0.35
        start = joined + timedelta(days=rng.randrange(0, 5))
        if tried is not None:
            start = max(start, tried)  # bought after the trial session, from 11:00 that day
        plan = rng.choices(plans, weights)[0]
        while start <= today:
            with clock.frozen(at(start, 11)):
                membership = sales.sell_membership(desk, member, plan.id, start, starts_on=start)
            if rng.random() < 0.08 and membership.ends_on - timedelta(days=20) > start:
                with clock.frozen(at(start + timedelta(days=10), 12)):
                    sales.freeze(desk, member, membership.id, start + timedelta(days=12),
                                 start + timedelta(days=12 + rng.randrange(7, 21)),
                                 start + timedelta(days=10), reason="Travel")
            day_ = membership.starts_on
            limit = membership.visit_limit or 10**6
            used = 0
            while day_ <= min(membership.ends_on, today) and used < limit:
                age = (day_ - start).days
                p = rate * (0.5 ** (age / 60) if fader else 1)
                frozen_day = any(f.starts_on <= day_ <= f.ends_on for f in membership.freezes)
                if not frozen_day and rng.random() < p and not (day_ == today):
                    visit_rows.append({"club_id": club.id, "member_id": member.id,
                                       "membership_id": membership.id,
                                       "checked_in_at": at(day_, rng.randrange(7, 21)),
                                       "source": "desk", "staff_id": desk.id})
                    used += 1
                day_ += timedelta(days=1)
            if rng.random() < 0.18:
                with clock.frozen(at(membership.starts_on, 12)):
                    service = pt if rng.random() < 0.5 else sauna
                    sales.sell_package(trainer if service is pt else desk, member, service.id,
                                       membership.starts_on)
            renew_chance = 0.35 + min(rate, 0.5) * (0.4 if fader else 1.0)
            if membership.ends_on >= today or rng.random() > renew_chance:
                break
            start = membership.ends_on + timedelta(days=rng.choice([-20, -5, 0, 1, 3, 10]))
            start = max(start, membership.ends_on + timedelta(days=1))
            plan = rng.choices(plans, weights)[0]
        for package in packages.balances(member.id):
            for _ in range(rng.randrange(0, package.balance + 1)):
                if package.expires_on and package.expires_on >= today:
                    with clock.frozen(at(today - timedelta(days=rng.randrange(1, 30)), 15)):
                        packages.redeem(trainer, member, package.service_id, today, reason="session")
    if visit_rows:
        db.session.execute(insert(Visit), visit_rows)
    db.session.flush()
    fill_sessions(club, desk, [s for s in timetable if s.kind != "trial"], rng)
    return club


def schedule_sessions(club: Club, manager: Staff, yoga: Staff, spin: Staff, today: date) -> list[ClubSession]:
    """Schedule the past 8 and the next 2 weeks: Yoga Mon/Wed 18:00, Spinning Tue/Thu 19:00, trial
    sessions on Wednesdays 17:00 and Saturdays 10:00, and a club event on each month's first Saturday."""
    first = sessions.monday_of(today) - timedelta(weeks=8)
    weekly = [(0, 18, 0, 60, "class", "Yoga", yoga, 12), (2, 18, 0, 60, "class", "Yoga", yoga, 12),
              (1, 19, 0, 45, "class", "Spinning", spin, 10), (3, 19, 0, 45, "class", "Spinning", spin, 10),
              (2, 17, 0, 45, "trial", "Trial session", yoga, 3),
              (5, 10, 0, 60, "trial", "Trial session", spin, 3)]
    made = []
    with clock.frozen(datetime.combine(first - timedelta(days=7), time(9), ZoneInfo(club.timezone))):
        for week_ in range(10):
            monday = first + timedelta(weeks=week_)
            for weekday, hour, minute, length, kind, title, trainer, capacity in weekly:
                starts = datetime.combine(monday + timedelta(days=weekday), time(hour, minute))
                made.append(sessions.schedule(manager, club, {
                    "kind": kind, "title": title, "activity": title if kind == "class" else "Gym induction",
                    "starts_at": starts, "ends_at": starts + timedelta(minutes=length),
                    "capacity": capacity, "trainer_id": trainer.id}))
            saturday = monday + timedelta(days=5)
            if saturday.day <= 7:
                starts = datetime.combine(saturday, time(12))
                made.append(sessions.schedule(manager, club, {
                    "kind": "event", "title": "Open house", "activity": "Club event", "starts_at": starts,
                    "ends_at": starts + timedelta(hours=3), "capacity": 40, "trainer_id": None}))
    return made


def try_a_session(desk: Staff, lead: Member, trials: list[ClubSession], joined: date, tz: ZoneInfo,
                  rng: random.Random) -> date | None:
    """Book a new lead into the first trial session after they joined; return its day if they came."""
    nxt = next((s for s in trials if s.starts_at.astimezone(tz).date() > joined), None)
    if nxt is None or nxt.starts_at > clock.utcnow():
        return None
    with clock.frozen(datetime.combine(joined, time(12, 30), tz)):
        booking = sessions.book(desk, nxt, lead)
    if booking.status != "booked" or rng.random() < 0.25:
        return None
    with clock.frozen(nxt.starts_at + timedelta(minutes=5)):
        sessions.mark_attended(desk, booking)
    return nxt.starts_at.astimezone(tz).date()


def fill_sessions(club: Club, desk: Staff, timetable: list[ClubSession], rng: random.Random) -> None:
    """Book members into classes and events; in past ones most came, a few cancelled, the rest did not."""
    now = clock.utcnow()
    people = list(db.session.scalars(select(Member).where(Member.club_id == club.id,
                                                          Member.converted_at.is_not(None))))
    for session in timetable:
        eligible = [m for m in people if m.converted_at < session.starts_at - timedelta(days=1)]
        wanted = rng.randrange(session.capacity // 2, session.capacity + 3)
        bookings: list[Booking] = []
        with clock.frozen(session.starts_at - timedelta(days=1)):
            for member in rng.sample(eligible, min(wanted, len(eligible))):
                bookings.append(sessions.book(desk, session, member))
        if session.starts_at > now:
            continue
        with clock.frozen(session.starts_at - timedelta(hours=3)):
            for booking in bookings:
                if booking.status == "booked" and rng.random() < 0.07:
                    sessions.cancel_booking(desk, booking)
        with clock.frozen(session.starts_at + timedelta(minutes=5)):
            for booking in bookings:
                if booking.status == "booked" and rng.random() < 0.8:
                    sessions.mark_attended(desk, booking)
    sessions.mark_no_shows(club, now)
