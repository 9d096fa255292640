"""A generated club (members, memberships, freezes, a year of visits) and its bulk load.

Rows are built once, in plain Python, in a form both engines take as it is: dates as ISO strings,
instants as naive UTC strings "YYYY-MM-DD HH:MM:SS.ffffff" (exactly what SQLAlchemy writes to SQLite;
PostgreSQL reads them in a session whose time zone is UTC), booleans as 0/1. SQLite is loaded with
executemany in one transaction, PostgreSQL with COPY. The schema comes from the migrations.
"""
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from clubcrm.models import Club, Plan, Staff
from clubcrm.services.members import name_keys

TZ_NAME = "Europe/Helsinki"
CLUB_ID = 1
STAFF_ID = 1
DESK_EMAIL = "desk@bench.club"
DESK_PASSWORD = "bench-password"
HEAVY_VISITS = 500

FIRST = [
    "Aino", "Aleksi", "Anna", "Anni", "Antti", "Eero", "Eetu", "Eija", "Elina", "Emilia", "Emma", "Esa",
    "Hanna", "Heidi", "Heikki", "Helmi", "Iida", "Ilkka", "Jaana", "Janne", "Jari", "Johanna", "Joni",
    "Juha", "Jukka", "Jussi", "Kaisa", "Kalle", "Kari", "Katja", "Kirsi", "Lauri", "Laura", "Leena",
    "Lotta", "Markku", "Marja", "Marko", "Matti", "Mika", "Mikko", "Minna", "Niina", "Niko", "Noora",
    "Olli", "Oona", "Oskari", "Otto", "Outi", "Paula", "Pekka", "Petri", "Pia", "Riikka", "Risto",
    "Saara", "Sami", "Sanna", "Satu", "Seppo", "Sofia", "Suvi", "Taneli", "Tapio", "Teemu", "Timo",
    "Tiina", "Tuomas", "Tuula", "Ville", "Veera", "Aleksandr", "Dmitri", "Elena", "Irina", "Ivan",
    "Natalia", "Olga", "Sergei", "Svetlana", "Tatiana", "Andrej", "Juraj", "Lukas", "Matej", "Petra",
    "Tomas", "Zuzana", "Eva", "Jonas", "Lena", "Maria", "Max", "Paul", "Sarah", "Julia", "Daniel",
    "David", "Sara", "Ahmed", "Fatima", "Li", "Wei", "Omar", "Nina", "Mila", "Luka", "Ana", "Maja",
]
_STEMS = [
    "Aalto", "Ahola", "Hakala", "Halme", "Heikki", "Hiltu", "Hokka", "Huhta", "Jokela", "Juva", "Kallio",
    "Karja", "Kauppi", "Kivi", "Koivu", "Korho", "Koski", "Kuusi", "Laakso", "Lahti", "Lehto", "Leino",
    "Linna", "Luoma", "Mäki", "Manni", "Mattila", "Niemi", "Nurmi", "Ojala", "Paana", "Peltola",
    "Pitkä", "Rauta", "Rinne", "Saari", "Salmi", "Sipilä", "Suomi", "Tuomi", "Turu", "Vainio", "Valli",
    "Vehka", "Virta", "Väisä", "Ylä",
]
_SUFFIXES = ["nen", "la", "maa", "salo", "järvi", "aho", "mäki", "vaara", "lahti", "nen-Koski"]
OTHER_LAST = [
    "Ivanov", "Ivanova", "Petrov", "Petrova", "Smirnov", "Smirnova", "Popov", "Popova", "Novak",
    "Horvat", "Kovač", "Krajnc", "Zupan", "Varga", "Baláž", "Kováčová", "Schmidt", "Müller", "Weber",
    "Wagner", "Becker", "Lindqvist", "Lindholm", "Nyström", "Andersson", "Johansson", "Smith", "Brown",
    "Wilson", "Taylor", "Garcia", "Rossi", "Nguyen", "Kim", "Ali", "Hassan", "Chen", "Wang", "Singh",
]
LOCALES = ["fi"] * 7 + ["en"] * 2 + ["ru", "de", "sl", "sk"]
SOURCES = ["walk_in"] * 6 + ["web_form"] * 3 + ["import"]
# id, name, duration in days, visit limit, price, weight when chosen, most renewals in a chain
PLANS = [
    (1, "Month", 30, None, 5900, 40, 14),
    (2, "3 months", 91, None, 15900, 25, 5),
    (3, "Year", 365, None, 54900, 30, 2),
    (4, "10 visits", 60, 10, 9900, 5, 4),
]
MEMBER_COLS = ("id", "club_id", "first_name", "last_name", "name_key", "name_key_rev", "phone", "email",
               "card_code", "birth_date", "locale", "interest", "source", "notes", "sms_consent",
               "sms_consent_at", "sms_consent_source", "created_at", "created_by_id", "converted_at")
