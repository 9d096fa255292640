"""The row-level report of an import: which line was refused, on which column, and why, also as CSV."""
from collections.abc import Iterator

from flask_babel import gettext as _

from clubcrm.csv_writer import lines
from clubcrm.imports.headers import FIELDS
from clubcrm.imports.rows import Refusal

NAME_PARTS = {"first_name": ("first_name", "full_name", "full_name_rev"),
              "last_name": ("last_name", "full_name", "full_name_rev")}


def entries(refusals: list[Refusal]) -> list[dict]:
    """The refusals as ImportJob.report keeps them: line, field and the message in the current language."""
    return [{"line": r.line, "field": r.field, "message": str(r.message)} for r in refusals]


def column_of(field: str, headers: list[str], fields: list[str | None]) -> str:
    """The file's header of the column a refusal on FIELD came from (a name part from a full-name column)."""
    for header, mapped in zip(headers, fields, strict=False):
        if mapped is not None and mapped in NAME_PARTS.get(field, (field,)):
            return header
    return ""


def field_label(field: str, kind: str | None = None) -> str:
    """The field's name for people (a member field, or one of KIND's)."""
    from clubcrm.imports.kinds import kind_of   # the kinds build on the members' modules, this one among them

    label = kind_of(kind).fields.get(field) or FIELDS.get(field)
    return str(label) if label is not None else field


def to_csv(report: list[dict], headers: list[str], fields: list[str | None], kind: str | None = None
           ) -> Iterator[str]:
    """The report as CSV lines (the one CSV writer's: BOM, formulas defused): line, column, field, problem.
    The file's own headers and values are defused like any text: the file came from outside."""
    # Worded now, not as the lines are read: the labels need the request's (or the CLI's) locale.
    rows = [[entry["line"], column_of(entry["field"], headers, fields), field_label(entry["field"], kind),
             str(entry["message"])] for entry in report]
    return lines([_("Line"), _("Column"), _("Field"), _("Problem")], rows)
