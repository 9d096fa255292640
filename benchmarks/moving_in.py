"""A club moving in from another system: 10,000 memberships and 200,000 visits imported, beside bare executemanys.

Three generated files as a peer system writes them (cp1251, semicolons, Russian headers, dd.mm.yyyy), for MEMBERS
members (card codes K0000001...) of a club in Moscow:
* members: imported once per engine with the members import (untimed), so that the other files find them;
* memberships: two consecutive yearly contracts per member (the second renews the first), on a plan the club has;
* visits: VISITS_PER_MEMBER per member ('dd.mm.yyyy HH:MM', the club's local time), all inside the member's
  contracts and before today (the import refuses a visit in the future).

* memberships: what `clubcrm import memberships FILE --valid-only` runs: read_table + the kind's guessed mapping +
  run(kind="memberships", mode="valid") in one unit_of_work (each row's member found by card code, plan, dates,
  price and overlaps checked, renewals linked, the contracts inserted one by one, members converted), committed;
* visits: the same with kind="visits" (members found, future and repeated visits refused, each visit's valid
  membership found, one bulk insert), committed, onto the memberships the import just wrote;
* baselines: the file decoded as cp1251 and split by csv.reader, member ids by card code from ONE query into a
  dict, dates by datetime.strptime, the rows inserted by ONE bare executemany on a plain connection (memberships:
  the plan's price and currency, no renewal link; visits: the membership found among the member's two contracts by
  a loop in Python), committed.

Samples alternate (memberships, visits, visits baseline, memberships baseline) after the warm-up rounds; what each
wrote is deleted between them (untimed), so every sample inserts into the same state. Every row must be imported,
none refused, and the counts in the database must match, or the run stops.
"""
import csv
import io
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, exists, func, insert, select, update

from benchmarks.apps import app_and_core
from benchmarks.lifecycle import Series, print_ratio_table
from clubcrm.clock import local_today, utcnow
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.kinds import KINDS, guess
from clubcrm.imports.reading import read_table
from clubcrm.imports.run import run as run_import
from clubcrm.models import AuditEvent, Club, LeadCycle, Member, Membership, Plan, Visit

MEMBERS = 5_000
VISITS_PER_MEMBER = 40
# Checking each row (member, plan, dates, overlaps, the valid membership) costs more than a bare insert. Goal:
# within 10x of it, as the members import.
GOAL = 10.0
TIMEZONE = "Europe/Moscow"
ENCODING, DELIMITER = "cp1251", ";"
PLAN, PRICE_MINOR = "Годовой", 590_000
LAST = ["Иванов", "Смирнова", "Кузнецов", "Попова", "Щукин", "Соколова"]
FIRST = ["Иван", "Ольга", "Пётр", "Юлия", "Сергей", "Анна", "Дмитрий", "Елена"]


@dataclass
class Files:
    members: int
    people: bytes
    memberships: bytes
    visits: bytes
    counts: dict = field(default_factory=dict)


def card(i: int) -> str:
    return f"K{i + 1:07d}"


def _encode(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(ENCODING)


def generate(members: int, today: date) -> Files:
    """The three files of MEMBERS members; TODAY is the club's (the real clock's), as the import sees it."""
    people = [["Номер клиента", "Фамилия", "Имя", "Телефон"]]
    contracts = [["Номер клиента", "Фамилия", "Имя", "Абонемент", "Начало", "Окончание", "Цена", "Заморожен до"]]
    visits = [["Карта", "Дата и время"]]
    for i in range(members):
        last, first = LAST[i % len(LAST)] + str(i), FIRST[i % len(FIRST)]
        people.append([card(i), last, first, f"8 (916) {1000000 + i:07d}"])
        # The first year started 420 to 719 days ago; the second starts the day after it ends (a renewal).
        start = today - timedelta(days=720 - i % 300)
        for year in range(2):
            begins = start + timedelta(days=365 * year)
            contracts.append([card(i), last, first, PLAN, f"{begins:%d.%m.%Y}",
                              f"{begins + timedelta(days=364):%d.%m.%Y}", "5 900,00", ""])
        # Every 10 days from the start (at most 396 days in: before today, inside the two years), 07:00-20:59.
        for k in range(VISITS_PER_MEMBER):
            day = start + timedelta(days=10 * k + i % 7)
            visits.append([card(i), f"{day:%d.%m.%Y} {7 + (i + k) % 14:02d}:{(7 * i + k) % 60:02d}"])
    return Files(members, _encode(people), _encode(contracts), _encode(visits),
                 {"members": members, "memberships": len(contracts) - 1, "visits": len(visits) - 1})


@dataclass
class MovingInResult:
    engine: str
    memberships: Series | None = None
    memberships_base: Series | None = None
    visits: Series | None = None
    visits_base: Series | None = None
    checks: list[str] = field(default_factory=list)


def _count(app, model, club_id: int, *where) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(model).where(model.club_id == club_id, *where))
        finally:
            db.session.remove()


