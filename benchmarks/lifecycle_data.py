"""Two years of one club for the lifecycle pass, built as plain row tuples and bulk-loaded like the desk's.

* members: one in twelve a lead; the rest joined on a day spread over the last 25 months;
* memberships: month, 3-month and year plans in chains of renewals (`renews_id`), renewed more often by
  members who keep coming, some renewals sold ahead and not started, some cancelled, some frozen;
* visits: exactly VISITS check-ins inside the members' memberships, up to yesterday. Members are regulars,
  faders (visits that die away after joining), never-shows, or fall silent in the last weeks;
* the tools and rules every club starts with (as `defaults.ensure` writes them), and the touchpoints
  the daily passes before today would have planned (see `_touchpoints`);
* packages (personal training, massage), classes, trial sessions and club events from 460 days back to
  8 days ahead, with bookings; staff contacts of the last 90 days;
* open leads (one for every five members: 20,000 beside 100,000) in lead cycles begun over the last 59 days, a
  third of them reached by staff, with the lead tools' touchpoints and draws the passes (and the leads' arrival)
  before today would have made (see `_leads`).

Package balances are set directly (no ledger rows): the pass reads the balance, never the ledger.
"""
import json
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import exp, log
from zoneinfo import ZoneInfo

from werkzeug.security import generate_password_hash

from benchmarks.dataset import (
    _HMS, _STEMS, _SUFFIXES, CLUB_ID, FIRST, FREEZE_COLS, LOCALES, MEMBER_COLS, MEMBERSHIP_COLS,
    OTHER_LAST, SOURCES, STAFF_ID, TZ_NAME, VISIT_COLS, instant,
)
from clubcrm.lifecycle import defaults
from clubcrm.lifecycle.texts import DEFAULT_TEXTS
from clubcrm.models import Club, Plan, Rule, Service, Staff, Tool
from clubcrm.services.members import name_keys

HISTORY_DAYS = 760           # joins and memberships from this many days back
VISIT_DAYS = 730             # visits over the last two years, up to yesterday
SESSION_DAYS_BACK = 460      # as far back as the pass reads bookings
SESSION_DAYS_AHEAD = 8
# id, name, duration in days, price, weight when chosen, chance of a renewal for a member who keeps coming
PLANS = [
    (1, "Month", 30, 5900, 40, 0.8),
    (2, "3 months", 91, 15900, 25, 0.7),
    (3, "Year", 365, 54900, 35, 0.6),
]
SERVICES = [
    # id, name, units per package, price, valid days, share of members with a package
    (1, "Personal training", 10, 45000, 180, 0.12),
    (2, "Massage", 5, 25000, 90, 0.05),
]
# Kinds of members: share, visits per week (median), renewal factor.
KINDS = {"regular": (0.56, 2.2, 1.0), "fader": (0.28, 2.5, 0.45), "silent": (0.10, 2.0, 0.6),
         "never": (0.06, 0.0, 0.2)}
CLASS_HOURS = (7, 9, 12, 17, 18, 19)
SESSION_COLS = ("id", "club_id", "kind", "title", "activity", "starts_at", "ends_at", "capacity",
                "trainer_id", "cancelled_at", "created_at")
BOOKING_COLS = ("id", "session_id", "member_id", "status", "source", "created_at")
PACKAGE_COLS = ("id", "club_id", "member_id", "service_id", "balance", "expires_on")
CONTACT_COLS = ("id", "club_id", "member_id", "staff_id", "touchpoint_id", "outcome", "note", "created_at")
ASSIGNMENT_COLS = ("id", "club_id", "member_id", "kind", "membership_id", "tool_key", "tool_id", "held", "share_pct",
                   "first_on", "created_at")
TOUCHPOINT_COLS = ("id", "club_id", "member_id", "membership_id", "tool_id", "rule_id", "occurrence", "stage",
                   "channel", "status", "skip_reason", "task_kind", "facts", "due_on", "planned_at",
                   "session_id", "outcome", "done_at", "done_by_id")
LEAD_TOUCHPOINT_COLS = (*TOUCHPOINT_COLS, "lead_cycle_id", "due_at")
LEAD_ASSIGNMENT_COLS = (*ASSIGNMENT_COLS, "lead_cycle_id")
LEAD_CYCLE_COLS = ("id", "club_id", "member_id", "started_at", "source", "created_by_id")
LEADS_PER_MEMBER = 0.2       # open leads beside the members (issue 17: 20,000 at 100,000 members)
LEAD_DAYS = 59               # their cycles began this many days back at most (they close after 60)


