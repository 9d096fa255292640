"""The simulated club before its first day: logins, plans, services, a timetable and the people, each with
the habits the simulator plays out (how often they come, whether they fade, take classes, buy packages)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from clubcrm.extensions import db
from clubcrm.models import Club, ClubSession, Member, Plan, Service, Staff
from clubcrm.services import auth, opening_hours
from clubcrm.services.members import name_keys
from clubcrm.simulation.config import PLANS, SimConfig

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
# Joins per calendar month (January peak, summer trough).
JOIN_MONTH_WEIGHTS = (16, 10, 9, 8, 7, 5, 5, 7, 11, 9, 7, 6)


@dataclass
class Person:
    """One simulated person and their habits; CYCLE is the membership they are in (or last were in)."""

    id: int
    created: datetime
    buys_on: date | None          # the first sale's day (None: stays a lead)
    rate: float                   # visits a week at the start
    half_life: float | None       # days in which a fader's rate halves
    class_goer: bool
    package: bool
    plan: int                     # index into SimClub.plans
    cycle: "Cycle | None" = None
    since: date | None = None     # the first membership's start
    visits: list[date] = field(default_factory=list)
    package_id: int | None = None
    balance: int = 0
    phone: str = ""
    lead: bool = False            # arrives as a lead with a cycle: the lead model decides the first sale
    source: str = "walk_in"

    def visit_chance(self, day: date, summer: float = 1.0) -> float:
        """The chance of a visit on DAY: the weekly rate / 7, a fader's halving every HALF_LIFE days since
        their first membership began, times SUMMER in July and August (RETENTION.md: the summer dip)."""
        rate = self.rate * (summer if day.month in (7, 8) else 1.0)
        if self.half_life and self.since is not None:
            rate *= 0.5 ** (max(0, (day - self.since).days) / self.half_life)
        return min(0.9, rate / 7)

    def visits_since(self, day: date) -> int:
        return sum(1 for d in self.visits if d >= day)


@dataclass
class Cycle:
    """A membership as the simulator tracks it; U decides its renewal against the thresholds."""

    id: int
    person: Person
    starts_on: date
    ends_on: date
    plan: int
    u: float
    freeze: tuple[date, date] | None = None
    base: float = 0.0                 # the chance of renewing on time without any tool
    p_on_time: float | None = None


@dataclass
class SimClub:
    club: Club
    desk: Staff
    trainer: Staff
    plans: list[Plan]
    pt: Service
    people: list[Person]
    classes_by_day: dict[date, list[int]]
    tz: ZoneInfo
    # The demo ends today: nothing it records may happen later than the moment it was loaded (None: no limit).
    not_after: datetime | None = None

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """DAY's HOUR:MINUTE, local, as a UTC instant; never later than not_after."""
        instant = datetime.combine(day, time(hour, minute), self.tz).astimezone(UTC)
        return min(instant, self.not_after) if self.not_after is not None else instant

    def is_future(self, day: date, hour: int, minute: int = 0) -> bool:
        """Tell whether DAY's HOUR:MINUTE is later than not_after (a visit the demo must not have had yet)."""
        return (self.not_after is not None
                and datetime.combine(day, time(hour, minute), self.tz).astimezone(UTC) > self.not_after)


def build(cfg: SimConfig, first: date, last: date, rng: random.Random) -> SimClub:
    """Create the club, its logins, plans, services and timetable, and the people (as Member rows)."""
    tz = ZoneInfo(cfg.timezone)
    club = Club(name="Northside Fitness", timezone=cfg.timezone, currency="EUR", country="FI",
                default_locale="en", phone="+358401234567")
    db.session.add(club)
    db.session.flush()
    opening_hours.add_defaults(club)
    logins = [auth.create_staff(email, role, DEMO_PASSWORD, None if role == "owner" else club.id, name=name)
              for email, role, name in DEMO_LOGINS]
    trainer = auth.create_staff("trainer@demo.club", "desk", DEMO_PASSWORD, club.id, name="Tero Trainer",
                                is_trainer=True)
    pt = Service(club_id=club.id, name="PT session", package_units=10, price_minor=45000, currency="EUR",
                 valid_days=180)
    plans = [Plan(club_id=club.id, name=name, duration_days=days, price_minor=price, currency="EUR")
             for name, days, price, *_ in PLANS]
    db.session.add_all([pt, *plans])
    db.session.flush()
    sim = SimClub(club, logins[0], trainer, plans, pt, [], {}, tz)
    _timetable(sim, cfg, first, last + timedelta(days=14))
    _people(sim, cfg, first, last, rng)
    return sim