def _clear(app, club_id: int, memberships: bool) -> None:
    """Remove what a sample imported (untimed): the visits, and the memberships with the members' conversion and
    their won lead cycles."""
    with app.app_context():
        with unit_of_work():
            db.session.execute(delete(Visit).where(Visit.club_id == club_id))
            if memberships:
                # The members' lead cycles, won by their first imported membership, are open again.
                db.session.execute(update(LeadCycle).where(LeadCycle.club_id == club_id).values(
                    ended_at=None, outcome=None, won_membership_id=None))
                db.session.execute(update(Membership).where(Membership.club_id == club_id).values(renews_id=None))
                db.session.execute(delete(Membership).where(Membership.club_id == club_id))
                db.session.execute(update(Member).where(Member.club_id == club_id).values(converted_at=None))
            db.session.execute(delete(AuditEvent).where(AuditEvent.club_id == club_id,
                                                        AuditEvent.entity != "member"))
        db.session.remove()


def _import(app, club_id: int, data: bytes, kind: str):
    """What `clubcrm import KIND FILE --valid-only` does: read, guess the columns, run in one unit of work."""
    with app.app_context():
        try:
            club = db.session.get(Club, club_id)
            table = read_table(data)
            fields = guess(KINDS[kind], table.headers)
            with unit_of_work():
                return run_import(None, club, table, fields, mode="valid", kind=kind)
        finally:
            db.session.remove()


def _expect(engine: str, kind: str, result, rows: int) -> None:
    if result.refused or result.imported != rows:
        lines = [(r.line, r.field, str(r.message)) for r in result.checked.refusals[:5]]
        raise AssertionError(f"{engine} {kind}: imported {result.imported} of {rows}, refused {result.refused}: "
                             f"{lines}")


def _rows(data: bytes):
    reader = csv.reader(io.StringIO(data.decode(ENCODING), newline=""), delimiter=DELIMITER)
    next(reader)
    return reader


def _member_ids(conn, club_id: int) -> dict[str, int]:
    return dict(conn.execute(select(Member.card_code, Member.id).where(Member.club_id == club_id)).all())


def _baseline_memberships(core, club_id: int, data: bytes) -> int:
    """csv.reader, one query for the members, strptime, one executemany of the contracts at the plan's price."""
    now = datetime.now(UTC)
    with core.begin() as conn:
        ids = _member_ids(conn, club_id)
        plans = {row.name: row for row in conn.execute(
            select(Plan.id, Plan.name, Plan.price_minor, Plan.currency, Plan.visit_limit, Plan.chain_wide)
            .where(Plan.club_id == club_id))}
        rows = []
        for cells in _rows(data):
            plan = plans[cells[3]]
            rows.append({"club_id": club_id, "member_id": ids[cells[0]], "plan_id": plan.id, "renews_id": None,
                         "starts_on": datetime.strptime(cells[4], "%d.%m.%Y").date(),
                         "ends_on": datetime.strptime(cells[5], "%d.%m.%Y").date(),
                         "visit_limit": plan.visit_limit, "chain_wide": plan.chain_wide,
                         "price_minor": plan.price_minor, "currency": plan.currency, "sold_at": now,
                         "imported_at": now})
        conn.execute(insert(Membership.__table__), rows)
        # As the import does: a member is converted on their first contract's first day (midnight in the club's
        # zone, never later than now), and their open lead cycle is won by their first membership.
        first_day = {}
        for row in rows:
            day = row["starts_on"]
            if row["member_id"] not in first_day or day < first_day[row["member_id"]]:
                first_day[row["member_id"]] = day
        zone, member = ZoneInfo(TIMEZONE), Member.__table__
        conn.execute(update(member).where(member.c.id == bindparam("b_id")).values(converted_at=bindparam("b_at")), [
            {"b_id": member_id, "b_at": min(now, datetime(day.year, day.month, day.day, tzinfo=zone))}
            for member_id, day in first_day.items()])
        cycle, contract = LeadCycle.__table__, Membership.__table__
        first = select(func.min(contract.c.id)).where(contract.c.member_id == cycle.c.member_id).scalar_subquery()
        conn.execute(update(cycle).where(cycle.c.club_id == club_id, cycle.c.ended_at.is_(None),
                                         exists().where(contract.c.member_id == cycle.c.member_id))
                     .values(ended_at=now, outcome="won", won_membership_id=first))
    return len(rows)


