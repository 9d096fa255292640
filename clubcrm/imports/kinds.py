"""What a file can bring: members, or what a club moving in from another system has of them besides — their
memberships, package balances and visit history. Each kind has its columns (with the headers other systems
write), the columns it cannot do without, its check and its save; the upload, preview, job, report and CLI are
the members import's, for every kind."""
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from clubcrm.imports import balances, headers, history_headers, memberships, run, visits


@dataclass(frozen=True)
class Kind:
    key: str
    label: object                      # what the upload page offers
    fields: dict                       # field → its label
    index: tuple | None                # the headers to guess columns from (None: the members')
    check: Callable
    save: Callable
    required: tuple[tuple[str, ...], ...]   # each group: one of these columns is needed
    missing: object                    # the message when a group has no column
    shown: Callable | None = None      # a checked row's values as the preview shows them (None: the members')


KINDS = {
    "members": Kind("members", _l("Members"), headers.FIELDS, None, run.check, run.save,
                    (headers.NAME_FIELDS,),
                    _l("Choose the column that holds the first name or the full name.")),
    "memberships": Kind("memberships", _l("Memberships (current and past)"), history_headers.MEMBERSHIP_FIELDS,
                        history_headers.MEMBERSHIP_INDEX, memberships.check, memberships.save,
                        (tuple(history_headers.WHO_FIELDS), ("plan",), ("starts_on",)),
                        _l("Choose the columns that hold the member (card code, phone or email), the plan and "
                           "the start."), memberships.shown),
    "balances": Kind("balances", _l("Package balances"), history_headers.BALANCE_FIELDS,
                     history_headers.BALANCE_INDEX, balances.check, balances.save,
                     (tuple(history_headers.WHO_FIELDS), ("service",), ("units",)),
                     _l("Choose the columns that hold the member (card code, phone or email), the service and "
                        "the units left."), balances.shown),
    "visits": Kind("visits", _l("Visit history"), history_headers.VISIT_FIELDS, history_headers.VISIT_INDEX,
                   visits.check, visits.save, (tuple(history_headers.WHO_FIELDS), ("visited_at",)),
                   _l("Choose the columns that hold the member (card code, phone or email) and the visit's time."),
                   visits.shown),
}


def kind_of(key: str | None) -> Kind:
    """The kind KEY names (a job made before kinds existed: members)."""
    return KINDS.get(key or "members") or KINDS["members"]


def guess(kind: Kind, file_headers: list[str]) -> list[str | None]:
    """The field of each column of a file of KIND, guessed from its headers."""
    return headers.guess_mapping(file_headers, kind.index)


def complete(kind: Kind, fields: list[str | None]) -> bool:
    """Tell whether a mapping has a column for each group of fields KIND cannot do without."""
    return all(any(f in group for f in fields) for group in kind.required)
