"""Importing 50,000 members from a spreadsheet into a club that already has --members members (100,000 by default),
beside a plain-Python baseline that checks the rows itself and inserts them.

Two generated files of ROWS members each, 3% of them bad (a phone, a date, an email, a duplicate, a missing name):
* fi: UTF-8 with a BOM, commas, Finnish headers, into a club in Finland;
* ru: cp1251, semicolons, Russian headers (ФИО last name first), into a club in Russia (a Russian Excel's export).

* import: what `clubcrm import members FILE --valid-only` runs: read_table (decode, sniff) + guess_mapping +
  run(mode="valid") in one unit_of_work (every row checked with the members rules, duplicates by IN queries,
  the members, consent events and the audit event inserted, committed);
* dry run: the same without writing (run(dry_run=True), rolled back);
* baseline: the file decoded as its encoding and split by csv.reader with the known delimiter, then every row
  checked by hand-written code (no ClubCRM code): a name, the phone parsed to E.164 with phonenumbers (the
  library ClubCRM uses), the email's shape, the birth date in either format, duplicates of phone, email and card
  code within the file and against the club's members (one IN query per field, in chunks), then the members
  (normalised phone, name keys, birth date, consent) and their consent rows inserted by executemany on a plain
  connection, committed. Its kept lines must equal the import's (checked once, before the samples): the
  baseline is never handed the import's list of valid rows (as it was before issue 15).

Each club is filled with the existing members first (untimed, phones, emails and cards unlike the files'), so the
duplicate checks run against a club of realistic size. Samples alternate (import, baseline, dry run...) after the
warm-up rounds; the imported members are deleted between them (untimed), so every sample inserts into the same
state.
"""
import csv
import io
import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import phonenumbers
from sqlalchemy import delete, func, insert, select, text

from benchmarks.apps import app_and_core
from benchmarks.lifecycle import Series, print_ratio_table
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.headers import guess_mapping
from clubcrm.imports.reading import read_table
from clubcrm.imports.run import run as run_import
from clubcrm.models import AuditEvent, Club, ConsentEvent, LeadCycle, Member

EXISTING = 100_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
YES = {"kyllä", "да", "yes", "1", "true", "x"}

ROWS = 50_000
BAD_SHARE = 0.03
# The baseline checks every row as the import does (phone parsing dominates both) and inserts the members and their
# consent rows: the import's bookkeeping (the audit event, its report) may cost it up to twice as much.
GOAL = 2.0
FIRST = {"fi": ["Aino", "Päivi", "Jussi", "Mikko", "Sanna", "Eero", "Kaisa", "Jyrki"],
         "ru": ["Иван", "Ольга", "Пётр", "Юлия", "Сергей", "Анна", "Дмитрий", "Елена"]}
LAST = {"fi": ["Mäkinen", "Virtanen", "Hämäläinen", "Korhonen", "Nieminen", "Järvinen"],
        "ru": ["Иванов", "Смирнова", "Кузнецов", "Попова", "Щукин", "Соколова"]}
HEADERS = {"fi": ["Etunimi", "Sukunimi", "Puhelin", "Sähköposti", "Jäsenkortti", "Syntymäaika", "Tekstiviestilupa"],
           "ru": ["ФИО", "Телефон", "Эл. почта", "Номер карты", "Дата рождения", "Согласие на СМС"]}


@dataclass
class ImportFile:
    key: str
    country: str
    data: bytes
    encoding: str
    delimiter: str
    rows: int
    bad_lines: set[int]