def _baseline_visits(core, club_id: int, data: bytes) -> int:
    """csv.reader, one query for the members and one for their contracts, strptime in the club's zone, the valid
    contract found by a loop over the member's, one executemany of the visits."""
    zone = ZoneInfo(TIMEZONE)
    with core.begin() as conn:
        ids = _member_ids(conn, club_id)
        contracts = defaultdict(list)
        for membership_id, member_id, starts_on, ends_on in conn.execute(
                select(Membership.id, Membership.member_id, Membership.starts_on, Membership.ends_on)
                .where(Membership.club_id == club_id)):
            contracts[member_id].append((membership_id, starts_on, ends_on))
        rows = []
        for cells in _rows(data):
            member_id = ids[cells[0]]
            local = datetime.strptime(cells[1], "%d.%m.%Y %H:%M")
            day = local.date()
            membership_id = next((m for m, starts_on, ends_on in contracts[member_id] if starts_on <= day <= ends_on),
                                 None)
            rows.append({"club_id": club_id, "member_id": member_id, "membership_id": membership_id,
                         "checked_in_at": local.replace(tzinfo=zone).astimezone(UTC), "source": "import",
                         "staff_id": None})
        conn.execute(insert(Visit.__table__), rows)
    return len(rows)


def _setup(app, engine: str, files: Files) -> int:
    """The club, its plan and its members (imported from the members file); return the club's id."""
    with app.app_context():
        with unit_of_work():
            club = Club(name="Moving in", country="RU", timezone=TIMEZONE, currency="RUB", default_locale="ru")
            db.session.add(club)
            db.session.flush()
            db.session.add(Plan(club_id=club.id, name=PLAN, duration_days=365, price_minor=PRICE_MINOR,
                                currency="RUB"))
        club_id = club.id
        db.session.remove()
    _expect(engine, "members", _import(app, club_id, files.people, "members"), files.members)
    return club_id