MEMBERSHIP_COLS = ("id", "club_id", "member_id", "plan_id", "renews_id", "starts_on", "ends_on",
                   "visit_limit", "price_minor", "currency", "sold_at", "sold_by_id", "cancelled_at",
                   "cancelled_on", "cancel_reason", "cancelled_by_id")
FREEZE_COLS = ("id", "membership_id", "starts_on", "ends_on", "reason", "created_at", "created_by_id")
VISIT_COLS = ("id", "club_id", "member_id", "membership_id", "checked_in_at", "source", "staff_id")
TABLES = (("member", MEMBER_COLS), ("membership", MEMBERSHIP_COLS), ("freeze", FREEZE_COLS),
          ("visit", VISIT_COLS))

# "HH:MM:SS.000000" for every second of a day: visits are built from a day string and a second.
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86400)]


def instant(moment: datetime) -> str:
    """Write an aware instant the way SQLAlchemy stores it on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]


@dataclass
class Dataset:
    now: datetime
    today: date
    club: dict
    staff: dict
    plans: list[dict]
    members: list[tuple] = field(default_factory=list)
    memberships: list[tuple] = field(default_factory=list)
    freezes: list[tuple] = field(default_factory=list)
    visits: list[tuple] = field(default_factory=list)
    # What the measurements need once the rows are gone.
    people: list[tuple[int, str, str, str | None, str | None]] = field(default_factory=list)
    checkin_ready: list[int] = field(default_factory=list)  # active today, check-in will be accepted
    no_visit_member: int = 0
    heavy_member: int = 0
    counts: dict = field(default_factory=dict)

    def drop_rows(self) -> None:
        """Forget the bulk rows (a million tuples would slow every full garbage collection)."""
        self.members, self.memberships, self.freezes, self.visits = [], [], [], []


def generate(members: int, visits: int, now: datetime, seed: int = 20260310) -> Dataset:
    """Build one club with MEMBERS people, most with a membership chain, and exactly VISITS visits."""
    rng = random.Random(seed)
    tz = ZoneInfo(TZ_NAME)
    today = now.astimezone(tz).date()
    lasts = [stem + suffix for stem in _STEMS for suffix in _SUFFIXES] + OTHER_LAST
    ds = Dataset(
        now=now, today=today,
        club={"id": CLUB_ID, "name": "Bench Fitness", "timezone": TZ_NAME, "currency": "EUR",
              "country": "FI", "default_locale": "en", "phone": "+358401234567",
              "created_at": now - timedelta(days=900)},
        staff={"id": STAFF_ID, "club_id": CLUB_ID, "email": DESK_EMAIL, "name": "Dana Desk", "role": "desk",
               "password_hash": generate_password_hash(DESK_PASSWORD), "locale": None, "is_trainer": False,
               "active": True,
               "created_at": now - timedelta(days=900)},
        plans=[{"id": pid, "club_id": CLUB_ID, "name": name, "duration_days": days, "visit_limit": limit,
                "price_minor": price, "currency": "EUR", "service_id": None, "service_units": 0,
                "active": True} for pid, name, days, limit, price, _w, _r in PLANS],
    )
    plan_weights = [p[5] for p in PLANS]
    # Unique phones (three mobile prefixes, valid for phonenumbers) and unique 10-digit card codes
    # with leading zeros, as printed on turnstile cards (they never read as a phone number).
    phone_pool = rng.sample(range(3 * 10**7), members)
    card_pool = rng.sample(range(10**8), members)
    prefixes = ("40", "50", "44")
    # Two members the statement counts need: active on a Year plan, one never visited, one with 500 visits.
    no_visit, heavy = 1 + members // 3, 1 + members // 3 + 1
    window_start = today - timedelta(days=365)
    window_end = today - timedelta(days=1)  # history stops yesterday; today belongs to the benchmark
    open_hours = (6 * 3600, 22 * 3600)
    # Day n of the history window: its ISO date and Helsinki's UTC offset in seconds that day.
    days_of_window: list[tuple[str, int]] = []
    day = window_start
    while day <= window_end:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        days_of_window.append((day.isoformat(), int(noon.utcoffset().total_seconds())))
        day += timedelta(days=1)

    membership_id = 0
    freeze_id = 0
    limited: list[tuple[int, int, date, date, int]] = []  # (member, membership, first, last, visits)
    unlimited: list[tuple[int, int, date, date, int]] = []  # (member, membership, first, last, days)
    heavy_slots: list[tuple[int, date, date]] = []
    for member_id in range(1, members + 1):
        special = member_id in (no_visit, heavy)
        first, last = rng.choice(FIRST), rng.choice(lasts)
        key, key_rev = name_keys(first, last)
        raw = phone_pool[member_id - 1]
        phone = f"+358{prefixes[raw // 10**7]}{raw % 10**7:07d}" if special or rng.random() < 0.97 else None
        card = f"{card_pool[member_id - 1]:010d}" if special or rng.random() < 0.9 else None
        email = f"{key.replace(' ', '.')}.{member_id}@example.com" if rng.random() < 0.8 else None
        is_lead = not special and rng.random() < 0.1
        chain: list[tuple] = []
        if is_lead:
            created = now - timedelta(days=rng.randrange(1, 500), seconds=rng.randrange(86400))
            converted = None
        else:
            pid, _name, dur, limit, price, _w, most = (PLANS[2] if special
                                                       else rng.choices(PLANS, plan_weights)[0])
            active = special or rng.random() < 0.8
            if member_id == heavy:
                last_start, renewals = today - timedelta(days=200), 1
            elif member_id == no_visit:
                last_start, renewals = today - timedelta(days=20), 0
            elif active:
                last_start = today - timedelta(days=rng.randrange(dur))
                renewals = min(int(rng.expovariate(1 / max(1.0, most / 2))), most)
            else:
                last_start = today - timedelta(days=rng.randrange(1, 400) + dur - 1)
                renewals = min(int(rng.expovariate(1 / max(1.0, most / 3))), most)
            previous = None
            for k in range(renewals, -1, -1):
                membership_id += 1
                starts = last_start - timedelta(days=k * dur)
                ends = starts + timedelta(days=dur - 1)
                sold_day = starts - timedelta(days=rng.randrange(0, 8) if previous else 0)
                sold = datetime(sold_day.year, sold_day.month, sold_day.day, tzinfo=tz) + timedelta(
                    seconds=rng.randrange(*open_hours))
                cancelled = None
                if k == 0 and not active and rng.random() < 0.1:
                    cancelled = starts + timedelta(days=rng.randrange(dur))
                chain.append((membership_id, CLUB_ID, member_id, pid, previous, starts.isoformat(),
                              ends.isoformat(), limit, price, "EUR", instant(sold), STAFF_ID,
                              instant(datetime(cancelled.year, cancelled.month, cancelled.day, 9, tzinfo=tz))
                              if cancelled else None,
                              cancelled.isoformat() if cancelled else None,
                              "Moved away" if cancelled else None, STAFF_ID if cancelled else None))
                if not special and rng.random() < 0.04:
                    f_start = starts + timedelta(days=rng.randrange(max(1, dur - 21)))
                    f_end = min(f_start + timedelta(days=rng.randrange(6, 21)), ends,
                                today - timedelta(days=1))
                    if f_start <= f_end:
                        freeze_id += 1
                        ds.freezes.append((freeze_id, membership_id, f_start.isoformat(), f_end.isoformat(),
                                           "Travel", instant(sold), STAFF_ID))
                # The part of this membership inside the year of history gets visits.
                first_day = max(starts, window_start)
                last_day = min(ends, window_end, cancelled or ends)
                if first_day <= last_day:
                    if member_id == heavy:
                        heavy_slots.append((membership_id, first_day, last_day))
                    elif member_id == no_visit:
                        pass
                    elif limit is not None:
                        top = limit - 1 if ends >= today else limit
                        limited.append((member_id, membership_id, first_day, last_day,
                                        min(rng.randrange(top + 1), (last_day - first_day).days + 1)))
                    else:
                        unlimited.append((member_id, membership_id, first_day, last_day,
                                          (last_day - first_day).days + 1))
                previous = membership_id
            first_sold = datetime.fromisoformat(chain[0][10]).replace(tzinfo=UTC)
            created = first_sold - timedelta(days=rng.randrange(0, 30), seconds=rng.randrange(3600))
            converted = first_sold
            ds.memberships.extend(chain)
            if active:
                ds.checkin_ready.append(member_id)
        consent = phone is not None and rng.random() < 0.8
        ds.members.append((
            member_id, CLUB_ID, first, last, key, key_rev, phone, email, card,
            date(rng.randrange(1955, 2009), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat(),
            rng.choice(LOCALES), None, rng.choice(SOURCES), None, int(consent),
            instant(created) if consent else None, "desk" if consent else None, instant(created), STAFF_ID,
            instant(converted) if converted else None,
        ))
        ds.people.append((member_id, first, last, phone, card))

    # Visits: a member's activity times the days covered, allocated so the total is exactly VISITS.
    heavy_count = min(HEAVY_VISITS, visits // 2)
    limited_total = sum(row[4] for row in limited)
    if limited_total > visits - heavy_count:  # scaled-down runs: fewer visits than the cards allow
        scale = (visits - heavy_count) / max(1, limited_total)
        limited = [(*row[:4], int(row[4] * scale)) for row in limited]
        limited_total = sum(row[4] for row in limited)
    budget = visits - heavy_count - limited_total
    activity: dict[int, float] = {}
    weights = []
    for member_id, _m, _a, _b, days in unlimited:
        if member_id not in activity:
            activity[member_id] = min(rng.lognormvariate(0, 0.9), 12.0)
        weights.append(activity[member_id] * days)
    total_weight = sum(weights) or 1.0
    counts = [int(budget * w / total_weight) for w in weights]
    for index in rng.choices(range(len(unlimited)), weights, k=budget - sum(counts)) if unlimited else []:
        counts[index] += 1
    raw_visits: list[tuple[str, int, int]] = []
    random_ = rng.random
    opens, hours = open_hours[0], open_hours[1] - open_hours[0]

    def spread(member_id: int, membership: int, first_day: date, last_day: date, n: int) -> None:
        start, span = (first_day - window_start).days, (last_day - first_day).days + 1
        append = raw_visits.append
        for _ in range(n):
            text, offset = days_of_window[start + int(random_() * span)]
            append((f"{text} {_HMS[opens + int(random_() * hours) - offset]}", member_id, membership))

    for (member_id, membership, first_day, last_day, _w), n in zip(unlimited, counts, strict=True):
        spread(member_id, membership, first_day, last_day, n)
    for member_id, membership, first_day, last_day, n in limited:
        spread(member_id, membership, first_day, last_day, n)
    heavy_days = sum((b - a).days + 1 for _m, a, b in heavy_slots)
    given = 0
    for i, (membership, first_day, last_day) in enumerate(heavy_slots):
        share = (heavy_count - given if i == len(heavy_slots) - 1
                 else round(heavy_count * ((last_day - first_day).days + 1) / heavy_days))
        spread(heavy, membership, first_day, last_day, share)
        given += share
    raw_visits.sort()
    # Seven in ten visits come through the turnstile; the rest were logged by the desk.
    ds.visits = [
        (n, CLUB_ID, member_id, membership, at, "turnstile", None) if random_() < 0.7
        else (n, CLUB_ID, member_id, membership, at, "desk", STAFF_ID)
        for n, (at, member_id, membership) in enumerate(raw_visits, 1)
    ]
    raw_visits.clear()
    # A 10-visit card that used all its visits refuses check-in: keep only members that will get in.
    used_up = {m for m, _ms, _a, _b, n in limited if n >= 10}
    ds.checkin_ready = [m for m in ds.checkin_ready if m not in used_up and m not in (no_visit, heavy)]
    rng.shuffle(ds.checkin_ready)
    ds.no_visit_member, ds.heavy_member = no_visit, heavy
    ds.counts = {"members": len(ds.members), "memberships": len(ds.memberships),
                 "freezes": len(ds.freezes), "visits": len(ds.visits),
                 "leads": sum(1 for row in ds.members if row[19] is None),
                 "can_check_in_today": len(ds.checkin_ready) + 2, "heavy_visits": heavy_count}
    return ds


def load(url: str, ds: Dataset) -> None:
    """Fill a migrated, empty database at URL with DS."""
    load_rows(url, [(Club.__table__, [ds.club]), (Staff.__table__, [ds.staff]), (Plan.__table__, ds.plans)],
              [(table, cols, _rows(ds, table)) for table, cols in TABLES])


def load_rows(url: str, head: list[tuple], tables: list[tuple[str, tuple[str, ...], list[tuple]]]) -> None:
    """Fill a migrated, empty database at URL: HEAD (table, dicts) through SQLAlchemy, then the bulk
    TABLES (name, columns, row tuples) with executemany (SQLite) or COPY (PostgreSQL)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table, rows in head:
                if rows:
                    conn.execute(insert(table), rows)
    finally:
        engine.dispose()
    if url.startswith("sqlite"):
        _load_sqlite(make_url(url).database, tables)
    else:
        _load_postgresql(url, [table.name for table, _rows in head], tables)


