"""CSV exports of a club's members, memberships and visits for managers: streamed row by row (100,000 visits
never sit in memory at once), UTF-8 with a BOM so that spreadsheets read the letters right, ISO dates and
instants, money as a decimal beside its currency."""
import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.formatting import to_major
from clubcrm.models import Club, Member, Membership, Plan, Staff, Visit
from clubcrm.reports.scope import utc_bounds
from clubcrm.services import audit

KINDS = ("members", "memberships", "visits")
# Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
BATCH = 1000
# A cell a spreadsheet would run as a formula; a plain signed number (a phone in E.164) is left alone.
_FORMULA = re.compile(r"^[=@\t\r]|^[+-](?![\d .]*$)")

MEMBER_COLUMNS = ("id", "first_name", "last_name", "phone", "email", "card_code", "birth_date", "locale",
                  "source", "interest", "notes", "sms_consent", "sms_opted_out_at", "created_at", "converted_at",
                  "erased_at")
MEMBERSHIP_COLUMNS = ("id", "member_id", "first_name", "last_name", "plan", "starts_on", "ends_on", "visit_limit",
                      "price", "currency", "renews_id", "sold_at", "cancelled_on", "cancel_reason")
VISIT_COLUMNS = ("id", "member_id", "membership_id", "checked_in_at", "source")


def cell(value) -> str:
    """A value as a CSV cell: ISO dates and instants, 1/0 for flags, formulas defused with a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def _lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(v) for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)


def _stream(statement):
    """Rows of STATEMENT in batches; a generator, so the query runs when the download is read (after the audit
    event's commit, which would close a PostgreSQL server-side cursor opened before it)."""
    yield from db.session.execute(statement.execution_options(yield_per=BATCH))


def _members(club: Club):
    columns = [getattr(Member, c) for c in MEMBER_COLUMNS]
    return _stream(select(*columns).where(Member.club_id == club.id).order_by(Member.id))


def _memberships(club: Club):
    for row in _stream(
        select(Membership.id, Membership.member_id, Member.first_name, Member.last_name, Plan.name,
               Membership.starts_on, Membership.ends_on, Membership.visit_limit, Membership.price_minor,
               Membership.currency, Membership.renews_id, Membership.sold_at, Membership.cancelled_on,
               Membership.cancel_reason)
        .join(Member, Member.id == Membership.member_id).join(Plan, Plan.id == Membership.plan_id)
        .where(Membership.club_id == club.id).order_by(Membership.id)
    ):
        values = list(row)
        values[8] = to_major(row.price_minor, row.currency)
        yield values


def _visits(club: Club, start: date | None, end: date | None):
    query = select(Visit.id, Visit.member_id, Visit.membership_id, Visit.checked_in_at, Visit.source).where(
        Visit.club_id == club.id)
    if start is not None:
        query = query.where(Visit.checked_in_at >= utc_bounds(club, start, start)[0])
    if end is not None:
        query = query.where(Visit.checked_in_at < utc_bounds(club, end, end)[1])
    return _stream(query.order_by(Visit.checked_in_at, Visit.id))


def export(staff: Staff, club: Club, kind: str, start: date | None = None, end: date | None = None) -> Iterator[str]:
    """Audit the download and return the CSV of CLUB's KIND (members, memberships or visits in START..END, local
    dates, both optional) as a generator of lines; the caller commits, then streams it."""
    if not staff.has_role("manager") or not staff.sees_club(club.id):
        raise NotAllowed("kind", _l("Only a manager can download the club's data."))
    if kind not in KINDS:
        raise InvalidInput("kind", _l("Choose members, memberships or visits."))
    if start is not None and end is not None and end < start:
        raise InvalidInput("end", _l("The last day cannot be before the first."))
    period = {"from": start, "to": end} if kind == "visits" and (start or end) else None
    audit.record(staff, "export", kind, None, club_id=club.id, after=period)
    if kind == "members":
        return _lines(MEMBER_COLUMNS, _members(club))
    if kind == "memberships":
        return _lines(MEMBERSHIP_COLUMNS, _memberships(club))
    return _lines(VISIT_COLUMNS, _visits(club, start, end))
