"""What the contract, balance and visit imports share: each row read into values (every problem of it named by
column), then the rows' members found at once."""
from collections.abc import Callable

from clubcrm.errors import InvalidInput
from clubcrm.imports import people
from clubcrm.imports.reading import Table
from clubcrm.imports.rows import Refusal, _raw
from clubcrm.imports.run import CHUNK, Checked
from clubcrm.models import Club, Member

# A row's reader: its cells by field → its values (refusing the first bad one, naming the field).
Reader = Callable[[dict[str, str]], dict]


def read_rows(club: Club, table: Table, fields: list[str | None], read: Reader, checked: Checked,
              progress: Callable[[int], None] | None = None) -> list[tuple[int, dict, Member]]:
    """Read every record of TABLE with READ and find its member; refusals go to CHECKED. Return (line, values,
    member) of the rows that passed."""
    parsed: list[tuple[int, dict, people.Who]] = []
    for start in range(0, len(table.records), CHUNK):
        for line, cells in table.records[start:start + CHUNK]:
            raw = _raw(fields, cells)
            problems = []
            who = values = None
            try:
                who = people.read_who(raw, club)
            except InvalidInput as error:
                problems.append(Refusal(line, error.field or "file", error.message))
            try:
                values = read(raw)
            except InvalidInput as error:
                problems.append(Refusal(line, error.field or "file", error.message))
            if problems:
                checked.refusals.extend(problems)
            else:
                parsed.append((line, values, who))
        if progress is not None:
            progress(min(start + CHUNK, len(table.records)))
    found = people.find(club, [who for _line, _values, who in parsed])
    rows = []
    for line, values, who in parsed:
        try:
            rows.append((line, values, people.member_of(who, found)))
        except InvalidInput as error:
            checked.refusals.append(Refusal(line, error.field or "file", error.message))
    return rows
