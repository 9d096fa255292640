"""Bytes of an uploaded spreadsheet to rows of text: the encoding and the delimiter as Excel exports them."""
import codecs
import csv
import io
import itertools
from dataclasses import dataclass

from flask_babel import format_number
from flask_babel import lazy_gettext as _l

from clubcrm.errors import InvalidInput

DELIMITERS = (";", ",", "\t")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1251", "cp1252", "latin-1")
# Lines the delimiter is sniffed on: enough to see a consistent count, few enough to stay instant.
SNIFF_LINES = 50
# A member has a dozen fields: a file wider than this is not a member list, and its preview (a select per column)
# would be a page of megabytes. 15,000 columns held each view past the server's timeout.
MAX_COLUMNS = 200
# The longest cell read (notes included); csv's own limit is set to it, so a longer cell stops the reading at once.
MAX_CELL = 10_000


@dataclass
class Table:
    """A decoded file: how it was read, its header row and its records as (line number, cells)."""

    encoding: str
    delimiter: str
    headers: list[str]
    records: list[tuple[int, list[str]]]


def _cyrillic_signs(text: str) -> tuple[float, float]:
    """How Cyrillic TEXT (decoded as cp1251) looks: the share of its non-ASCII letters that stand next to another
    one, and the share of non-ASCII letters among all its letters.

    Russian text in cp1251 is whole words of non-ASCII letters (both shares near 1); German or Finnish text in
    latin-1 has an ä or ö here and there between ASCII letters ("Hämäläinen": none paired, a third of the
    letters). The bytes are the same whichever way they are decoded, so the measure tells the two apart."""
    high = paired = letters = 0
    previous_high = False
    for index, ch in enumerate(text):
        is_letter = ch.isalpha()
        is_high = is_letter and ord(ch) > 127
        letters += is_letter
        if is_high:
            high += 1
            following = text[index + 1] if index + 1 < len(text) else ""
            if previous_high or (following and ord(following) > 127 and following.isalpha()):
                paired += 1
        previous_high = is_high
    if not high:
        return 0.0, 0.0
    return paired / high, high / letters


def _non_ascii_sample(text: str, size: int = 1_000_000) -> str:
    """The first lines of TEXT that hold a non-ASCII letter, about SIZE characters of them: the measure of a 20 MB
    file letter by letter held the upload request for seconds, and a megabyte of such lines tells as much."""
    if len(text) <= size:
        return text
    sample, length = [], 0
    for line in text.splitlines():
        if not line.isascii():
            sample.append(line)
            length += len(line)
            if length >= size:
                break
    return "\n".join(sample)


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name) of DATA: a BOM wins, then UTF-8, then cp1251 or latin-1 (cp1252)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput("encoding", _l("Unknown encoding.")) from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise InvalidInput("file", _l("The file cannot be read in the chosen encoding.")) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InvalidInput("file", _l("The file cannot be read: it is not text.")) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise InvalidInput("file", _l("The file cannot be read: it is not text."))
    as_cyrillic = data.decode("cp1251", errors="replace")
    try:
        as_western = data.decode("cp1252")
    except UnicodeDecodeError:   # bytes cp1252 leaves undefined (0x81, 0x8d, ...) are Cyrillic letters
        return as_cyrillic, "cp1251"
    paired, share = _cyrillic_signs(_non_ascii_sample(as_cyrillic))
    if paired > 0.75 or (paired > 0.5 and share > 0.5):
        return as_cyrillic, "cp1251"
    return as_western, "cp1252"


def _sample_rows(sample: str, delimiter: str) -> list[list[str]]:
    """The non-blank rows of SAMPLE split by DELIMITER, up to a row csv cannot read (read_table names its line)."""
    rows = []
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
    except csv.Error:
        pass
    return rows