def _timetable(sim: SimClub, cfg: SimConfig, first: date, last: date) -> None:
    """Yoga Mon/Wed 18:00, Spinning Tue/Thu 19:00, trial sessions Wed 17:00 and Sat 10:00, an open house on
    each month's first Saturday; capacities grow with the club."""
    n = cfg.members
    weekly = {0: ("class", "Yoga", 18, max(12, n // 40)), 1: ("class", "Spinning", 19, max(10, n // 40)),
              2: ("class", "Yoga", 18, max(12, n // 40)), 3: ("class", "Spinning", 19, max(10, n // 40))}
    trials = {2: 17, 5: 10}
    rows = []
    day = first
    while day <= last:
        slots = []
        if day.weekday() in weekly:
            kind, title, hour, capacity = weekly[day.weekday()]
            slots.append((kind, title, hour, 60, capacity, sim.trainer.id))
        if day.weekday() in trials:
            slots.append(("trial", "Trial session", trials[day.weekday()], 45, max(4, n // 150), sim.trainer.id))
        if day.weekday() == 5 and day.day <= 7:
            slots.append(("event", "Open house", 12, 180, max(40, n // 10), None))
        for kind, title, hour, minutes, capacity, trainer_id in slots:
            starts = sim.at(day, hour)
            rows.append({"club_id": sim.club.id, "kind": kind, "title": title, "activity": title,
                         "starts_at": starts, "ends_at": starts + timedelta(minutes=minutes),
                         "capacity": capacity, "trainer_id": trainer_id, "created_at": sim.at(first, 7)})
        day += timedelta(days=1)
    ids = db.session.execute(insert(ClubSession).returning(ClubSession.id, ClubSession.kind, ClubSession.starts_at,
                                                           sort_by_parameter_order=True), rows).all()
    for session_id, kind, starts_at in ids:
        if kind == "class":
            sim.classes_by_day.setdefault(starts_at.astimezone(sim.tz).date(), []).append(session_id)


def _join_day(first: date, last: date, rng: random.Random) -> date:
    span = (last - first).days + 1
    days = [first + timedelta(days=i) for i in range(span)]
    return rng.choices(days, [JOIN_MONTH_WEIGHTS[d.month - 1] for d in days])[0]


def _people(sim: SimClub, cfg: SimConfig, first: date, last: date, rng: random.Random) -> None:
    rows = []
    weights = [plan[3] for plan in PLANS]
    # Which arrivals come as leads with a cycle: drawn apart, so that the other draws stay those of a club without.
    leads = random.Random(f"leads:{cfg.seed}")
    for n in range(cfg.members):
        existing = rng.random() < cfg.existing_share
        lead_only = not existing and rng.random() < cfg.lead_share / (1 - cfg.existing_share)
        if existing:
            created_day = first - timedelta(days=rng.randrange(30, 700))
            buys_on = created_day
        else:
            created_day = _join_day(first, last, rng)
            delay = 0 if rng.random() < 0.55 else min(60, int(rng.expovariate(1 / 12)) + 1)
            buys_on = None if lead_only else created_day + timedelta(days=delay)
            if buys_on is not None and buys_on > last:
                buys_on = None
        lead = not existing and leads.random() < cfg.lead_cycle_share
        if lead:
            buys_on = None    # decided in the cycle (year.py)
        never = rng.random() < cfg.never_visit
        person = Person(
            id=0, created=sim.at(created_day, rng.randrange(9, 20), rng.randrange(60)), buys_on=buys_on,
            rate=0.0 if never else rng.gammavariate(2.0, 0.55),
            half_life=rng.uniform(45, 150) if rng.random() < cfg.fader_share else None,
            class_goer=rng.random() < cfg.class_goer_share, package=rng.random() < cfg.package_share,
            plan=rng.choices(range(len(PLANS)), weights)[0])
        person.phone = f"+35840{1000000 + n * 37:07d}"
        person.lead = lead
        sim.people.append(person)
        first_name, last_name = rng.choice(FIRST), rng.choice(LAST)
        key, key_rev = name_keys(first_name, last_name)
        consent = rng.random() < cfg.consent_share
        born = date(rng.randrange(1960, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
        locale, source = rng.choice(LOCALES), rng.choice(["walk_in", "web_form"])
        person.source = source
        rows.append({
            "club_id": sim.club.id, "first_name": first_name, "last_name": last_name, "name_key": key,
            "name_key_rev": key_rev, "phone": person.phone,
            "email": f"{first_name}.{last_name}.{n}@example.com".lower(), "card_code": f"C{100000 + n}",
            "birth_date": born,
            "locale": locale, "source": source,
            "sms_consent": consent, "sms_consent_at": person.created if consent else None,
            "sms_consent_source": "desk" if consent else None, "created_at": person.created,
            "created_by_id": sim.desk.id,
            "converted_at": sim.at(buys_on, 11) if buys_on is not None else None,
        })
    ids = db.session.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True), rows).scalars()
    for person, member_id in zip(sim.people, ids, strict=True):
        person.id = member_id
