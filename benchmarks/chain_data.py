"""A 20-club chain with a million members on PostgreSQL, streamed into COPY (`make bench-chain` builds it).

    python -m benchmarks.chain_data [--workdir DIR | --url URL] [--members 1000000] [--clubs 20]
                                    [--visits 30000000] [--seed N]

* the server: a durable cluster (fsync, synchronous_commit, full_page_writes on: benchmarks/durable_pg.py) in
  WORKDIR (default /var/tmp/clubcrm-bench-chain), run as a non-root user on loopback and kept between runs;
  or any PostgreSQL at --url whose user may set session_replication_role (a superuser);
* the schema: the product's migrations (alembic upgrade head through the app); clubs made by
  clubcrm.services.clubs.create (its default lifecycle tools and rules: lifecycle.defaults.ensure), plans
  (two of them chain-wide), a personal-training service and staff through the ORM;
* the rows, generated member by member from one seeded random stream and written into one COPY per table at
  once (one connection each): members (500-120,000 a club at 1M; phones E.164 unique per club, card codes
  unique in the chain, names in the six languages' styles, one in twelve a lead), memberships in renewal
  chains (`renews_id`), freezes, cancellations, visits over two years (members of a chain-wide plan train
  at other clubs too), personal-training packages with their ledger, the lifecycle's assignments and
  touchpoints (SMS sent with their message, staff tasks done, open or expired, held-out arms), staff contacts.
  Foreign keys are not checked row by row during the load (session_replication_role = replica: the rows are
  built consistent, and tests/test_bench_chain.py runs the product's integrity checks over them); the tables'
  secondary indexes and unique constraints are dropped first and built again afterwards from the definitions
  the migrations gave them (read from the catalog before dropping, compared after); then VACUUM ANALYZE;
* a marker table `bench_chain` holding the parameters, written last: benchmarks/chain.py reuses a database
  whose marker matches and regenerates any other.
"""
import argparse
import io
import json
import os
import random
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from benchmarks.durable_pg import DurableCluster
from clubcrm.services.members import name_keys
from tests.postgres import _free_port

DEFAULT_WORKDIR = "/var/tmp/clubcrm-bench-chain"
DATABASE = "chain"
# The chain's "now": fixed, so that the same seed gives the same rows and the benches the same answers.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HISTORY_DAYS = 760      # joins from this many days back
VISIT_DAYS = 730        # visits over the last two years, up to yesterday
MARKER = "bench_chain"
VERSION = 1             # bump when the rows change: an older marker no longer matches
PASSWORD = "bench-password"
DESK_EMAIL = "desk@bench.club"      # the biggest club's desk (benchmarks.desk_http's default login)
OWNER_EMAIL = "owner@bench.club"

# One club style per language: (locale, country, time zone, currency, phone prefix, digits after it, price factor)
STYLES = [
    ("fi", "FI", "Europe/Helsinki", "EUR", "+35840", 7, 1.0),
    ("de", "DE", "Europe/Berlin", "EUR", "+49151", 8, 1.0),
    ("en", "GB", "Europe/London", "GBP", "+447911", 6, 0.85),
    ("ru", "RU", "Europe/Moscow", "RUB", "+7916", 7, 90.0),
    ("sl", "SI", "Europe/Ljubljana", "EUR", "+38640", 6, 0.9),
    ("sk", "SK", "Europe/Bratislava", "EUR", "+421905", 6, 0.8),
]
CITIES = ["Helsinki", "Berlin", "London", "Moscow", "Ljubljana", "Bratislava", "Tampere", "Munich", "Leeds",
          "Kazan", "Maribor", "Kosice", "Espoo", "Hamburg", "Bristol", "Sochi", "Celje", "Zilina", "Oulu",
          "Cologne"]
NAMES = {
    "fi": (["Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Minna", "Olli", "Saara", "Timo", "Veera",
            "Ilkka", "Noora", "Pekka", "Suvi", "Ville"],
           ["Mäkinen", "Korhonen", "Virtanen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
            "Järvinen", "Lehtonen", "Salminen", "Ojala", "Kallio", "Leinonen"]),
    "de": (["Jonas", "Lena", "Maximilian", "Sophie", "Lukas", "Hannah", "Felix", "Marie", "Jürgen", "Anja",
            "Tobias", "Katrin", "Moritz", "Jana"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer",
            "Koch", "Bauer", "Richter", "Groß", "Hoffmann"]),
    "en": (["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Noah", "Grace", "Charlie",
            "Sophie", "Thomas", "Chloe"],
           ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
            "Wright", "Thompson", "Evans", "Walker", "O'Neill"]),
    "ru": (["Александр", "Анна", "Дмитрий", "Елена", "Иван", "Ольга", "Сергей", "Наталья", "Михаил",
            "Татьяна", "Алексей", "Мария", "Андрей", "Светлана"],
           ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков"]),
    "sl": (["Luka", "Maja", "Nejc", "Eva", "Žiga", "Nina", "Jure", "Ana", "Matej", "Špela", "Rok", "Tjaša"],
           ["Novak", "Horvat", "Kovačič", "Krajnc", "Zupančič", "Potočnik", "Kovač", "Mlakar", "Kos",
            "Vidmar", "Golob", "Turk"]),
    "sk": (["Jakub", "Zuzana", "Martin", "Katarína", "Tomáš", "Lucia", "Peter", "Mária", "Juraj", "Veronika",
            "Michal", "Ľubica"],
           ["Horváth", "Kováč", "Varga", "Tóth", "Nagy", "Baláž", "Szabó", "Molnár", "Lukáč", "Šimko",
            "Kováčová", "Vargová"]),
}
# name, days, visit limit, price (EUR cents), weight, chain-wide
PLANS = [
    ("Month", 30, None, 5900, 34, False),
    ("3 months", 91, None, 15900, 22, False),
    ("Year", 365, None, 54900, 22, False),
    ("10 visits", 60, 10, 9900, 6, False),
    ("Chain month", 30, None, 7900, 10, True),
    ("Chain year", 365, None, 69900, 6, True),
]
# kind: share, visits a week while a member, chance to renew
KINDS = [("regular", 0.56, 2.4, 0.78), ("fader", 0.28, 1.6, 0.45), ("silent", 0.10, 0.8, 0.35),
         ("never", 0.06, 0.05, 0.12)]
