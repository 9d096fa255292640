"""Importing members: duplicates against the club and within the file, the modes, the CLI and atomicity.

The acceptance: a 10,000-row file with 3% bad rows in --dry-run changes nothing and reports exactly the bad
lines; all or nothing imports none of it; --valid-only imports exactly the good rows; a failure in the middle
leaves nothing; a cp1251 semicolon file from a Russian Excel imports correctly."""
import csv
import io
import random

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.imports.headers import guess_mapping
from clubcrm.imports.reading import read_table
from clubcrm.imports.run import run
from clubcrm.models import AuditEvent, ConsentEvent, Member

HEADER = ["Etunimi", "Sukunimi", "Puhelin", "Sähköposti", "Kortti", "Syntymäaika", "Tekstiviestilupa"]


def good_row(i: int) -> list[str]:
    return [f"Person{i}", f"Family{i}", f"040 {3000000 + i:07d}", f"person{i}@example.fi", f"IMP{i:06d}",
            f"{1 + i % 28}.{1 + i % 12}.{1960 + i % 40}", "kyllä" if i % 3 == 0 else "ei"]


def bad_row(i: int, kind: int, first_line_of: dict) -> list[str]:
    """A row with one problem of KIND; a duplicate repeats a value of an earlier good row."""
    row = good_row(i)
    if kind == 0:
        row[2] = "12345"                      # not a phone number
    elif kind == 1:
        row[5] = "31.02.1990"                 # no such day
    elif kind == 2:
        row[3] = "person at example.fi"       # not an email
    elif kind == 3:
        row[0], row[1] = "", ""               # no name
    elif kind == 4:
        row[2] = good_row(first_line_of["good"])[2]   # the same phone as an earlier line
    elif kind == 5:
        row[4] = "EXISTING1"                  # a card the club's member already has
    else:
        row[6] = "maybe"                      # not a yes or a no
    return row


def generate(rows: int, bad_share: float = 0.03, seed: int = 6) -> tuple[bytes, set[int], int]:
    """A semicolon UTF-8 file of ROWS members, BAD_SHARE of them bad; return (bytes, bad lines, good count)."""
    rnd = random.Random(seed)
    bad_indexes = set(rnd.sample(range(1, rows), int(rows * bad_share)))   # row 0 stays good
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    bad_lines = set()
    for i in range(rows):
        line = i + 2
        if i in bad_indexes:
            writer.writerow(bad_row(i, i % 7, {"good": 0}))
            bad_lines.add(line)
        else:
            writer.writerow(good_row(i))
    return out.getvalue().encode("utf-8"), bad_lines, rows - len(bad_lines)


def table_counts() -> dict[str, int]:
    db.session.commit()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def imported() -> list[Member]:
    db.session.commit()
    return list(db.session.scalars(select(Member).where(Member.source == "import").order_by(Member.id)))


def test_ten_thousand_rows_dry_run_all_or_nothing_and_valid_only(runner, make, tmp_path):
    make.member(card_code="EXISTING1")
    data, bad_lines, good = generate(10_000)
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    report = tmp_path / "report.csv"
    before = table_counts()

    result = runner.invoke(args=["import", "members", str(path), "--dry-run", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert table_counts() == before
    reported = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert {int(r["Line"]) for r in reported} == bad_lines
    assert f"Dry run: {good} rows would be imported, {len(bad_lines)} refused" in result.output
    assert "see --report" not in result.output and "more problems" in result.output
    by_line = {int(r["Line"]): r for r in reported}
    card_line = min(line for line in bad_lines if (line - 2) % 7 == 5)
    assert by_line[card_line]["Column"] == "Kortti"
    assert by_line[card_line]["Problem"].startswith("Member ") and "card code" in by_line[card_line]["Problem"]
    phone_line = min(line for line in bad_lines if (line - 2) % 7 == 4)
    assert by_line[phone_line]["Problem"] == "The same phone number is on line 2."

    result = runner.invoke(args=["import", "members", str(path)])
    assert result.exit_code == 1
    assert "Nothing imported" in result.output
    assert table_counts() == before

    result = runner.invoke(args=["import", "members", str(path), "--valid-only"])
    assert result.exit_code == 0, result.output
    rows = imported()
    assert len(rows) == good
    good_lines = [i + 2 for i in range(10_000) if i + 2 not in bad_lines]
    assert sorted(m.card_code for m in rows) == [f"IMP{line - 2:06d}" for line in good_lines]
    consents = sum(1 for line in good_lines if (line - 2) % 3 == 0)
    assert sum(m.sms_consent for m in rows) == consents
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent).where(
        ConsentEvent.source == "import", ConsentEvent.granted.is_(True))) == consents
    after = table_counts()
    assert after["member"] == before["member"] + good
    assert after["audit_event"] == before["audit_event"] + 1   # one event for the whole import
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert event.after["imported"] == good and event.after["consents"] == consents