@dataclass
class History:
    """The rows of a club's two years, ready for `dataset.load_rows`, and what the report states."""

    now: datetime
    today: date
    head: list[tuple] = field(default_factory=list)      # (SQLAlchemy table, [dict]) inserted first
    tables: list[tuple] = field(default_factory=list)    # (name, columns, [tuple]) bulk-loaded
    counts: dict = field(default_factory=dict)

    def drop_rows(self) -> None:
        """Forget the bulk rows (millions of tuples would slow every full garbage collection)."""
        self.tables = []


@dataclass
class _Cycle:
    """A membership recent enough for the pass, and what its visits were (filled while spreading them)."""

    membership_id: int
    member_id: int
    first: bool                       # the member's first membership
    start: int                        # day numbers, as offsets from the first day of history
    stop: int                         # its last day (the day before a cancellation)
    freeze: tuple[int, int, int] | None = None   # (freeze id, first day, last day)
    renewed: bool = False
    visits: int = 0
    first_visit: int | None = None
    by_day_14: int = 0
    by_day_30: int = 0
    goal_days: dict[int, int] = field(default_factory=dict)   # 10, 50, 100 visits -> the day reached


@dataclass
class _Chain:
    """One member's memberships, as the visit spreading needs them."""

    member_id: int
    kind: str
    rate: float                       # visits per day at the start
    fade: float                       # faders: mean days of the exponential decay
    segments: list[tuple[int, int, int]] = field(default_factory=list)  # (membership, first, last) day no.


