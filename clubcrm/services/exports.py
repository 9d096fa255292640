"""CSV exports of a club's members, memberships and visits for managers, through the one CSV writer: streamed
row by row (100,000 visits never sit in memory at once), ISO dates, instants in UTC (the headers say so), money
as a decimal beside its currency, formulas defused."""
from collections.abc import Iterator
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubcrm.csv_writer import Column, lines
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.formatting import to_major
from clubcrm.models import Club, Member, Membership, Plan, Staff, Visit
from clubcrm.reports.scope import utc_bounds
from clubcrm.services import audit

KINDS = ("members", "memberships", "visits")
# Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
BATCH = 1000
# The data exports stay in UTC whatever the club's zone (the README promises it): one file, one clock.
ZONE = "UTC"

MEMBER_COLUMNS = ("id", "first_name", "last_name", "phone", "email", "card_code", "birth_date", "locale",
                  "source", "interest", "notes", "sms_consent", "sms_opted_out_at", "created_at", "converted_at",
                  "erased_at")
MEMBERSHIP_COLUMNS = ("id", "member_id", "first_name", "last_name", "plan", "starts_on", "ends_on", "visit_limit",
                      "price", "currency", "renews_id", "sold_at", "cancelled_on", "cancel_reason")
VISIT_COLUMNS = ("id", "member_id", "membership_id", "checked_in_at", "source")
INSTANTS = {"sms_opted_out_at", "created_at", "converted_at", "erased_at", "sold_at", "checked_in_at"}


def _columns(names: tuple[str, ...]) -> list[Column]:
    return [Column(name, instant=name in INSTANTS) for name in names]


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
        return lines(_columns(MEMBER_COLUMNS), _members(club), ZONE)
    if kind == "memberships":
        return lines(_columns(MEMBERSHIP_COLUMNS), _memberships(club), ZONE)
    return lines(_columns(VISIT_COLUMNS), _visits(club, start, end), ZONE)