OUTCOMES = ("reached", "no_answer", "booked", "renewed", "declined")
SPOKEN = {"reached", "booked", "renewed", "declined"}
# A visit's local time of day: morning, lunch and evening peaks, within 06:00-22:00.
_PEAKS = [(7.0, 1.0, 0.25), (12.0, 1.0, 0.15), (18.0, 1.5, 0.45), (15.0, 3.0, 0.15)]
# Tables loaded by COPY, in the order the rows are written (the ones not listed are left to the ORM).
LOADED = ("member", "membership", "freeze", "visit", "package", "ledger_entry", "assignment", "touchpoint",
          "message", "staff_contact")
COLUMNS = {
    "member": ("id", "club_id", "first_name", "last_name", "name_key", "name_key_rev", "phone", "email",
               "card_code", "birth_date", "locale", "source", "sms_consent", "sms_consent_at",
               "sms_consent_source", "created_at", "created_by_id", "converted_at"),
    "membership": ("id", "club_id", "member_id", "plan_id", "renews_id", "starts_on", "ends_on", "visit_limit",
                   "chain_wide", "price_minor", "currency", "sold_at", "sold_by_id", "cancelled_at",
                   "cancelled_on", "cancel_reason", "cancelled_by_id"),
    "freeze": ("id", "membership_id", "starts_on", "ends_on", "reason", "created_at", "created_by_id"),
    "visit": ("id", "club_id", "member_id", "membership_id", "checked_in_at", "source", "staff_id"),
    "package": ("id", "club_id", "member_id", "service_id", "balance", "expires_on"),
    "ledger_entry": ("id", "package_id", "kind", "units", "reason", "staff_id", "visit_id", "price_minor",
                     "currency", "created_at"),
    "assignment": ("id", "club_id", "member_id", "kind", "membership_id", "tool_key", "tool_id", "held",
                   "share_pct", "first_on", "created_at"),
    "touchpoint": ("id", "club_id", "member_id", "membership_id", "tool_id", "rule_id", "occurrence", "stage",
                   "channel", "status", "skip_reason", "task_kind", "facts", "due_on", "planned_at", "session_id",
                   "outcome", "done_at", "done_by_id"),
    "message": ("id", "club_id", "member_id", "touchpoint_id", "membership_id", "rule_id", "occurrence",
                "idempotency_key", "to_phone", "body", "locale", "encoding", "segments", "status", "skip_reason",
                "due_at", "next_attempt_at", "attempts", "claimed_at", "sent_at", "delivered_at", "twilio_sid",
                "error_code", "error_message", "created_at"),
    "staff_contact": ("id", "club_id", "member_id", "staff_id", "touchpoint_id", "outcome", "note", "created_at"),
}
N = "\\N"


@dataclass
class Params:
    members: int = 1_000_000
    clubs: int = 20
    visits: int = 30_000_000
    seed: int = 20261130

    def as_dict(self) -> dict:
        return {"members": self.members, "clubs": self.clubs, "visits": self.visits, "seed": self.seed,
                "now": NOW.isoformat(), "version": VERSION}


@dataclass
class Load:
    """What a generation did: per-table rows, bytes and seconds, the indexes rebuilt, the size on disk."""
    rows: dict = field(default_factory=dict)
    bytes: dict = field(default_factory=dict)
    send_seconds: dict = field(default_factory=dict)
    # Python time making the rows, by the tables a part of the generator writes (sending to COPY included).
    python_seconds: dict = field(default_factory=lambda: dict.fromkeys(
        ("member", "membership, freeze", "visit", "package, ledger_entry",
         "assignment, touchpoint, message, staff_contact"), 0.0))
    steps: list = field(default_factory=list)        # (what, seconds)
    index_seconds: dict = field(default_factory=dict)
    size_bytes: int = 0
    clubs: list = field(default_factory=list)        # (id, name, members)


# ---------------------------------------------------------------- the server