def sniff_delimiter(text: str) -> str:
    """The delimiter among ; , and tab that splits the first lines into the same number of cells, most of them."""
    sample = "\n".join(line.rstrip("\r\n") for line in itertools.islice(io.StringIO(text, newline=None), SNIFF_LINES))
    best, best_score = ";", (-1.0, 0)
    csv.field_size_limit(MAX_CELL)
    for delimiter in DELIMITERS:
        rows = _sample_rows(sample, delimiter)
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(row) == width for row in rows) / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _long_cell_column(text: str, first_line: int, delimiter: str) -> int | None:
    """The 1-based column of the first cell longer than MAX_CELL in the record starting at FIRST_LINE (as csv
    counts lines), or None; scans the quotes as csv does (called only after csv refused the record)."""
    lines = io.StringIO(text, newline="").readlines()
    record = "".join(lines[first_line - 1:])
    column, length, quoted, index = 1, 0, False, 0
    while index < len(record):
        ch = record[index]
        if quoted:
            if ch == '"' and record[index + 1:index + 2] == '"':
                index += 1
            elif ch == '"':
                quoted = False
                index += 1
                continue
        elif ch == '"' and length == 0:
            quoted = True
            index += 1
            continue
        elif ch == delimiter:
            column, length = column + 1, -1
        elif ch in "\r\n":
            return None
        length += 1
        if length > MAX_CELL:
            return column
        index += 1
    return None


def _refuse_record(error: csv.Error, text: str, line: int, delimiter: str) -> InvalidInput:
    """The refusal of the record starting at LINE that csv could not read: an over-long cell, or bad quoting."""
    if "field larger than field limit" in str(error):
        column = _long_cell_column(text, line, delimiter)
        if column is not None:
            return InvalidInput("file", _l("Line %(line)s, column %(column)s: a cell is longer than %(max)s "
                                           "characters, the most we read.", line=line, column=column,
                                           max=format_number(MAX_CELL)))
        return InvalidInput("file", _l("Line %(line)s: a cell is longer than %(max)s characters, the most we read.",
                                       line=line, max=format_number(MAX_CELL)))
    return InvalidInput("file", _l("The file is not a CSV file we can read (line %(line)s).", line=line))


def too_many_columns(count: int, line: int) -> InvalidInput:
    """Refuse a record of COUNT cells (the header row or line LINE) beyond MAX_COLUMNS."""
    return InvalidInput("file", _l("Line %(line)s has %(count)s columns; a file can have at most %(max)s.",
                                   line=line, count=format_number(count), max=MAX_COLUMNS))


def read_table(data: bytes, encoding: str | None = None, delimiter: str | None = None,
               limit: int | None = None) -> Table:
    """Decode DATA and split it into a header row and records (the first LIMIT ones if given); blank records
    are left out. A record wider than MAX_COLUMNS or a cell longer than MAX_CELL is refused, naming its line."""
    if not data.strip():
        raise InvalidInput("file", _l("The file is empty."))
    text, used = decode(data, encoding)
    text = text.removeprefix("\ufeff")   # a BOM left by an encoding chosen by hand (utf-8 for utf-8-sig)
    if "\x00" in text:
        raise InvalidInput("file", _l("The file cannot be read: it is not text."))
    if delimiter is not None and delimiter not in DELIMITERS:
        raise InvalidInput("delimiter", _l("The delimiter must be a semicolon, a comma or a tab."))
    delimiter = delimiter or sniff_delimiter(text)
    # csv's limit is one for the whole process; this module is its only reader, always with this value.
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    line = 1
    while limit is None or len(records) < limit:
        line = reader.line_num + 1   # a quoted cell may span lines: the record's first one
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _refuse_record(error, text, line, delimiter) from None
        if len(row) > MAX_COLUMNS:
            raise too_many_columns(len(row), line)
        if not any(cell.strip() for cell in row):
            continue
        if headers is None:
            headers = [cell.strip() for cell in row]
            continue
        records.append((line, row))
    if headers is None:
        raise InvalidInput("file", _l("The file is empty."))
    if not records:
        raise InvalidInput("file", _l("The file has a header row but no members."))
    return Table(used, delimiter, headers, records)
