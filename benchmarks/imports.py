"""Importing 50,000 members from a spreadsheet, beside a bare executemany of the same rows after csv parsing.

Two generated files of ROWS members each, 3% of them bad (a phone, a date, an email, a duplicate, a missing name):
* fi: UTF-8 with a BOM, commas, Finnish headers, into a club in Finland;
* ru: cp1251, semicolons, Russian headers (ФИО last name first), into a club in Russia (a Russian Excel's export).

* import: what `clubcrm import members FILE --valid-only` runs: read_table (decode, sniff) + guess_mapping +
  run(mode="valid") in one unit_of_work (every row checked with the members rules, duplicates by IN queries,
  the members, consent events and the audit event inserted, committed);
* dry run: the same without writing (run(dry_run=True), rolled back);
* baseline: the file decoded as its encoding and split by csv.reader with the known delimiter, then the rows the
  import keeps inserted as they are (raw phone text, no checks, no consent rows) by ONE bare executemany on a
  plain connection, committed.

Samples alternate (import, baseline, dry run...) after the warm-up rounds; the members are deleted between them
(untimed), so every sample inserts into the same state.
"""
import csv
import io
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, text

from benchmarks.apps import app_and_core
from benchmarks.lifecycle import Series, print_ratio_table
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.headers import guess_mapping
from clubcrm.imports.reading import read_table
from clubcrm.imports.run import run as run_import
from clubcrm.models import AuditEvent, Club, ConsentEvent, Member

ROWS = 50_000
BAD_SHARE = 0.03
# The import checks every row (phone parsing dominates); a bare insert checks nothing. Goal: within 10x of it, and
# seconds, not minutes, for 50,000 rows.
GOAL = 10.0
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


def _clear(app, club_id: int) -> None:
    """Remove what a sample imported (untimed)."""
    with app.app_context():
        with unit_of_work():
            db.session.execute(delete(ConsentEvent).where(ConsentEvent.club_id == club_id))
            db.session.execute(delete(AuditEvent).where(AuditEvent.club_id == club_id))
            db.session.execute(delete(Member).where(Member.club_id == club_id))
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


def _baseline(core, club_id: int, item: ImportFile, keep: set[int]) -> int:
    """Parse the file with csv and insert the rows the import keeps, raw, by one executemany."""
    reader = csv.reader(io.StringIO(item.data.decode(item.encoding), newline=""), delimiter=item.delimiter)
    next(reader)
    now = datetime.now(UTC)
    rows = []
    for line, row in enumerate(reader, start=2):
        if line not in keep:
            continue
        if item.key == "fi":
            first, last, phone, email, card = row[0], row[1], row[2], row[3], row[4]
        else:
            last, _sep, first = row[0].partition(" ")
            phone, email, card = row[1], row[2], row[3]
        rows.append({"club_id": club_id, "first_name": first, "last_name": last, "name_key": first.lower(),
                     "name_key_rev": last.lower(), "phone": phone, "email": email, "card_code": card,
                     "locale": "en", "source": "import", "sms_consent": False, "created_at": now})
    with core.begin() as conn:
        conn.execute(insert(Member.__table__), rows)
    return len(rows)


def run(engine_name: str, url: str, files: list[ImportFile], samples: int, warmup: int) -> list[ImportResult]:
    """Measure the imports of FILES on the migrated, empty database at URL."""
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
            checked = _import(app, club_id, item.data, dry_run=True).checked
            refused = set(checked.refused_lines)
            if refused != item.bad_lines:
                raise AssertionError(f"{engine_name} {item.key}: the import refused {len(refused)} lines, "
                                     f"{len(item.bad_lines)} were made bad; differing: "
                                     f"{sorted(refused ^ item.bad_lines)[:10]}")
            keep = {line for line, _values in checked.rows}
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
                        Member.club_id == club_id))
                    db.session.remove()
                _clear(app, club_id)
                start = time.perf_counter()
                inserted = _baseline(core, club_id, item, keep)
                took_base = time.perf_counter() - start
                _clear(app, club_id)
                start = time.perf_counter()
                _import(app, club_id, item.data, dry_run=True)
                took_dry = time.perf_counter() - start
                if i >= warmup:
                    imported.append(took)
                    base.append(took_base)
                    dry.append(took_dry)
            result.imported = Series(f"import {item.key} ({item.encoding}, {item.delimiter!r}), commit", imported)
            result.dry_run = Series(f"dry run {item.key} (check only)", dry)
            result.baseline = Series("csv.reader + bare executemany, commit", base)
            result.counts = {"rows": item.rows, "imported": counted, "refused": len(refused), "baseline": inserted,
                             "bytes": len(item.data)}
            results.append(result)
    return results


def measure(args, now: datetime, workdir: str, cluster, phases):
    """Generate the two files, then measure them on every engine of the run; return (files, results)."""
    from benchmarks.__main__ import prepare, sizes

    _unused, samples, warmup = sizes(args, "imports")
    with phases(f"imports: generate 2 files of {ROWS:,} members"):
        files = [generate("fi", ROWS, args.seed), generate("ru", ROWS, args.seed + 1)]
    results = []
    for engine in args.engines:
        url = prepare(engine, "bench_imports", workdir, cluster, phases, lambda url: None)
        with phases(f"{engine}: imports: measure ({warmup} warm-up + {samples} samples per file, interleaved)"):
            results.extend(run(engine, url, files, samples, warmup))
    return files, results


def report(args, files: list[ImportFile], results: list[ImportResult]) -> int:
    """Print a table per engine and file; return how many ratios miss the goal."""
    from benchmarks.__main__ import sizes

    _unused, samples, warmup = sizes(args, "imports")
    print()
    print(f"ClubCRM member import benchmark: {ROWS:,} rows per file, {BAD_SHARE:.0%} bad; {samples} samples after "
          f"{warmup} warm-up")
    print("Import: read_table + guess_mapping + run(mode='valid') in one unit_of_work (commit); dry run: the same, "
          "writing nothing; baseline: csv.reader + one bare executemany of the kept rows, raw; interleaved.")
    missed = 0
    for result in results:
        missed += not print_ratio_table(f"{result.engine}, {result.key}", result.imported, result.baseline,
                                        result.ratio, GOAL, 48)
        print(f"{result.dry_run.label:<48} {result.dry_run.median:9.3f} {result.dry_run.p95:8.3f} "
              f"{result.dry_run.median / result.baseline.median:5.2f}x")
        c = result.counts
        print(f"  {c['rows']:,} rows ({c['bytes'] / 1e6:.1f} MB): {c['imported']:,} imported, {c['refused']:,} "
              f"refused (exactly the lines made bad); the baseline inserted {c['baseline']:,}; "
              f"{c['rows'] / result.imported.median:,.0f} rows/s")
    return missed