class BenchCluster(DurableCluster):
    """The durable cluster, in a folder that outlives the run: started again on the data already there."""

    def __init__(self, workdir: str) -> None:
        super().__init__()
        shutil.rmtree(self.root, ignore_errors=True)      # the parent made a temporary folder: use WORKDIR
        self.root = Path(workdir).resolve()
        self.data = self.root / "data"
        self.root.mkdir(parents=True, exist_ok=True)
        if self.user:
            import pwd
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.root.chmod(0o700)
        self.port = _free_port()

    def _run(self, *args: str) -> None:
        if args and args[0] == "initdb" and (self.data / "PG_VERSION").exists():
            return                                          # kept from an earlier run
        if args and args[0] == "pg_ctl" and "-o" in args:
            at = args.index("-o") + 1
            # A million members: room in memory for the benches, and fewer checkpoints while loading (they
            # still fsync). shared_buffers is given again: the last one on the line wins.
            extra = (" -c shared_buffers=1GB -c max_wal_size=2GB -c checkpoint_timeout=30min"
                     " -c maintenance_work_mem=1GB -c work_mem=64MB")
            args = (*args[:at], args[at] + extra, *args[at + 1:])
        super()._run(*args)

    def start(self) -> "BenchCluster":
        if (self.data / "postmaster.pid").exists():
            # Left running by an interrupted run: stop it, so that it starts again on this run's port.
            try:
                DurableCluster._run(self, "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except Exception:   # noqa: BLE001 - a stale pid file of a server that is gone
                pass
        super().start()
        return self

    def stop(self, remove: bool = False) -> None:
        try:
            DurableCluster._run(self, "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            if remove:
                shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.port} user=clubcrm dbname={database}"


def dsn_of(url: str) -> str:
    """A libpq URL from the SQLAlchemy one (postgresql+psycopg:// → postgresql://)."""
    return "postgresql://" + url.split("://", 1)[1]


def sqlalchemy_url(dsn_url: str) -> str:
    return "postgresql+psycopg://" + dsn_url.split("://", 1)[1]


# ---------------------------------------------------------------- the marker


def marker(dsn: str) -> dict | None:
    """The parameters of a complete generation in the database at DSN, or None."""
    try:
        with psycopg.connect(dsn) as conn:
            row = conn.execute(f"SELECT params FROM {MARKER} ORDER BY id DESC LIMIT 1").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


# ---------------------------------------------------------------- the chain (ORM, the product's services)


def club_sizes(total: int, clubs: int) -> list[int]:
    """Members per club: from 500 to 120,000 at a million in 20 clubs (scaled with TOTAL), summing to TOTAL."""
    if clubs == 1:
        return [total]
    lo, hi = 500 / 1_000_000 * total, 120_000 / 1_000_000 * total
    if hi * clubs < total or lo * clubs > total:
        hi = lo = total / clubs
    # sizes lo + (hi - lo) * x**p over x = 0..1: find p whose sum is TOTAL.
    xs = [i / (clubs - 1) for i in range(clubs)]
    low_p, high_p = 0.01, 50.0
    for _ in range(60):
        p = (low_p + high_p) / 2
        if sum(lo + (hi - lo) * x ** p for x in xs) > total:
            low_p = p
        else:
            high_p = p
    sizes = [max(1, round(lo + (hi - lo) * x ** p)) for x in xs]
    sizes[-1] += total - sum(sizes)
    # Interleave, so that club ids do not run from small to big.
    order = sorted(range(clubs), key=lambda i: (i * 7) % clubs)
    return [sizes[i] for i in order]


def make_chain(url: str, params: Params) -> dict:
    """Create the clubs (clubs.create: default tools and rules), plans, services and staff; return their ids."""
    from werkzeug.security import generate_password_hash

    from clubcrm import clock
    from clubcrm.extensions import db
    from clubcrm.models import Plan, Rule, Service, Staff, Tool
    from clubcrm.services import clubs as club_service
    from tests.conftest import make_app

    clock.set_now(NOW - timedelta(days=HISTORY_DAYS + 30))
    app = make_app(url)
    chain = {"clubs": []}
    try:
        with app.app_context():
            password = generate_password_hash(PASSWORD)
            owner = Staff(club_id=None, email=OWNER_EMAIL, name="Olga Owner", role="owner", password_hash=password)
            db.session.add(owner)
            sizes = club_sizes(params.members, params.clubs)
            biggest = max(range(params.clubs), key=lambda i: sizes[i])
            for i in range(params.clubs):
                locale, country, tz, currency, prefix, digits, factor = STYLES[i % len(STYLES)]
                club = club_service.create(None, {"name": f"{CITIES[i % len(CITIES)]} {i + 1}", "timezone": tz,
                                                  "currency": currency, "country": country,
                                                  "default_locale": locale})
                plans = []
                for name, days, limit, price, _weight, chain_wide in PLANS:
                    plan = Plan(club_id=club.id, name=name, duration_days=days, visit_limit=limit,
                                price_minor=int(round(price * factor, -2)), currency=currency,
                                chain_wide=chain_wide)
                    db.session.add(plan)
                    plans.append(plan)
                service = Service(club_id=club.id, name="Personal training", package_units=10,
                                  price_minor=int(round(45000 * factor, -2)), currency=currency, valid_days=180)
                db.session.add(service)
                staff = [Staff(club_id=club.id, email=f"manager{i + 1}@bench.club", name=f"Manager {i + 1}",
                               role="manager", password_hash=password)]
                # The HTTP desk bench's login reads English pages (it checks the check-in's flash), whatever the
                # club's language.
                staff += [Staff(club_id=club.id, email=(DESK_EMAIL if i == biggest and d == 0
                                                        else f"desk{i + 1}-{d + 1}@bench.club"),
                                name=f"Desk {i + 1}.{d + 1}", role="desk", password_hash=password,
                                locale="en" if i == biggest and d == 0 else None)
                          for d in range(3)]
                db.session.add_all(staff)
                db.session.flush()
                tools = {t.key: t.id for t in db.session.scalars(db.select(Tool).where(Tool.club_id == club.id))}
                rules = {r.key: (r.id, r.tool_id, r.channel, r.fallback, r.task_kind)
                         for r in db.session.scalars(db.select(Rule).where(Rule.club_id == club.id))}
                chain["clubs"].append({
                    "id": club.id, "name": club.name, "tz": tz, "currency": currency, "locale": locale,
                    "prefix": prefix, "digits": digits, "size": sizes[i],
                    "plans": [(p.id, p.duration_days, p.visit_limit, p.price_minor, w, p.chain_wide)
                              for p, (_n, _d, _l, _p, w, _c) in zip(plans, PLANS, strict=True)],
                    "service": (service.id, service.price_minor), "staff": [s.id for s in staff],
                    "desk": [s.id for s in staff[1:]], "tools": tools, "rules": rules,
                    "holdout": club.programme_holdout_pct,
                })
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        clock.set_now(None)
    return chain


# ---------------------------------------------------------------- the rows


class Streams:
    """One COPY per table, each on its own connection, all open at once; rows are buffered and sent by MB."""

    def __init__(self, dsn: str, load: Load, stack: ExitStack) -> None:
        self.load = load
        self.buffers = {t: io.StringIO() for t in LOADED}
        self.copies = {}
        for table in LOADED:
            conn = stack.enter_context(psycopg.connect(dsn))
            conn.execute("SET session_replication_role = replica")   # no per-row foreign key triggers
            cursor = stack.enter_context(conn.cursor())
            self.copies[table] = stack.enter_context(
                cursor.copy(f'COPY "{table}" ({", ".join(COLUMNS[table])}) FROM STDIN'))
            load.rows[table] = load.bytes[table] = 0
            load.send_seconds[table] = 0.0

    def flush(self, table: str) -> None:
        data = self.buffers[table].getvalue().encode()
        if not data:
            return
        start = time.perf_counter()
        self.copies[table].write(data)
        self.load.send_seconds[table] += time.perf_counter() - start
        self.load.bytes[table] += len(data)
        self.buffers[table] = io.StringIO()

    def maybe_flush(self) -> None:
        for table, buffer in self.buffers.items():
            if buffer.tell() > 1 << 20:
                self.flush(table)

    def close(self) -> None:
        for table in LOADED:
            self.flush(table)


def _second_of_day(rng: random.Random) -> int:
    r, acc, peak = rng.random(), 0.0, _PEAKS[-1]
    for candidate in _PEAKS:
        acc += candidate[2]
        if r <= acc:
            peak = candidate
            break
    s = int(rng.gauss(peak[0], peak[1]) * 3600)
    return min(max(s, 6 * 3600), 22 * 3600 - 1)


class Generator:
    """Rows of every member of every club, in one seeded stream."""

    def __init__(self, params: Params, chain: dict, streams: Streams, load: Load) -> None:
        self.p, self.chain, self.s, self.load = params, chain, streams, load
        self.rng = random.Random(params.seed)
        self.today = NOW.date()
        self.first_day = self.today - timedelta(days=HISTORY_DAYS)
        self.visit_from = (self.today - timedelta(days=VISIT_DAYS) - self.first_day).days   # day numbers
        self.today_no = HISTORY_DAYS
        self.days = [(self.first_day + timedelta(days=d)).isoformat() for d in range(HISTORY_DAYS + 800)]
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        self.seconds = [_second_of_day(self.rng) for _ in range(4096)]
        for club in chain["clubs"]:
            zone = ZoneInfo(club["tz"])
            club["offsets"] = [int(datetime(*map(int, d.split("-")), 12, tzinfo=zone).utcoffset().total_seconds())
                               for d in self.days]
        self.ids = {t: 0 for t in LOADED}
        self.converted = round(params.members * 11 / 12)
        self.visits_made = 0
        self.fudge = 1.0
        self.visit_need = 0.0            # unscaled expected visits of the members seen so far
        self.members_seen = 0
        self.texts = self._texts()
        self.keys: dict = {}

    def _texts(self) -> dict:
        from clubcrm.lifecycle.texts import DEFAULT_TEXTS
        return {key: {loc: text.replace("{", "(").replace("}", ")")[:300] for loc, text in texts.items()}
                for key, texts in DEFAULT_TEXTS.items()}

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        self.load.rows[table] += 1
        return self.ids[table]

    def at(self, day_no: int, second: int, club: dict) -> str:
        """The instant of local SECOND on day DAY_NO of CLUB, in UTC text."""
        s = second - club["offsets"][day_no]
        if 0 <= s < 86400:
            return f"{self.days[day_no]} {self.hms[s]}+00"
        moment = datetime.fromisoformat(self.days[day_no]).replace(tzinfo=UTC) + timedelta(seconds=s)
        return moment.strftime("%Y-%m-%d %H:%M:%S+00")

    # ---- members

    def run(self) -> None:
        clubs = self.chain["clubs"]
        leads_left = self.p.members - self.converted
        members_left = self.p.members
        for club in clubs:
            out = self.s.buffers
            names = NAMES[club["locale"]]
            others = [c for c in clubs if c is not club] or [club]
            for n in range(club["size"]):
                is_lead = self.rng.random() < leads_left / max(members_left, 1)
                members_left -= 1
                if is_lead:
                    leads_left -= 1
                self.member(club, n, names, others, is_lead, out)
                if n % 256 == 0:
                    self.s.maybe_flush()

    def member(self, club: dict, n: int, names, others, is_lead: bool, out) -> None:
        rng = self.rng
        mid = self.next_id("member")
        first, last = rng.choice(names[0]), rng.choice(names[1])
        if club["locale"] in ("ru", "sk") and rng.random() < 0.5 and last.endswith(("ов", "ев", "ин")):
            last += "а"
        key, rev = self.keys.get((first, last)) or self.keys.setdefault((first, last), name_keys(first, last))
        phone = f"{club['prefix']}{(n * 7919 + 1000) % (10 ** club['digits']):0{club['digits']}d}"
        card = f"C{mid:09d}"
        consent = rng.random() < 0.82
        staff = club["staff"]
        if is_lead:
            created = self.today_no - 1 - int(rng.random() ** 1.5 * 300)
            created_at = self.at(created, _clip(self.seconds[mid & 4095]), club)
            out["member"].write(
                f"{mid}\t{club['id']}\t{first}\t{last}\t{key}\t{rev}\t{phone}\t{N}\t{N}\t{N}\t{club['locale']}\t"
                f"{rng.choice(('web_form', 'walk_in', 'import'))}\t{'t' if consent else 'f'}\t"
                f"{created_at if consent else N}\t{'web_form' if consent else N}\t{created_at}\t{N}\t{N}\n")
            return
        join = int(rng.random() ** 0.85 * (HISTORY_DAYS - 1))
        created = max(0, join - rng.randint(1, 10))
        created_at = self.at(created, _clip(self.seconds[mid & 4095]), club)
        kind = _pick_kind(rng.random())
        sold_by = rng.choice(club["desk"])
        clock = time.perf_counter
        spent = self.load.python_seconds
        t0 = clock()
        memberships = self.memberships(club, mid, join, kind, sold_by, out)
        t1 = clock()
        spent["membership, freeze"] += t1 - t0
        converted_at = memberships[0][5] if memberships else N
        birth = date(rng.randint(1955, 2007), rng.randint(1, 12), rng.randint(1, 28))
        email = f"m{mid}@example.{club['locale']}" if rng.random() < 0.7 else N
        out["member"].write(
            f"{mid}\t{club['id']}\t{first}\t{last}\t{key}\t{rev}\t{phone}\t{email}\t{card}\t{birth.isoformat()}\t"
            f"{club['locale']}\t{rng.choice(('walk_in', 'walk_in', 'web_form', 'import'))}\t"
            f"{'t' if consent else 'f'}\t{created_at if consent else N}\t{'desk' if consent else N}\t{created_at}\t"
            f"{rng.choice(staff)}\t{converted_at}\n")
        t2 = clock()
        self.visits_of(club, mid, kind, memberships, others, out)
        t3 = clock()
        if rng.random() < 0.12 and memberships:
            self.package(club, mid, memberships[0], out)
        t4 = clock()
        self.lifecycle(club, mid, consent, phone, birth, kind, memberships, out)
        t5 = clock()
        spent["member"] += t2 - t1
        spent["visit"] += t3 - t2
        spent["package, ledger_entry"] += t4 - t3
        spent["assignment, touchpoint, message, staff_contact"] += t5 - t4

    # ---- memberships, freezes

    def memberships(self, club: dict, mid: int, start: int, kind: str, sold_by: int, out) -> list[tuple]:
        """Write the member's contracts; return (id, start, end, stop, plan tuple, sold_at, chain_wide, first)."""
        rng = self.rng
        plans = club["plans"]
        weights = [p[4] for p in plans]
        renew_p = next(k[3] for k in KINDS if k[0] == kind)
        made, previous, sold = [], None, start
        plan = rng.choices(plans, weights)[0]
        while sold < self.today_no:
            plan_id, days, limit, price, _w, chain_wide = plan
            msid = self.next_id("membership")
            end = start + days - 1
            freeze = None
            if days >= 91 and rng.random() < 0.12:
                f_start = start + rng.randint(10, days - 20)
                f_len = rng.randint(7, 30)
                freeze = (f_start, f_start + f_len - 1)
                end += f_len
            cancelled = None
            if rng.random() < 0.03 and start + 2 < min(end, self.today_no):
                # Cancelled (moving away): no freeze in it, and the member's chain ends here.
                freeze, end = None, start + days - 1
                cancelled = rng.randint(start + 1, min(end, self.today_no))
            sold_at = self.at(sold, 10 * 3600 + rng.randint(0, 9 * 3600), club)
            c_at = self.at(cancelled, 12 * 3600, club) if cancelled is not None else N
            c_on = self.days[cancelled] if cancelled is not None else N
            out["membership"].write(
                f"{msid}\t{club['id']}\t{mid}\t{plan_id}\t{previous[0] if previous else N}\t{self.days[start]}\t"
                f"{self.days[end]}\t{limit if limit else N}\t{'t' if chain_wide else 'f'}\t{price}\t"
                f"{club['currency']}\t{sold_at}\t{sold_by}\t{c_at}\t{c_on}\t"
                f"{'moving away' if cancelled is not None else N}\t{sold_by if cancelled is not None else N}\n")
            if freeze and freeze[0] < self.today_no:
                fid = self.next_id("freeze")
                out["freeze"].write(f"{fid}\t{msid}\t{self.days[freeze[0]]}\t{self.days[freeze[1]]}\t"
                                    f"{rng.choice(('travel', 'injury', 'illness'))}\t"
                                    f"{self.at(max(freeze[0] - 2, sold), 11 * 3600, club)}\t{sold_by}\n")
            stop = min(end, cancelled - 1 if cancelled is not None else end)
            made.append((msid, start, end, stop, plan, sold_at, chain_wide, previous is None, freeze))
            if cancelled is not None:
                break
            if rng.random() < renew_p:
                # A renewal, sold up to three weeks before the end (never before the start), from the next day.
                sold = max(start, end - rng.randint(0, 21))
                previous, start = made[-1], end + 1
                if rng.random() < 0.15:
                    plan = rng.choices(plans, weights)[0]
            elif rng.random() < 0.3:
                # Back later, on a new contract that renews nothing.
                start = end + rng.randint(40, 220)
                sold, previous = start, None
                plan = rng.choices(plans, weights)[0]
            else:
                break
        return made

    # ---- visits

    def visits_of(self, club: dict, mid: int, kind: str, memberships: list[tuple], others, out) -> None:
        rng = self.rng
        rate = next(k[2] for k in KINDS if k[0] == kind) * (0.5 + rng.random())
        spans = []
        for m in memberships:
            first, last = max(m[1], self.visit_from), min(m[3], self.today_no - 1)
            if last >= first:
                spans.append((m, first, last))
        need = sum((last - first + 1) for _m, first, last in spans) * rate / 7
        self.members_seen += 1
        self.visit_need += need
        # Keep the total on course for VISITS: scale by what the members so far need against their share.
        target = self.p.visits * self.members_seen / self.converted
        if self.visits_made:
            # An integral correction for what the caps (one visit a day, visit packs) take away.
            self.fudge = min(max(self.fudge * (target / self.visits_made) ** 0.02, 0.5), 3.0)
        scale = min(max(target / max(self.visit_need, 1.0) * self.fudge, 0.2), 8.0)
        visit_club = rng.choice(others) if rng.random() < 0.35 else club
        out_v = out["visit"]
        desk = club["desk"]
        for m, first, last in spans:
            days = last - first + 1
            expected = days * rate / 7 * scale
            if kind == "fader":
                expected *= 0.7 if m[7] else 0.5
            count = min(days, int(expected + rng.random()))
            if m[4][2]:
                count = min(count, m[4][2])
            if count <= 0:
                continue
            if kind == "fader" and m[7]:
                # Visits that die away: crowd them to the start.
                chosen = sorted({first + int(rng.random() ** 2.2 * days) for _ in range(count)})
            else:
                chosen = sorted(rng.sample(range(first, last + 1), count))
            msid, chain_wide = m[0], m[6]
            for day in chosen:
                vid = self.ids["visit"] = self.ids["visit"] + 1
                where = visit_club if chain_wide and rng.random() < 0.2 else club
                second = self.seconds[vid & 4095] + (vid % 53)
                s = second - where["offsets"][day]
                when = f"{self.days[day]} {self.hms[s]}+00" if 0 <= s < 86400 else self.at(day, second, where)
                if vid & 3:
                    out_v.write(f"{vid}\t{where['id']}\t{mid}\t{msid}\t{when}\tdesk\t{desk[vid % 3]}\n")
                else:
                    out_v.write(f"{vid}\t{where['id']}\t{mid}\t{msid}\t{when}\tapi\t{N}\n")
            self.visits_made += len(chosen)
        self.load.rows["visit"] = self.visits_made

    # ---- packages and their ledger

    def package(self, club: dict, mid: int, membership: tuple, out) -> None:
        rng = self.rng
        pid = self.next_id("package")
        service_id, price = club["service"]
        bought = min(membership[1] + rng.randint(0, 20), self.today_no - 1)
        used = rng.randint(0, 10)
        expires = bought + 180
        out["package"].write(f"{pid}\t{club['id']}\t{mid}\t{service_id}\t{10 - used}\t{self.days[expires]}\n")
        staff = rng.choice(club["desk"])
        lid = self.next_id("ledger_entry")
        out["ledger_entry"].write(f"{lid}\t{pid}\tgrant\t10\tsale\t{staff}\t{N}\t{price}\t{club['currency']}\t"
                                  f"{self.at(bought, 15 * 3600, club)}\n")
        for k in range(used):
            day = min(bought + 3 + k * rng.randint(3, 12), self.today_no - 1)
            lid = self.next_id("ledger_entry")
            out["ledger_entry"].write(f"{lid}\t{pid}\tredeem\t-1\t{N}\t{staff}\t{N}\t{N}\t{N}\t"
                                      f"{self.at(day, 17 * 3600 + k, club)}\n")

    # ---- the lifecycle's log: assignments, touchpoints, messages, staff contacts

    def lifecycle(self, club: dict, mid: int, consent: bool, phone: str, birth: date, kind: str,
                  memberships: list[tuple], out) -> None:
        rng = self.rng
        rules = club["rules"]
        seen_from = self.today_no - 460
        for m in memberships:
            msid, start, end, stop = m[0], m[1], m[2], m[3]
            if end < seen_from or start > self.today_no:
                continue
            first_seen = max(start, seen_from)
            aid = self.next_id("assignment")
            held = rng.random() * 100 < club["holdout"]
            out["assignment"].write(f"{aid}\t{club['id']}\t{mid}\tmember\t{msid}\tprogramme\t{N}\t"
                                    f"{'t' if held else 'f'}\t{club['holdout']}\t{self.days[first_seen]}\t"
                                    f"{self.at(first_seen, 3600 * 5, club)}\n")
            if held:
                continue
            firings = []        # (rule key, day, stage, occurrence)
            if m[7]:
                firings += [("welcome", start, "adaptation", 0), ("trial_invite", start + 3, "adaptation", 0)]
                if kind in ("never", "fader") and rng.random() < 0.6:
                    firings.append(("no_first_visit", start + 7, "adaptation", 0))
                firings.append(("adaptation_14", start + 14, "adaptation", 0))
            if kind in ("fader", "silent") and stop - start > 40 and rng.random() < 0.7:
                day = rng.randint(start + 30, stop)
                firings.append(("silence_sms", day, "active", 0))
                if rng.random() < 0.5:
                    firings.append(("silence_call", day + 11, "active", 0))
            if end - start > 50:
                firings += [("renewal_45", end - 45, "pre_renewal", 0), ("renewal_14", end - 14, "pre_renewal", 0),
                            ("renewal_call_3", end - 3, "pre_renewal", 0)]
            bday = date(self.first_day.year, birth.month, birth.day)
            for year_shift in range(0, 4):
                b = (date(bday.year + year_shift, bday.month, bday.day) - self.first_day).days
                if start <= b <= stop:
                    firings.append(("birthday", b, "active", bday.year + year_shift))
                    break
            if rng.random() < 0.25:
                firings.append(("keep_in_touch", start + rng.randint(35, 60), "active", 0))
            drawn = {}
            for key, day, stage, occurrence in firings:
                # Nothing due today: the bench's first pass of the day plans it.
                if day < first_seen or day >= self.today_no or day > stop:
                    continue
                rule_id, tool_id, channel, fallback, task_kind = rules[key]
                tool_key = _TOOL_OF[key]
                if tool_key not in drawn:
                    drawn[tool_key] = rng.random() < 0.10
                    aid = self.next_id("assignment")
                    out["assignment"].write(f"{aid}\t{club['id']}\t{mid}\tmember\t{msid}\t{tool_key}\t{tool_id}\t"
                                            f"{'t' if drawn[tool_key] else 'f'}\t10\t{self.days[day]}\t"
                                            f"{self.at(day, 3600 * 5, club)}\n")
                self.touchpoint(club, mid, msid, rule_id, tool_id, key, occurrence, stage, channel, fallback,
                                task_kind, day, drawn[tool_key], consent, phone, out)

    def touchpoint(self, club, mid, msid, rule_id, tool_id, key, occurrence, stage, channel, fallback, task_kind,
                   day, held, consent, phone, out) -> None:
        rng = self.rng
        tid = self.next_id("touchpoint")
        planned_at = self.at(day, 5 * 3600 + (tid % 600), club)
        age = self.today_no - day
        status, skip, outcome, done_at, done_by = "planned", N, N, N, N
        if held:
            status = "held_out"
        elif channel == "sms" and not consent:
            if fallback == "task":
                channel = "task"
            else:
                status, skip = "skipped", "no_consent"
        if status == "planned" and channel == "sms":
            status = "sent"
            self.message(club, mid, msid, rule_id, key, occurrence, tid, day, planned_at, phone, out)
        elif status == "planned" and channel == "task":
            if rng.random() < (0.65 if age > 14 else 0.4):
                status, outcome = "done", rng.choice(OUTCOMES)
                done_day = min(day + rng.randint(0, 3), self.today_no)
                done_at = self.at(done_day, 11 * 3600 + (tid % 28000), club)
                done_by = club["desk"][tid % 3]
                cid = self.next_id("staff_contact")
                out["staff_contact"].write(f"{cid}\t{club['id']}\t{mid}\t{done_by}\t{tid}\t{outcome}\t{N}\t"
                                           f"{done_at}\n")
            elif age > 14:
                status = "expired"
        facts = '{"day": %d}' % min(age, 9999)
        task = task_kind if channel == "task" else N
        out["touchpoint"].write(f"{tid}\t{club['id']}\t{mid}\t{msid}\t{tool_id}\t{rule_id}\t{occurrence}\t{stage}\t"
                                f"{channel}\t{status}\t{skip}\t{task}\t{facts}\t{self.days[day]}\t{planned_at}\t{N}\t"
                                f"{outcome}\t{done_at}\t{done_by}\n")

    def message(self, club, mid, msid, rule_id, key, occurrence, tid, day, planned_at, phone, out) -> None:
        rng = self.rng
        locale = club["locale"]
        body = self.texts.get(key, {}).get(locale) or self.texts.get(key, {}).get("en") or "Hello from the club"
        body = body.replace("\t", " ").replace("\n", " ").replace("\\", "")
        ucs = locale == "ru" or any(ord(ch) > 127 for ch in body)
        segments = 1 + len(body) // (67 if ucs else 153)
        xid = self.next_id("message")
        sent = self.at(day, 10 * 3600 + (xid % 3600), club)
        r = rng.random()
        status, delivered, code, error = "delivered", sent, N, N
        if r < 0.02:
            status, delivered, code, error = "failed", N, "30003", "Unreachable destination handset"
        elif r < 0.04:
            status, delivered = "undelivered", N
        out["message"].write(
            f"{xid}\t{club['id']}\t{mid}\t{tid}\t{msid}\t{rule_id}\t{occurrence}\ttp:{msid}:{rule_id}:{occurrence}\t"
            f"{phone}\t{body}\t{locale}\t{'UCS-2' if ucs else 'GSM-7'}\t{segments}\t{status}\t{N}\t{sent}\t{N}\t1\t"
            f"{sent}\t{sent}\t{delivered}\tSM{xid:032x}\t{code}\t{error}\t{planned_at}\n")


# A rule's tool, by the product's defaults (a few rules share a tool).
def _tool_keys() -> dict:
    from clubcrm.lifecycle.defaults import RULES
    return {r.key: r.tool for r in RULES}


_TOOL_OF: dict = {}


def _pick_kind(r: float) -> str:
    acc = 0.0
    for name, share, _rate, _renew in KINDS:
        acc += share
        if r <= acc:
            return name
    return KINDS[-1][0]


def _clip(second: int) -> int:
    return min(max(second, 0), 86399)


# ---------------------------------------------------------------- indexes


def secondary_indexes(conn) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(table, constraint, definition) of the loaded tables' unique constraints and (table, index, definition)
    of their other non-primary-key indexes, as the migrations made them."""
    tables = list(LOADED)
    constraints = conn.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'u' AND t.relname = ANY(%s) ORDER BY 1, 2",
        (tables,)).fetchall()
    indexes = conn.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
        "AND c.contype IN ('p', 'u')) ORDER BY 1, 2", (tables,)).fetchall()
    return constraints, indexes


def all_indexes(conn) -> set[tuple[str, str]]:
    """(name, definition) of every index of the product's tables (the marker's own left out)."""
    return set(conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                            "AND tablename <> %s", (MARKER,)).fetchall())


# ---------------------------------------------------------------- the whole generation


def generate(dsn: str, params: Params, log=print) -> Load:
    """Fill the (empty) database at DSN with the chain; return what it took."""
    from tests.conftest import migrate_to_head

    load = Load()
    url = sqlalchemy_url(dsn if "://" in dsn else _dsn_url(dsn))
    started = time.perf_counter()

    def step(what: str, since: float) -> float:
        now = time.perf_counter()
        load.steps.append((what, now - since))
        log(f"  {what}: {now - since:.1f} s")
        return now

    t = time.perf_counter()
    migrate_to_head(url)
    t = step("migrations (alembic upgrade head)", t)
    chain = make_chain(url, params)
    load.clubs = [(c["id"], c["name"], c["size"]) for c in chain["clubs"]]
    t = step(f"{params.clubs} clubs (clubs.create: default tools and rules), plans, staff", t)
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = all_indexes(conn)
        constraints, indexes = secondary_indexes(conn)
        for table, name, _definition in constraints:
            conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _table, name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    t = step(f"dropped {len(constraints)} unique constraints and {len(indexes)} indexes of the loaded tables", t)
    _TOOL_OF.update(_tool_keys())
    with ExitStack() as stack:
        streams = Streams(dsn, load, stack)
        generator = Generator(params, chain, streams, load)
        generator.run()
        streams.close()
        t_gen = time.perf_counter()
        log(f"  rows generated and sent: {t_gen - t:.1f} s; finishing the COPYs")
    # Leaving the stack ends each COPY and commits its connection.
    load.rows["visit"] = generator.visits_made
    t = step("rows generated and COPied (all tables at once, one connection each)", t)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")
        for table, name, definition in constraints:
            s = time.perf_counter()
            conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            load.index_seconds[table] = load.index_seconds.get(table, 0.0) + time.perf_counter() - s
        for table, _name, definition in indexes:
            s = time.perf_counter()
            conn.execute(definition)
            load.index_seconds[table] = load.index_seconds.get(table, 0.0) + time.perf_counter() - s
        after = all_indexes(conn)
        if after != before:
            raise RuntimeError(f"indexes differ from the migrations': missing {sorted(before - after)}, "
                               f"extra {sorted(after - before)}")
        t = step(f"rebuilt {len(constraints)} unique constraints and {len(indexes)} indexes "
                 "(identical to the migrations')", t)
        for table in LOADED:
            conn.execute(f"""SELECT setval(pg_get_serial_sequence('"{table}"', 'id'), """
                         f"""(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)""")
        for table in LOADED:
            s = time.perf_counter()
            conn.execute(f'VACUUM (ANALYZE) "{table}"')
            load.index_seconds[f"vacuum {table}"] = time.perf_counter() - s
        t = step("sequences set; VACUUM ANALYZE of the loaded tables", t)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (id serial PRIMARY KEY, params jsonb NOT NULL, "
                     "rows jsonb NOT NULL, seconds real NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        conn.execute(f"INSERT INTO {MARKER} (params, rows, seconds) VALUES (%s, %s, %s)",
                     (json.dumps(params.as_dict()), json.dumps(load.rows), time.perf_counter() - started))
        load.size_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    load.steps.append(("total", time.perf_counter() - started))
    return load


def _dsn_url(dsn: str) -> str:
    parts = dict(item.split("=", 1) for item in dsn.split())
    return f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"


def report(load: Load, params: Params) -> str:
    lines = [f"chain data: {params.clubs} clubs, {params.members:,} members, {load.rows.get('visit', 0):,} visits "
             f"(seed {params.seed}, now {NOW:%Y-%m-%d %H:%M} UTC)",
             f"{'table':<14} {'rows':>12} {'MB sent':>9} {'s blocked in COPY':>18} {'s indexes':>10} {'s vacuum':>9}"]
    for table in LOADED:
        lines.append(f"{table:<14} {load.rows.get(table, 0):>12,} {load.bytes.get(table, 0) / 1e6:>9.0f} "
                     f"{load.send_seconds.get(table, 0.0):>18.1f} {load.index_seconds.get(table, 0.0):>10.1f} "
                     f"{load.index_seconds.get('vacuum ' + table, 0.0):>9.1f}")
    lines.append("Python time making the rows (sending included), by the tables each part writes:")
    lines += [f"  {tables}: {seconds:.1f} s" for tables, seconds in load.python_seconds.items()]
    lines += [f"  {what}: {seconds:.1f} s" for what, seconds in load.steps]
    lines.append(f"database size: {load.size_bytes / 2**30:.2f} GiB")
    lines.append("clubs: " + ", ".join(f"{cid} {name} ({size:,})" for cid, name, size in load.clubs))
    return "\n".join(lines)


def create_database(dsn_admin: str, name: str = DATABASE) -> None:
    with psycopg.connect(dsn_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chain_data", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=DEFAULT_WORKDIR, help="the kept cluster's folder")
    parser.add_argument("--url", help="an empty PostgreSQL database to fill instead (its user a superuser)")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--clubs", type=int, default=20)
    parser.add_argument("--visits", type=int, help="default: 30 per member")
    parser.add_argument("--seed", type=int, default=Params.seed)
    args = parser.parse_args(argv)
    if args.visits is None:
        args.visits = args.members * 30
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    params = Params(args.members, args.clubs, args.visits, args.seed)
    if args.url:
        load = generate(dsn_of(args.url), params)
        print(report(load, params))
        return 0
    cluster = BenchCluster(args.workdir).start()
    try:
        create_database(cluster.dsn("postgres"))
        load = generate(cluster.dsn(), params)
        print(report(load, params))
        print(f"kept in {cluster.root} (remove: rm -rf {cluster.root})")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