def test_a_cp1251_semicolon_file_from_a_russian_excel_imports(runner, make, tmp_path):
    club = make.club(name="Москва", country="RU", timezone="Europe/Moscow", default_locale="ru")
    text_ = ("ФИО;Телефон;Эл. почта;Дата рождения;Номер карты;Согласие на СМС;Примечание\r\n"
             "Иванов Иван Иванович;8 (916) 123-45-67;Ivan@Mail.ru;01.02.1990;к-001;да;Любит йогу\r\n"
             "Щукина Юлия;+7 916 765 43 21;;1985-12-31;К-002;нет;\r\n")
    path = tmp_path / "excel.csv"
    path.write_bytes(text_.encode("cp1251"))
    result = runner.invoke(args=["import", "members", str(path), "--club", str(club.id)])
    assert result.exit_code == 0, result.output
    assert "cp1251, semicolon-separated, 2 rows" in result.output
    ivan, yulia = imported()
    assert (ivan.first_name, ivan.last_name, ivan.phone, ivan.email) == (
        "Иван Иванович", "Иванов", "+79161234567", "ivan@mail.ru")
    assert (ivan.card_code, ivan.birth_date.isoformat(), ivan.locale, ivan.notes) == (
        "К-001", "1990-02-01", "ru", "Любит йогу")
    assert ivan.sms_consent and ivan.sms_consent_source == "import" and ivan.sms_consent_at is not None
    assert ivan.name_key == "иван иванович иванов" and ivan.name_key_rev == "иванов иван иванович"
    assert (yulia.first_name, yulia.last_name, yulia.sms_consent) == ("Юлия", "Щукина", False)


def test_club_is_needed_when_several_exist(runner, make, tmp_path):
    make.club()
    make.club()
    path = tmp_path / "m.csv"
    path.write_bytes(b"Name;Phone\nAnna Virtanen;040 1234567\n")
    result = runner.invoke(args=["import", "members", str(path)])
    assert result.exit_code == 2 and "several clubs exist" in result.output
    result = runner.invoke(args=["import", "members", str(path), "--club", "99999"])
    assert result.exit_code == 2 and "no club with id 99999" in result.output


def test_duplicates_against_the_club_and_within_the_file(make, ctx):
    club = make.default_club
    existing = make.member(phone="+358401111111", card_code="OLD-1", email="old@example.fi")
    data = ("Name;Phone;Email;Card\n"
            "A One;040 111 1111;;\n"                 # the existing member's phone
            "B Two;;OLD@example.fi;\n"               # their email, in other case
            "C Three;;;old-1\n"                      # their card, in other case
            "D Four;040 222 2222;d@example.fi;N-1\n"
            "E Five;+358 40 2222222;;\n"             # D's phone in another format
            "F Six;;D@EXAMPLE.FI;\n"                 # D's email
            "G Seven;;;n-1\n"                        # D's card
            "H Eight;040 333 3333;;N-2\n")
    table = read_table(data.encode())
    with unit_of_work():
        result = run(None, club, table, guess_mapping(table.headers), mode="valid")
    found = {(r.line, r.field): str(r.message) for r in result.checked.refusals}
    assert found == {
        # Issue 16: the member is named, not only numbered ("Member 325").
        (2, "phone"): f"{existing.full_name} (member {existing.id}) already has this phone number.",
        (3, "email"): f"{existing.full_name} (member {existing.id}) already has this email address.",
        (4, "card_code"): f"{existing.full_name} (member {existing.id}) already has this card code.",
        (6, "phone"): "The same phone number is on line 5.",
        (7, "email"): "The same email address is on line 5.",
        (8, "card_code"): "The same card code is on line 5.",
    }
    assert [m.full_name for m in imported()] == ["D Four", "H Eight"]


def test_dry_run_through_the_service_writes_nothing_and_all_or_nothing_refuses(make, ctx):
    club = make.default_club
    table = read_table("Name;Phone\nAnna Virtanen;040 1234567\nBen;not a phone\n".encode())
    before = table_counts()
    result = run(None, club, table, guess_mapping(table.headers), dry_run=True)
    db.session.rollback()
    assert (len(result.checked.rows), result.refused, result.imported) == (1, 1, 0)
    with unit_of_work():
        result = run(None, club, table, guess_mapping(table.headers))
    assert result.imported == 0
    assert table_counts() == before


def test_a_failure_in_the_middle_leaves_nothing(make, ctx):
    """A member inserted by someone else after the first chunk was checked: its phone now clashes on insert."""
    club = make.default_club
    data, _bad, _good = generate(1500, bad_share=0)
    table = read_table(data)
    before = table_counts()
    club_id = club.id

    def concurrent_insert(done: int) -> None:
        if done == 1000:
            with db.engine.begin() as other:   # its own connection, committed at once
                other.execute(text(
                    "INSERT INTO member (club_id, first_name, last_name, name_key, name_key_rev, phone, locale,"
                    " source, sms_consent, created_at) VALUES (:club, 'Other', 'Desk', 'other desk', 'desk other',"
                    " '+358403000500', 'en', 'walk_in', :no, CURRENT_TIMESTAMP)"), {"club": club_id, "no": False})

    with pytest.raises(IntegrityError), unit_of_work():
        run(None, club, table, guess_mapping(table.headers), mode="valid", progress=concurrent_insert)
    after = table_counts()
    assert after == {**before, "member": before["member"] + 1}   # only the concurrent one
    assert imported() == []