def _rows(ds: Dataset, table: str) -> list[tuple]:
    return {"member": ds.members, "membership": ds.memberships, "freeze": ds.freezes,
            "visit": ds.visits}[table]


def _load_sqlite(path: str, tables: list[tuple[str, tuple[str, ...], list[tuple]]]) -> None:
    """Insert in one transaction with the plain indexes dropped, then build them again (a sort each)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")  # no WAL to write and then copy back while loading
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-524288")  # 512 MB while loading
        conn.execute("BEGIN")
        names = [table for table, _cols, _rows in tables]
        # Indexes the migrations made with CREATE INDEX (those of UNIQUE constraints have no SQL).
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' * len(names))})", names).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for table, cols, rows in tables:
            columns, marks = ", ".join(cols), ", ".join("?" * len(cols))
            conn.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def _load_postgresql(url: str, head: list[str], tables: list[tuple[str, tuple[str, ...], list[tuple]]]) -> None:
    """COPY with the plain indexes dropped and foreign-key triggers off, then rebuild and analyze.

    The rows are consistent by construction; what is measured later runs with every constraint on."""
    import psycopg

    parts = make_url(url)
    names = [table for table, _cols, _rows in tables]
    connect = {"host": parts.host, "port": parts.port, "user": parts.username, "dbname": parts.database}
    with psycopg.connect(**connect) as conn:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SET session_replication_role = replica")  # no RI triggers while loading
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                (names,))
            indexes = cur.fetchall()
            for name, _sql in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            for table, cols, rows in tables:
                with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            for _name, sql in indexes:
                cur.execute(sql)
            for table in (*head, *names):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
        conn.commit()
        # What autovacuum would have done after a load this size.
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