def generate(members: int, visits: int, now: datetime, seed: int = 20260310) -> History:
    """Build one club with MEMBERS people and exactly VISITS visits, as of NOW."""
    rng = random.Random(seed)
    tz = ZoneInfo(TZ_NAME)
    today = now.astimezone(tz).date()
    hist = History(now, today)
    lasts = [stem + suffix for stem in _STEMS for suffix in _SUFFIXES] + OTHER_LAST
    hist.head = [
        (Club.__table__, [{"id": CLUB_ID, "name": "Bench Fitness", "timezone": TZ_NAME, "currency": "EUR",
                           "country": "FI", "default_locale": "en", "phone": "+358401234567",
                           "created_at": now - timedelta(days=HISTORY_DAYS + 30)}]),
        (Staff.__table__, [{"id": STAFF_ID, "club_id": CLUB_ID, "email": "manager@bench.club",
                            "name": "Mia Manager", "role": "manager",
                            "password_hash": generate_password_hash("bench-password"), "locale": None,
                            "is_trainer": True, "active": True,
                            "created_at": now - timedelta(days=HISTORY_DAYS + 30)}]),
        (Service.__table__, [{"id": sid, "club_id": CLUB_ID, "name": name, "package_units": units,
                              "price_minor": price, "currency": "EUR", "valid_days": valid, "active": True}
                             for sid, name, units, price, valid, _share in SERVICES]),
        (Plan.__table__, [{"id": pid, "club_id": CLUB_ID, "name": name, "duration_days": days,
                           "visit_limit": None, "price_minor": price, "currency": "EUR", "service_id": None,
                           "service_units": 0, "active": True} for pid, name, days, price, _w, _r in PLANS]),
        # The defaults, as defaults.ensure writes them, with known ids: the pass seeds nothing.
        (Tool.__table__, [{"id": i, "club_id": CLUB_ID, "key": key, "enabled": True, "holdout_pct": 10}
                          for i, key in enumerate(defaults.TOOLS, 1)]),
        (Rule.__table__, [{"id": i, "club_id": CLUB_ID, "tool_id": defaults.TOOLS.index(r.tool) + 1,
                           "key": r.key, "trigger": r.trigger, "stages": r.stages, "channel": r.channel,
                           "fallback": r.fallback, "task_kind": r.task_kind, "priority": r.priority,
                           "days": r.days, "window_days": r.window_days, "threshold": r.threshold,
                           "season_from": r.season_from, "season_to": r.season_to, "enabled": True,
                           "texts": dict(DEFAULT_TEXTS.get(r.key, {}))}
                          for i, r in enumerate(defaults.RULES, 1)]),
    ]
    # Days are numbered from the first day of history.
    first_day = today - timedelta(days=HISTORY_DAYS)
    n_days = HISTORY_DAYS + 900  # room for renewals sold ahead and their (frozen) year
    day_iso = [(first_day + timedelta(days=n)).isoformat() for n in range(n_days)]
    today_no = HISTORY_DAYS
    offsets = []  # Helsinki's UTC offset in seconds, day by day
    for n in range(n_days):
        d = first_day + timedelta(days=n)
        offsets.append(int(datetime(d.year, d.month, d.day, 12, tzinfo=tz).utcoffset().total_seconds()))

    def at(day_no: int, second: int) -> str:
        """The naive UTC instant of SECOND (local) on day DAY_NO, as SQLite stores it."""
        s = second - offsets[day_no]
        if s < 0:
            return f"{day_iso[day_no - 1]} {_HMS[s + 86400]}"
        return f"{day_iso[day_no]} {_HMS[s]}"

    plan_weights = [p[4] for p in PLANS]
    kind_names = list(KINDS)
    kind_weights = [KINDS[k][0] for k in kind_names]
    phone_pool = rng.sample(range(3 * 10**7), members)
    card_pool = rng.sample(range(10**8), members)
    prefixes = ("40", "50", "44")
    member_rows: list[tuple] = []
    memberships: list[tuple] = []
    freezes: list[tuple] = []
    chains: list[_Chain] = []
    consent_of: dict[int, bool] = {}
    joined_on: dict[int, list[int]] = {}   # day no. of the first membership -> members
    cycles: dict[int, _Cycle] = {}         # membership id -> a cycle the pass may plan for
    open_hours = (6 * 3600, 22 * 3600)
    local_now = now.astimezone(tz)
    now_second = local_now.hour * 3600 + local_now.minute * 60 + local_now.second

    def sold_by_now(day_no: int, second: int) -> str:
        """at(), for a sale: one due later (a renewal sold ahead, later today) was sold by NOW, not after it."""
        if day_no >= today_no:
            day_no, second = today_no, min(second, now_second)
        return at(day_no, second)

    for member_id in range(1, members + 1):
        first, last = rng.choice(FIRST), rng.choice(lasts)
        key, key_rev = name_keys(first, last)
        raw = phone_pool[member_id - 1]
        phone = f"+358{prefixes[raw // 10**7]}{raw % 10**7:07d}" if rng.random() < 0.97 else None
        card = f"{card_pool[member_id - 1]:010d}" if rng.random() < 0.9 else None
        email = f"{key.replace(' ', '.')}.{member_id}@example.com" if rng.random() < 0.8 else None
        consent = phone is not None and rng.random() < 0.8
        consent_of[member_id] = consent
        if rng.random() < 1 / 12:
            created = now - timedelta(days=rng.randrange(1, 500), seconds=rng.randrange(86400))
            converted = None
        else:
            kind = rng.choices(kind_names, kind_weights)[0]
            _share, per_week, loyalty = KINDS[kind]
            chain = _Chain(member_id, kind, per_week / 7 * min(rng.lognormvariate(0, 0.6), 4.0),
                           rng.uniform(15, 80))
            chains.append(chain)
            start = rng.randrange(0, HISTORY_DAYS + 1)   # day no. of the first membership
            joined_on.setdefault(start, []).append(member_id)
            plan = rng.choices(PLANS, plan_weights)[0]
            previous, first_sold = None, None
            while True:
                pid, _name, dur, price, _w, renew = plan
                membership_id = len(memberships) + 1
                ends = start + dur - 1
                sold_no = start - (rng.randrange(0, 15) if previous else 0)
                sold = sold_by_now(sold_no, rng.randrange(*open_hours))
                first_sold = first_sold or sold
                cancelled = None
                if start < today_no and rng.random() < 0.03:
                    cancelled = rng.randrange(start + 1, min(ends, today_no) + 1)
                frozen, f_start, freeze = 0, 0, None
                if rng.random() < 0.05:   # a freeze pushes the end by its length
                    f_start = start + rng.randrange(max(1, dur - 21))
                    frozen = rng.randrange(7, 22)
                    if cancelled is None or f_start + frozen < cancelled:
                        freezes.append((len(freezes) + 1, membership_id, day_iso[f_start],
                                        day_iso[f_start + frozen - 1], "Travel", sold, STAFF_ID))
                        freeze = (len(freezes), f_start, f_start + frozen - 1)
                        ends += frozen
                    else:
                        frozen = 0
                memberships.append((
                    membership_id, CLUB_ID, member_id, pid, previous, day_iso[start], day_iso[ends], None,
                    price, "EUR", sold, STAFF_ID,
                    at(cancelled, 9 * 3600) if cancelled is not None else None,
                    day_iso[cancelled] if cancelled is not None else None,
                    "Moved away" if cancelled is not None else None,
                    STAFF_ID if cancelled is not None else None))
                stop = ends if cancelled is None else cancelled - 1
                if start < today_no:   # the days it could be used, up to yesterday, less its freeze
                    covered = ([(start, f_start - 1), (f_start + frozen, stop)] if frozen else [(start, stop)])
                    chain.segments.extend((membership_id, a, min(b, today_no - 1)) for a, b in covered
                                          if a <= min(b, today_no - 1))
                if ends >= today_no - 100:
                    cycles[membership_id] = _Cycle(membership_id, member_id, previous is None, start, stop,
                                                   freeze)
                if previous in cycles:
                    cycles[previous].renewed = True
                if cancelled is not None or start >= today_no:
                    break
                # Renewal: more likely for members who keep coming; sold up to 45 days ahead.
                if rng.random() >= renew * loyalty:
                    break
                if ends >= today_no and ends - today_no > 45 * rng.random() + 5:
                    break   # not sold yet
                previous = membership_id
                start = ends + 1 + (rng.randrange(0, 20) if rng.random() < 0.15 else 0)
                if rng.random() < 0.15:
                    plan = rng.choices(PLANS, plan_weights)[0]
            sold_dt = datetime.fromisoformat(first_sold).replace(tzinfo=UTC)
            created = sold_dt - timedelta(days=rng.randrange(0, 30), seconds=rng.randrange(3600))
            converted = sold_dt
        member_rows.append((
            member_id, CLUB_ID, first, last, key, key_rev, phone, email, card,
            date(rng.randrange(1955, 2009), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat(),
            rng.choice(LOCALES), None, rng.choice(SOURCES), None, int(consent),
            instant(created) if consent else None, "desk" if consent else None, instant(created), STAFF_ID,
            instant(converted) if converted else None,
        ))

    visit_rows, last_visit = _visits(rng, chains, visits, today_no, at, cycles)
    sessions, bookings = _sessions(rng, chains, joined_on, today_no, at)
    contacts = [
        (n, CLUB_ID, member_id, STAFF_ID, None, rng.choice(("reached", "no_answer", "booked", "declined")),
         None, at(today_no - rng.randrange(1, 90), rng.randrange(*open_hours)))
        for n, member_id in enumerate(sorted(rng.sample(range(1, members + 1), members // 25)), 1)
    ]
    packages = []
    for sid, _name, units, _price, valid, share in SERVICES:
        for member_id in sorted(rng.sample([c.member_id for c in chains], int(share * len(chains)))):
            packages.append((len(packages) + 1, CLUB_ID, member_id, sid, rng.randrange(0, units + 1),
                             (today + timedelta(days=rng.randrange(-30, valid))).isoformat()))
    touchpoints = _touchpoints(rng, list(cycles.values()), packages, consent_of, last_visit, today_no, first_day,
                               at)
    assignments = _assignments(list(cycles.values()), touchpoints, today_no, first_day, at)
    leads = _leads(rng, int(members * LEADS_PER_MEMBER), members, len(touchpoints), len(assignments), len(contacts),
                   today_no, first_day, now, at)
    hist.tables = [
        ("member", MEMBER_COLS, member_rows + leads.members), ("membership", MEMBERSHIP_COLS, memberships),
        ("freeze", FREEZE_COLS, freezes), ("visit", VISIT_COLS, visit_rows),
        ("package", PACKAGE_COLS, packages), ("club_session", SESSION_COLS, sessions),
        ("booking", BOOKING_COLS, bookings), ("touchpoint", TOUCHPOINT_COLS, touchpoints),
        ("assignment", ASSIGNMENT_COLS, assignments), ("staff_contact", CONTACT_COLS, contacts + leads.contacts),
        ("lead_cycle", LEAD_CYCLE_COLS, leads.cycles), ("touchpoint", LEAD_TOUCHPOINT_COLS, leads.touchpoints),
        ("assignment", LEAD_ASSIGNMENT_COLS, leads.assignments),
    ]
    hist.counts = {}
    for name, _cols, rows in hist.tables:
        hist.counts[name] = hist.counts.get(name, 0) + len(rows)
    hist.counts["leads"] = members - len(chains)
    hist.counts["open leads"] = len(leads.cycles)
    for kind in KINDS:
        hist.counts[f"{kind}s"] = sum(1 for c in chains if c.kind == kind)
    return hist


def _visits(rng: random.Random, chains: list[_Chain], total: int, today_no: int, at,
            cycles: dict[int, _Cycle]) -> tuple[list[tuple], dict[int, int]]:
    """Spread exactly TOTAL visits over the chains' days, by kind; rows in time order (a day at a time).

    Also count each cycle's visits as they come, and return each member's last day with a visit."""
    first_no = today_no - VISIT_DAYS
    plans = []   # (chain, covered segments, cumulative starts, length, expected visits, kind parameter)
    for chain in chains:
        segments = [(m, max(a, first_no), b) for m, a, b in chain.segments if b >= max(a, first_no)]
        length = sum(b - a + 1 for _m, a, b in segments)
        if not segments or chain.kind == "never" or length == 0:
            continue
        cumulative, run = [], 0
        for _m, a, b in segments:
            cumulative.append(run)
            run += b - a + 1
        if chain.kind == "fader":
            param = chain.fade
            expected = chain.rate * param * (1 - exp(-length / param))
        elif chain.kind == "silent":   # stopped coming 8 to 40 days ago
            param = max(0, length - rng.randrange(8, 41))
            expected = chain.rate * param
        else:
            param = length
            expected = chain.rate * length
        plans.append((chain, segments, cumulative, length, expected, param))
    scale = total / (sum(p[4] for p in plans) or 1.0)
    counts = [int(p[4] * scale) for p in plans]
    for index in rng.choices(range(len(plans)), [p[4] for p in plans], k=total - sum(counts)) if plans else []:
        counts[index] += 1
    by_day: list[list[tuple]] = [[] for _ in range(today_no)]
    random_ = rng.random
    opens, hours = 6 * 3600, 16 * 3600
    for (chain, segments, cumulative, length, _e, param), n in zip(plans, counts, strict=True):
        member_id = chain.member_id
        if chain.kind == "fader":
            spread = 1 - exp(-length / param)
            draws = (-param * log(1 - random_() * spread) for _ in range(n))
        elif chain.kind == "silent":
            draws = (random_() * param for _ in range(n))
        else:
            draws = (random_() * length for _ in range(n))
        for t in draws:
            i = bisect_right(cumulative, t) - 1
            membership, a, b = segments[i]
            day_no = min(b, a + int(t - cumulative[i]))
            by_day[day_no].append((opens + int(random_() * hours), member_id, membership))
    rows = []
    append = rows.append
    n = 0
    last_visit: dict[int, int] = {}
    for day_no, day in enumerate(by_day):
        day.sort()
        for second, member_id, membership in day:
            n += 1
            last_visit[member_id] = day_no
            cycle = cycles.get(membership)
            if cycle is not None:
                cycle.visits += 1
                if cycle.first_visit is None:
                    cycle.first_visit = day_no
                if day_no - cycle.start < 30:
                    cycle.by_day_30 += 1
                    if day_no - cycle.start < 14:
                        cycle.by_day_14 += 1
                if cycle.visits in (10, 50, 100):
                    cycle.goal_days[cycle.visits] = day_no
            if random_() < 0.7:
                append((n, CLUB_ID, member_id, membership, at(day_no, second), "turnstile", None))
            else:
                append((n, CLUB_ID, member_id, membership, at(day_no, second), "desk", STAFF_ID))
        day.clear()
    return rows, last_visit


def _sessions(rng: random.Random, chains: list[_Chain], joined_on: dict[int, list[int]], today_no: int,
              at) -> tuple[list[tuple], list[tuple]]:
    """Classes, a daily trial session and a Saturday event from 460 days back to 8 days ahead, booked."""
    class_goers = [c.member_id for c in chains if c.kind != "never" and rng.random() < 0.25]
    sessions, bookings = [], []
    for day_no in range(today_no - SESSION_DAYS_BACK, today_no + SESSION_DAYS_AHEAD + 1):
        slots = [("class", "Spinning" if h % 2 else "Yoga", h, 20) for h in CLASS_HOURS]
        slots.append(("trial", "Trial session", 16, 4))
        if (day_no - today_no) % 7 == 4:
            slots.append(("event", "Club run", 10, 40))
        for kind, title, hour, capacity in slots:
            session_id = len(sessions) + 1
            cancelled = at(day_no - 1, 12 * 3600) if rng.random() < 0.02 else None
            sessions.append((session_id, CLUB_ID, kind, title, title, at(day_no, hour * 3600),
                             at(day_no, hour * 3600 + 3600), capacity, STAFF_ID, cancelled,
                             at(max(0, day_no - 30), 10 * 3600)))
            if cancelled:
                continue
            past = day_no < today_no
            if kind == "trial":   # new members of the last two weeks
                pool = [m for d in range(day_no - 14, day_no) for m in joined_on.get(d, ())]
                taken = rng.sample(pool, min(len(pool), rng.randrange(0, capacity)))
            else:
                fill = rng.uniform(0.4, 0.9) if past else rng.uniform(0.0, 0.7)
                taken = rng.sample(class_goers, min(len(class_goers), int(capacity * fill)))
            for member_id in taken:
                if past:
                    r = rng.random()
                    status = "attended" if r < 0.85 else "no_show" if r < 0.93 else "cancelled"
                else:
                    status = "booked"
                bookings.append((len(bookings) + 1, session_id, member_id, status, "desk",
                                 at(max(0, day_no - rng.randrange(1, 7)), 12 * 3600)))
    return sessions, bookings


def _touchpoints(rng: random.Random, cycles: list[_Cycle], packages: list[tuple], consent_of: dict[int, bool],
                 last_visit: dict[int, int], today_no: int, first_day: date, at) -> list[tuple]:
    """What the daily passes planned before today, rule by rule on the first day its window opened (as
    the default rules define them), so that today's pass plans what a steady day brings, not a backlog.

    One in ten is held out (the default holdout share); an SMS to a member without consent became a
    staff task, done; a cycle gets at most 15 contacts (the default budget, 3 kept for the renewal)."""
    rules = {r.key: (i, defaults.TOOLS.index(r.tool) + 1, r) for i, r in enumerate(defaults.RULES, 1)}
    today = first_day + timedelta(days=today_no)
    package_of: dict[int, list[tuple]] = {}
    for row in packages:
        package_of.setdefault(row[2], []).append(row)
    seasons = []
    for r in defaults.RULES:
        if r.trigger == "season":
            opens = date(today.year, int(r.season_from[:2]), int(r.season_from[3:]))
            closes = date(today.year, int(r.season_to[:2]), int(r.season_to[3:]))
            if opens < today <= closes:
                seasons.append((r.key, (opens - first_day).days, today.year))
    rows = []
    for c in cycles:
        run_up = min(45, (c.stop - c.start + 1) // 3)   # as triggers.scaled: short contracts, short run-up

        fired: list[tuple[str, int, int]] = []   # (rule, occurrence, due day no.)
        if c.first:
            fired.append(("welcome", 0, c.start))
            fired.append(("trial_invite", 0, c.start + 2))
            if c.first_visit is None or c.first_visit > c.start + 7:
                fired.append(("no_first_visit", 0, c.start + 7))
            if c.by_day_14 < 4:
                fired.append(("adaptation_14", 0, c.start + 14))
            if c.by_day_30 < 8:
                fired.append(("adaptation_30", 0, c.start + 30))
        fired.append(("class_invite", 0, c.start + 21))
        fired.extend((f"milestone_{goal}", goal, day) for goal, day in c.goal_days.items())
        fired.extend((key, 0, c.stop - (days if run_up >= 45 else days * run_up // 45))
                     for key, days in (("renewal_45", 45), ("renewal_14", 14), ("renewal_call_3", 3)))
        if not c.renewed:
            fired.extend((key, 0, c.stop + days) for key, days in (("win_back_7", 7), ("win_back_30", 30)))
        if c.freeze is not None:
            fired.append(("freeze_ended", c.freeze[0], c.freeze[2] + 2))
        fired.extend(("keep_in_touch", k, day) for k, day in enumerate(range(c.start + 7, c.stop + 1, 36), 1))
        if c.start <= today_no <= c.stop:   # the current silence spell, and what is open today
            anchor = max(c.start, last_visit.get(c.member_id, c.start))
            if c.freeze is not None and c.freeze[2] < today_no:
                anchor = max(anchor, c.freeze[2] + 1)
            ordinal = first_day.toordinal() + anchor
            fired += [("silence_sms", ordinal, anchor + 10), ("silence_call", ordinal, anchor + 21)]
            for package in package_of.get(c.member_id, ()):
                _id, _club, _member, _service, balance, expires_on = package
                left = (date.fromisoformat(expires_on) - today).days
                if 0 < balance <= 2:
                    fired.append(("low_balance", package[0], today_no - rng.randrange(1, 30)))
                if 0 <= left < 14:
                    fired.append(("package_expiring", date.fromisoformat(expires_on).toordinal(),
                                  today_no - (14 - left)))
            fired.extend((key, year, opens) for key, opens, year in seasons)
        contacts = 0
        for key, occurrence, due in sorted(fired, key=lambda f: f[2]):
            # The budget: 15 contacts a cycle, 3 of them kept for the renewal run-up.
            if not c.start <= due < today_no or contacts >= (15 if key.startswith("renewal") else 12):
                continue
            rule_id, tool_id, spec = rules[key]
            if rng.random() < 0.1:
                channel, status, outcome = spec.channel, "held_out", None
            elif spec.channel == "sms" and consent_of[c.member_id]:
                channel, status, outcome = "sms", "sent", None
            else:
                channel, status, outcome = "task", "done", rng.choice(("reached", "no_answer"))
            contacts += status != "held_out"
            planned_at = at(due, 3 * 3600)
            rows.append((len(rows) + 1, CLUB_ID, c.member_id, c.membership_id, tool_id, rule_id, occurrence,
                         "active", channel, status, None, spec.task_kind if channel == "task" else None,
                         json.dumps({}), (first_day + timedelta(days=due)).isoformat(), planned_at, None,
                         outcome, planned_at if status == "done" else None,
                         STAFF_ID if status == "done" else None))
    return rows


def _assignments(cycles: list[_Cycle], touchpoints: list[tuple], today_no: int, first_day: date,
                 at) -> list[tuple]:
    """The arms the passes before today drew: each cycle's programme draw on its first day (nobody held out of
    the programme: the history contacted everyone), and one row per (cycle, tool) on the day of the tool's
    first touchpoint, in the arm that touchpoint shows (as the assignment log's migration fills it)."""
    rows: list[tuple] = []
    for c in cycles:
        if c.start < today_no:
            rows.append((len(rows) + 1, CLUB_ID, c.member_id, "member", c.membership_id, "programme", None, False, 5,
                         (first_day + timedelta(days=c.start)).isoformat(), at(c.start, 3 * 3600)))
    seen: set[tuple[int, int]] = set()
    for _id, _club, member_id, membership_id, tool_id, *_rest in sorted(touchpoints, key=lambda t: t[13]):
        if (membership_id, tool_id) in seen:
            continue
        seen.add((membership_id, tool_id))
        status, due, planned_at = _rest[4], _rest[8], _rest[9]
        rows.append((len(rows) + 1, CLUB_ID, member_id, "member", membership_id, defaults.TOOLS[tool_id - 1], tool_id,
                     status == "held_out", 10, due, planned_at))
    return rows


@dataclass
class _Leads:
    members: list[tuple] = field(default_factory=list)
    cycles: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    touchpoints: list[tuple] = field(default_factory=list)
    assignments: list[tuple] = field(default_factory=list)
    drawn: set[tuple[int, str]] = field(default_factory=set)
    first_touchpoint_id: int = 1
    first_assignment_id: int = 1


def _leads(rng: random.Random, count: int, members: int, touchpoint_ids: int, assignment_ids: int, contact_ids: int,
           today_no: int, first_day: date, now: datetime, at) -> _Leads:
    """COUNT open leads (member ids after MEMBERS) in cycles begun over the last LEAD_DAYS days, a third reached by a
    staff call within their first three days, and what the lead tools did before today: the first call and the trial
    invitation the day each came (planned at the arrival: still open for today's), the follow-up calls on days 2, 5
    and 10 while not reached (done, no answer), one draw per cycle and tool (10% held out: held-out touchpoints)."""
    out = _Leads(first_touchpoint_id=touchpoint_ids + 1, first_assignment_id=assignment_ids + 1)
    rules = {r.key: (i, defaults.TOOLS.index(r.tool) + 1, r) for i, r in enumerate(defaults.RULES, 1)}
    local_now = now.astimezone(ZoneInfo(TZ_NAME))
    now_second = local_now.hour * 3600 + local_now.minute * 60
    for n in range(count):
        member_id, cycle_id = members + n + 1, n + 1
        day = today_no - rng.randrange(0, LEAD_DAYS + 1)
        if day == today_no and now_second < 6 * 3600 + 60:
            day -= 1   # before today's opening: nobody came yet today
        second = rng.randrange(6 * 3600, min(22 * 3600, now_second) if day == today_no else 22 * 3600)
        started = at(day, second)
        consent = rng.random() < 0.7
        first, last = rng.choice(FIRST), rng.choice(OTHER_LAST)
        key, key_rev = name_keys(first, last)
        out.members.append((member_id, CLUB_ID, first, last, key, key_rev, f"+35846{member_id:07d}", None, None,
                            None, rng.choice(LOCALES), None, "web_form", None, int(consent),
                            started if consent else None, "web_form" if consent else None, started, STAFF_ID, None))
        out.cycles.append((cycle_id, CLUB_ID, member_id, started, "web_form", STAFF_ID))
        reached_on = day + rng.randrange(0, 3) if rng.random() < 1 / 3 else None
        if reached_on is not None and (reached_on, second) > (today_no, now_second):
            reached_on = None
        if reached_on is not None:
            out.contacts.append((contact_ids + len(out.contacts) + 1, CLUB_ID, member_id, STAFF_ID, None, "reached",
                                 None, at(reached_on, second if reached_on == day else 10 * 3600)))
        held = {tool: rng.random() < 0.1 for tool in ("lead_first_call", "lead_trial_invite", "lead_follow_up")}
        lead = _Lead(member_id, cycle_id, day, second, held)
        call = ("planned", None) if day == today_no else ("done", "reached" if reached_on == day else "no_answer")
        _touch(out, rules, first_day, at, lead, "lead_first_call", day, "task", *call,
               due_at=at(day, min(second + 3600, 22 * 3600 - 1)))
        _touch(out, rules, first_day, at, lead, "lead_trial_invite", day, "sms", "sent" if consent else "skipped",
               skip=None if consent else "no_consent")
        for offset in (2, 5, 10):
            on = day + offset
            if on < today_no and (reached_on is None or reached_on > on):
                _touch(out, rules, first_day, at, lead, f"lead_follow_up_{offset}", on, "task", "done", "no_answer")
    return out


@dataclass(frozen=True)
class _Lead:
    member_id: int
    cycle_id: int
    day: int
    second: int
    held: dict[str, bool]


def _touch(out: _Leads, rules: dict, first_day: date, at, lead: _Lead, rule_key: str, on: int, channel: str,
           status: str, outcome: str | None = None, skip: str | None = None, due_at: str | None = None) -> None:
    """A lead touchpoint of RULE_KEY on day ON, and the cycle's draw of its tool the first time the tool fires."""
    rule_id, tool_id, rule = rules[rule_key]
    if lead.held[rule.tool]:
        status, outcome, skip = "held_out", None, None
    done = status == "done"
    out.touchpoints.append((
        len(out.touchpoints) + out.first_touchpoint_id, CLUB_ID, lead.member_id, None, tool_id, rule_id, 0, "lead",
        channel, status, skip, rule.task_kind if channel == "task" else None, "{}", day_iso(first_day, on),
        at(on, 3 * 3600 if on > lead.day else lead.second), None, outcome, at(on, 12 * 3600) if done else None,
        STAFF_ID if done else None, lead.cycle_id, due_at))
    if (lead.cycle_id, rule.tool) not in out.drawn:
        out.drawn.add((lead.cycle_id, rule.tool))
        out.assignments.append((len(out.assignments) + out.first_assignment_id, CLUB_ID, lead.member_id, "lead", None,
                                rule.tool, tool_id, lead.held[rule.tool], 10, day_iso(first_day, on),
                                at(on, lead.second), lead.cycle_id))


def day_iso(first_day: date, day_no: int) -> str:
    return (first_day + timedelta(days=day_no)).isoformat()