def generate(key: str, rows: int, seed: int) -> ImportFile:
    """ROWS members as a Finnish (key fi) or Russian (ru) Excel would save them, BAD_SHARE of them bad."""
    rnd = random.Random(seed)
    bad = set(rnd.sample(range(1, rows), int(rows * BAD_SHARE)))
    out = io.StringIO()
    delimiter = "," if key == "fi" else ";"
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS[key])
    for i in range(rows):
        first, last = rnd.choice(FIRST[key]), rnd.choice(LAST[key]) + str(i)
        phone = f"040 {3000000 + i:07d}" if key == "fi" else f"8 (916) {1000000 + i:07d}"
        email, card = f"m{i}@example.{key}", f"K{i:07d}"
        born = rnd.choice([f"{1 + i % 28}.{1 + i % 12}.{1950 + i % 50}",
                           f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"])
        consent = rnd.choice(["kyllä", "ei"] if key == "fi" else ["да", "нет"])
        if i in bad:
            kind = i % 5
            if kind == 0:
                phone = "12345"
            elif kind == 1:
                born = "31.02.1990"
            elif kind == 2:
                email = "not an email"
            elif kind == 3:
                first = last = ""
            else:
                phone = f"040 {3000000:07d}" if key == "fi" else f"8 (916) {1000000:07d}"   # line 2's phone
        if key == "fi":
            writer.writerow([first, last, phone, email, card, born, consent])
        else:
            writer.writerow([f"{last} {first}".strip(), phone, email, card, born, consent])
    encoding = "utf-8-sig" if key == "fi" else "cp1251"
    return ImportFile(key, "FI" if key == "fi" else "RU", out.getvalue().encode(encoding), encoding, delimiter,
                      rows, {i + 2 for i in bad})


@dataclass
class ImportResult:
    engine: str
    key: str
    imported: Series | None = None
    dry_run: Series | None = None
    baseline: Series | None = None
    counts: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.imported.median / self.baseline.median


def _clear(app, club_id: int, above: int) -> None:
    """Remove what a sample imported (the members with ids above ABOVE, the club's existing ones stay; untimed)."""
    with app.app_context():
        with unit_of_work():
            db.session.execute(delete(ConsentEvent).where(ConsentEvent.club_id == club_id))
            db.session.execute(delete(AuditEvent).where(AuditEvent.club_id == club_id))
            db.session.execute(delete(LeadCycle).where(LeadCycle.club_id == club_id, LeadCycle.member_id > above))
            db.session.execute(delete(Member).where(Member.club_id == club_id, Member.id > above))
        db.session.remove()


def _import(app, club_id: int, data: bytes, dry_run: bool):
    with app.app_context():
        try:
            club = db.session.get(Club, club_id)
            table = read_table(data)
            fields = guess_mapping(table.headers)
            if dry_run:
                result = run_import(None, club, table, fields, mode="valid", dry_run=True)
                db.session.rollback()
            else:
                with unit_of_work():
                    result = run_import(None, club, table, fields, mode="valid")
            return result
        finally:
            db.session.remove()


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", " ".join(value.split()).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _born(value: str) -> date | None:
    """A birth date as "31.12.1990" or "1990-12-31"; None when it is no date."""
    try:
        if "." in value:
            day, month, year = (int(part) for part in value.split("."))
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        return None


def _taken(conn, club_id: int, column: str, values: list[str]) -> set[str]:
    """Which of VALUES some member of the club (for a card code: of any club) already has in COLUMN (IN queries
    of 1,000)."""
    found: set[str] = set()
    table = Member.__table__
    compared = func.lower(table.c[column]) if column == "email" else table.c[column]
    scope = [] if column == "card_code" else [table.c.club_id == club_id]
    for start in range(0, len(values), 1000):
        found.update(conn.scalars(select(compared).where(*scope, compared.in_(values[start:start + 1000]))))
    return found


def _baseline(core, club_id: int, item: ImportFile) -> set[int]:
    """Parse the file with csv, check every row by hand, insert the members that pass, their consent rows and their
    open lead cycles; return the lines kept."""
    reader = csv.reader(io.StringIO(item.data.decode(item.encoding), newline=""), delimiter=item.delimiter)
    next(reader)
    now = datetime.now(UTC)
    rows: list[tuple[int, dict, bool]] = []
    for line, row in enumerate(reader, start=2):
        if item.key == "fi":
            first, last, phone, email, card, born, consent = row[:7]
        else:
            last, _sep, first = row[0].strip().partition(" ")
            phone, email, card, born, consent = row[1:6]
        first, last, email, card = first.strip(), last.strip(), email.strip().lower(), card.strip().upper()
        if not (first or last) or (email and not EMAIL.match(email)):
            continue
        birth = _born(born.strip()) if born.strip() else None
        if born.strip() and birth is None:
            continue
        try:
            number = phonenumbers.parse(phone, item.country)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        first_key, last_key = _fold(first), _fold(last)
        rows.append((line, {"club_id": club_id, "first_name": first, "last_name": last,
                            "name_key": f"{first_key} {last_key}".strip(),
                            "name_key_rev": f"{last_key} {first_key}".strip(), "phone": e164,
                            "email": email or None, "card_code": card or None, "birth_date": birth,
                            "locale": item.key, "source": "import", "sms_consent": consent.strip().lower() in YES,
                            "created_at": now}, consent.strip().lower() in YES))
    kept = []
    with core.begin() as conn:
        taken = {column: _taken(conn, club_id, column, [r[column] for _l, r, _c in rows if r[column]])
                 for column in ("phone", "email", "card_code")}
        seen: dict[str, set[str]] = {column: set() for column in taken}
        for line, member, consent in rows:
            values = {column: member[column] for column in taken if member[column]}
            if any(v in taken[c] or v in seen[c] for c, v in values.items()):
                continue
            for column, value in values.items():
                seen[column].add(value)
            member["sms_consent_at"] = now if consent else None
            member["sms_consent_source"] = "import" if consent else None
            kept.append((line, member))
        table = Member.__table__
        conn.execute(insert(table), [member for _line, member in kept])
        # The new members' ids by their phones (unique in the club), read back in one query: an INSERT .. RETURNING
        # of thousands of rows costs psycopg more to build than the rows cost to write.
        id_of = dict(conn.execute(select(table.c.phone, table.c.id).where(table.c.club_id == club_id,
                                                                           table.c.created_at == now)).all())
        conn.execute(insert(ConsentEvent.__table__), [
            {"club_id": club_id, "member_id": id_of[member["phone"]], "kind": "sms", "granted": True,
             "source": "import", "created_at": now}
            for _line, member in kept if member["sms_consent"]])
        # Each imported person is a lead: their lead cycle opens now (issue 17), as the import writes it.
        conn.execute(insert(LeadCycle.__table__), [
            {"club_id": club_id, "member_id": id_of[member["phone"]], "started_at": now, "source": "import"}
            for _line, member in kept])
    return {line for line, _member in kept}


def _fill(core, club_id: int, key: str, count: int) -> int:
    """COUNT members already in the club (phones, emails and cards unlike the files'); return the highest id."""
    now = datetime.now(UTC)
    prefix = "+35850" if key == "fi" else "+7926"
    with core.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(insert(Member.__table__), [
                {"club_id": club_id, "first_name": "Old", "last_name": f"Member{n}", "name_key": f"old member{n}",
                 "name_key_rev": f"member{n} old", "phone": f"{prefix}{n:07d}", "email": f"e{n}@existing.{key}",
                 "card_code": f"E{key.upper()}{n:07d}", "locale": key, "source": "walk_in", "sms_consent": False,
                 "created_at": now}
                for n in range(start, min(count, start + 10_000))])
        highest = conn.scalar(select(func.max(Member.__table__.c.id)).where(Member.__table__.c.club_id == club_id))
    if core.dialect.name == "postgresql":
        # What autovacuum does for a club that has these members: without statistics of the second club's rows
        # the planner read every member of the club for each IN list (0.26 s a query, both sides alike).
        with core.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE member"))
    return highest or 0


def run(engine_name: str, url: str, files: list[ImportFile], samples: int, warmup: int,
        existing: int = EXISTING) -> list[ImportResult]:
    """Measure the imports of FILES on the migrated, empty database at URL, each into a club of EXISTING members."""
    results = []
    with app_and_core(url) as (app, core):
        for item in files:
            with app.app_context():
                with unit_of_work():
                    club = Club(name=f"Import {item.key}", country=item.country, timezone="Europe/Helsinki",
                                default_locale=item.key)
                    db.session.add(club)
                club_id = club.id
                db.session.remove()
            above = _fill(core, club_id, item.key, existing)
            checked = _import(app, club_id, item.data, dry_run=True).checked
            refused = set(checked.refused_lines)
            if refused != item.bad_lines:
                raise AssertionError(f"{engine_name} {item.key}: the import refused {len(refused)} lines, "
                                     f"{len(item.bad_lines)} were made bad; differing: "
                                     f"{sorted(refused ^ item.bad_lines)[:10]}")
            keep = {line for line, _values in checked.rows}
            # The baseline decides for itself which lines to keep: it must keep the same ones.
            by_hand = _baseline(core, club_id, item)
            _clear(app, club_id, above)
            if by_hand != keep:
                raise AssertionError(f"{engine_name} {item.key}: the baseline kept {len(by_hand)} lines, the import "
                                     f"{len(keep)}; differing: {sorted(by_hand ^ keep)[:10]}")
            result = ImportResult(engine_name, item.key)
            imported, dry, base = [], [], []
            for i in range(warmup + samples):
                start = time.perf_counter()
                done = _import(app, club_id, item.data, dry_run=False)
                took = time.perf_counter() - start
                if done.imported != len(keep):
                    raise AssertionError(f"{engine_name} {item.key}: imported {done.imported}, expected {len(keep)}")
                with app.app_context():
                    counted = db.session.scalar(select(text("count(*)")).select_from(Member.__table__).where(
                        Member.club_id == club_id, Member.id > above))
                    db.session.remove()
                _clear(app, club_id, above)
                start = time.perf_counter()
                inserted = len(_baseline(core, club_id, item))
                took_base = time.perf_counter() - start
                _clear(app, club_id, above)
                start = time.perf_counter()
                _import(app, club_id, item.data, dry_run=True)
                took_dry = time.perf_counter() - start
                if i >= warmup:
                    imported.append(took)
                    base.append(took_base)
                    dry.append(took_dry)
            result.imported = Series(f"import {item.key} ({item.encoding}, {item.delimiter!r}), commit", imported)
            result.dry_run = Series(f"dry run {item.key} (check only)", dry)
            result.baseline = Series("csv + checks by hand + executemany, commit", base)
            result.counts = {"existing": existing, "rows": item.rows, "imported": counted, "refused": len(refused),
                             "baseline": inserted,
                             "bytes": len(item.data)}
            results.append(result)
    return results


def measure(args, now: datetime, workdir: str, cluster, phases):
    """Generate the two files, then measure them on every engine of the run; return (files, results)."""
    from benchmarks.__main__ import prepare, sizes

    _unused, samples, warmup = sizes(args, "imports")
    rows = getattr(args, "import_rows", ROWS)
    with phases(f"imports: generate 2 files of {rows:,} members"):
        files = [generate("fi", rows, args.seed), generate("ru", rows, args.seed + 1)]
    results = []
    for engine in args.engines:
        url = prepare(engine, "bench_imports", workdir, cluster, phases, lambda url: None)
        with phases(f"{engine}: imports: measure ({warmup} warm-up + {samples} samples per file into a club of "
                    f"{args.members:,} members, interleaved)"):
            results.extend(run(engine, url, files, samples, warmup, args.members))
    return files, results


def report(args, files: list[ImportFile], results: list[ImportResult]) -> int:
    """Print a table per engine and file; return how many ratios miss the goal."""
    from benchmarks.__main__ import sizes

    _unused, samples, warmup = sizes(args, "imports")
    print()
    print(f"ClubCRM member import benchmark: {files[0].rows:,} rows per file, {BAD_SHARE:.0%} bad, into a club of "
          f"{args.members:,} members; {samples} samples after {warmup} warm-up")
    print("Import: read_table + guess_mapping + run(mode='valid') in one unit_of_work (commit); dry run: the same, "
          "writing nothing; baseline: csv.reader, every row checked by hand (phonenumbers, dates, emails, duplicates "
          "in the file and in the club by IN queries), executemany of the members and consent rows; interleaved.")
    missed = 0
    for result in results:
        missed += not print_ratio_table(f"{result.engine}, {result.key}", result.imported, result.baseline,
                                        result.ratio, GOAL, 48)
        print(f"{result.dry_run.label:<48} {result.dry_run.median:9.3f} {result.dry_run.p95:8.3f} "
              f"{result.dry_run.median / result.baseline.median:5.2f}x")
        c = result.counts
        print(f"  {c['rows']:,} rows ({c['bytes'] / 1e6:.1f} MB): {c['imported']:,} imported, {c['refused']:,} "
              f"refused (exactly the lines made bad); the baseline, checking by itself, kept and inserted "
              f"{c['baseline']:,}; "
              f"{c['rows'] / result.imported.median:,.0f} rows/s")
    return missed
