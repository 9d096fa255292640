"""The one CSV writer: formulas defused (OWASP), numbers bare, BOM, RFC 4180 quoting, instants in a named zone,
lines made one at a time. `safe_rows` reads any download and checks it the way a spreadsheet would see it."""
import itertools
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from clubcrm import csv_writer
from clubcrm.csv_writer import Column

PAYLOADS = ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(1)")
_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,"\r\n]*)')
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Written independently of the writer's rule: what a spreadsheet would run (also behind spaces).
_RUNS = re.compile(r"^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n\x00]")


def safe_rows(text: str) -> list[list[str]]:
    """Parse TEXT (a download, BOM first) strictly as RFC 4180 with CRLF, asserting that no text cell would run
    as a formula and that every unquoted cell is empty or a plain number; return the cells."""
    assert text.startswith("\ufeff"), "no BOM"
    rows: list[list[str]] = []
    row: list[str] = []
    pos = 1
    while pos < len(text):
        match = _FIELD.match(text, pos)
        if match.group(1) is not None:
            value = match.group(1).replace('""', '"')
            assert not _RUNS.match(value), f"a text cell a spreadsheet would run: {value!r}"
        else:
            value = match.group(2)
            assert value == "" or _NUMBER.fullmatch(value), f"an unquoted cell that is not a number: {value!r}"
        row.append(value)
        pos = match.end()
        if text.startswith(",", pos):
            pos += 1
        elif text.startswith("\r\n", pos):
            rows.append(row)
            row, pos = [], pos + 2
        else:
            raise AssertionError(f"not CSV at {pos}: {text[pos:pos + 20]!r}")
    assert not row, "the last line has no CRLF"
    return rows


def test_formula_like_text_is_defused_and_numbers_stay_numbers():
    rows = [[*PAYLOADS, "phone", "+358401234567", "-5"], [" =1+1", "\t1", "\r=1", "\n1", "\uff1d1+1", "a=1", "1-2"],
            [-12, Decimal("-59.50"), -0.25, True, None, "", 0]]
    text = "".join(csv_writer.lines(list("abcdefg"), rows))
    parsed = safe_rows(text)
    # Text is text whatever it looks like: a signed number typed in a name (or a phone's +) is defused too.
    assert parsed[1] == ["'" + p for p in PAYLOADS] + ["phone", "'+358401234567", "'-5"]
    assert parsed[2] == ["' =1+1", "'\t1", "'\r=1", "'\n1", "'\uff1d1+1", "a=1", "1-2"]
    # Negative amounts stay numbers (bare, a decimal point); a flag is 1/0; None and "" are empty.
    assert text.split("\r\n")[3] == "-12,-59.50,-0.25,1,,,0"
    assert parsed[3] == ["-12", "-59.50", "-0.25", "1", "", "", "0"]


def test_quotes_and_separators_stay_inside_their_cell():
    text = "".join(csv_writer.lines(["name"], [['a;b,"c"\r\nd']]))
    assert text == '\ufeff"name"\r\n"a;b,""c""\r\nd"\r\n'
    assert safe_rows(text) == [["name"], ['a;b,"c"\r\nd']]


def test_a_crafted_header_is_defused_too():
    assert safe_rows("".join(csv_writer.lines(["=cmd|' /C calc'!A0", "ok"], [])))[0] == ["'=cmd|' /C calc'!A0", "ok"]


def test_decimals_have_a_point_and_no_exponent():
    assert [csv_writer.number(v) for v in (Decimal("1E+3"), Decimal("0.00"), 2 / 3, -0.00001, float("nan"))] == [
        "1000", "0.00", "0.6667", "0", None]


def test_dates_are_iso_and_instants_are_written_in_the_zone_the_header_names():
    instant = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    columns = ["day", Column("at", instant=True)]
    rows = [[date(2026, 3, 5), instant], [None, None]]
    assert safe_rows("".join(csv_writer.lines(columns, rows))) == [
        ["day", "at (UTC)"], ["2026-03-05", "2026-03-04T23:30:00+00:00"], ["", ""]]
    assert safe_rows("".join(csv_writer.lines(columns, rows, "Europe/Helsinki")))[:2] == [
        ["day", "at (Europe/Helsinki)"], ["2026-03-05", "2026-03-05T01:30:00+02:00"]]
    # Any aware instant is converted; one without a zone, or in a column not marked as instants, is refused.
    eastern = datetime(2026, 3, 4, 18, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert "2026-03-04T23:30:00+00:00" in "".join(csv_writer.lines(columns, [[None, eastern]]))
    with pytest.raises(ValueError, match="without a time zone"):
        list(csv_writer.lines(columns, [[None, datetime(2026, 3, 4)]]))
    with pytest.raises(ValueError, match="not marked"):
        list(csv_writer.lines(["at"], [[instant]]))
    with pytest.raises(Exception, match="Nowhere/Land"):
        csv_writer.lines(columns, [], "Nowhere/Land")   # refused at once, before a download starts


def test_lines_are_made_as_they_are_read():
    endless = ([n, f"member {n}"] for n in itertools.count())
    lines = csv_writer.lines(["id", "name"], endless)
    assert list(itertools.islice(lines, 3)) == ['\ufeff"id","name"\r\n', '0,"member 0"\r\n', '1,"member 1"\r\n']


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="2 values under 1 columns"):
        list(csv_writer.lines(["id"], [[1, 2]]))