def run(engine_name: str, url: str, files: Files, samples: int, warmup: int) -> MovingInResult:
    """Measure the memberships and visits imports on the migrated, empty database at URL."""
    wanted = files.counts
    result = MovingInResult(engine_name)
    with app_and_core(url) as (app, core):
        club_id = _setup(app, engine_name, files)
        times: dict[str, list[float]] = {"memberships": [], "memberships_base": [], "visits": [], "visits_base": []}
        for i in range(warmup + samples):
            took = {}
            start = time.perf_counter()
            done = _import(app, club_id, files.memberships, "memberships")
            took["memberships"] = time.perf_counter() - start
            _expect(engine_name, "memberships", done, wanted["memberships"])
            renewals = _count(app, Membership, club_id, Membership.renews_id.is_not(None))
            if (_count(app, Membership, club_id), renewals) != (wanted["memberships"], wanted["members"]):
                raise AssertionError(f"{engine_name}: {_count(app, Membership, club_id)} memberships, {renewals} "
                                     f"renewals; expected {wanted['memberships']}, {wanted['members']}")

            start = time.perf_counter()
            done = _import(app, club_id, files.visits, "visits")
            took["visits"] = time.perf_counter() - start
            _expect(engine_name, "visits", done, wanted["visits"])
            with_contract = _count(app, Visit, club_id, Visit.membership_id.is_not(None))
            if (_count(app, Visit, club_id), with_contract) != (wanted["visits"], wanted["visits"]):
                raise AssertionError(f"{engine_name}: {_count(app, Visit, club_id)} visits, {with_contract} on a "
                                     f"membership; expected {wanted['visits']} of each")
            _clear(app, club_id, memberships=False)

            start = time.perf_counter()
            inserted = _baseline_visits(core, club_id, files.visits)
            took["visits_base"] = time.perf_counter() - start
            base_with = _count(app, Visit, club_id, Visit.membership_id.is_not(None))
            if (inserted, base_with) != (wanted["visits"], wanted["visits"]):
                raise AssertionError(f"{engine_name}: the visits baseline inserted {inserted}, {base_with} on a "
                                     "membership")
            _clear(app, club_id, memberships=True)

            start = time.perf_counter()
            inserted = _baseline_memberships(core, club_id, files.memberships)
            took["memberships_base"] = time.perf_counter() - start
            if inserted != wanted["memberships"] or _count(app, Membership, club_id) != wanted["memberships"]:
                raise AssertionError(f"{engine_name}: the memberships baseline inserted {inserted}")
            _clear(app, club_id, memberships=True)
            if i >= warmup:
                for key, seconds in took.items():
                    times[key].append(seconds)
        result.memberships = Series("import memberships (cp1251, ';'), commit", times["memberships"])
        result.memberships_base = Series("csv.reader + bare executemany, commit", times["memberships_base"])
        result.visits = Series("import visits (cp1251, ';'), commit", times["visits"])
        result.visits_base = Series("csv.reader + bare executemany, commit", times["visits_base"])
        result.checks = [
            f"{wanted['members']:,} members imported (untimed); every sample imported all {wanted['memberships']:,} "
            f"memberships ({wanted['members']:,} linked as renewals) and all {wanted['visits']:,} visits (each on "
            "its membership), 0 refused; the baselines inserted as many"]
    return result


def measure(args, now: datetime, workdir: str, cluster, phases):
    """Generate the files, then measure them on every engine of the run; return (files, results)."""
    from benchmarks.__main__ import prepare, sizes

    _unused, samples, warmup = sizes(args, "moving_in")
    members = args.moving_in_members or MEMBERS
    with phases(f"moving_in: generate files for {members:,} members"):
        # The real clock, as the import's: its visits must be in the past, its contracts start at most 90 days on.
        files = generate(members, local_today(TIMEZONE))
    print("   " + ", ".join(f"{k}={v:,}" for k, v in files.counts.items()) + f" (today {utcnow():%Y-%m-%d})",
          flush=True)
    results = []
    for engine in args.engines:
        url = prepare(engine, "bench_moving_in", workdir, cluster, phases, lambda url: None)
        with phases(f"{engine}: moving_in: measure ({warmup} warm-up + {samples} samples, interleaved)"):
            results.append(run(engine, url, files, samples, warmup))
    return files, results


def report(args, files: Files, results: list[MovingInResult]) -> int:
    """Print a table per engine and file; return how many ratios miss the goal."""
    from benchmarks.__main__ import sizes

    _unused, samples, warmup = sizes(args, "moving_in")
    c = files.counts
    print()
    print(f"ClubCRM moving-in benchmark: {c['members']:,} members' {c['memberships']:,} memberships "
          f"({len(files.memberships) / 1e6:.1f} MB) and {c['visits']:,} visits ({len(files.visits) / 1e6:.1f} MB); "
          f"{samples} samples after {warmup} warm-up")
    print("Import: read_table + the kind's guessed mapping + run(kind=..., mode='valid') in one unit_of_work "
          "(commit); baseline: csv.reader + one query for the members + strptime + one bare executemany; "
          "interleaved.")
    missed = 0
    for result in results:
        for what, measured, base, rows in (("memberships", result.memberships, result.memberships_base,
                                            c["memberships"]),
                                           ("visits", result.visits, result.visits_base, c["visits"])):
            ratio = measured.median / base.median
            missed += not print_ratio_table(f"{result.engine}, {what}", measured, base, ratio, GOAL, 48)
            print(f"  {rows / measured.median:,.0f} rows/s")
        for check in result.checks:
            print(f"  {check}")
    return missed
