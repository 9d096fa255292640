"""The manager's KPIs on leads and sales, on small hand-built data sets whose numbers are worked out by hand;
and every KPI (these and clubcrm.reports.activity's) sends as many SQL statements for a big club as a small one."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Member, Membership, Package, StaffContact, Visit
from clubcrm.reports import activity, refresh
from clubcrm.reports.kpis import (
    LeadConversion, LeadProcessing, SaleAverage, average_sale, lead_conversion, lead_processing,
)
from clubcrm.reports.scope import Scope
from clubcrm.reports.snapshot import Stored
from clubcrm.services import opening_hours
from tests.conftest import NOW, TODAY
from tests.statements import statements


def utc(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(club, day: date, hour: int = 12, minute: int = 0) -> datetime:
    """The instant of a wall-clock time in CLUB's zone."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(club.timezone)).astimezone(UTC)


def add(*rows):
    """Store ROWS in the test's session (the reports read it; factories commit it) and return the first."""
    db.session.add_all(rows)
    db.session.flush()
    return rows[0]


def person(club, created: datetime | None = None, converted: datetime | None = None, **values) -> Member:
    return add(Member(club_id=club.id, first_name=values.pop("first_name", "Test"),
                      created_at=created or utc(1, 1, year=2025), converted_at=converted, **values))


def contract(member, plan, first: date, last: date, sold: datetime | None = None, cancelled_on: date | None = None,
             renews=None, price: int | None = None) -> Membership:
    return add(Membership(club_id=member.club_id, member_id=member.id, plan_id=plan.id, starts_on=first,
                          ends_on=last, price_minor=plan.price_minor if price is None else price,
                          currency=plan.currency, sold_at=sold or utc(first.month, first.day, year=first.year),
                          cancelled_on=cancelled_on, renews_id=renews.id if renews else None))


def visit(member, instant: datetime, membership=None) -> Visit:
    return add(Visit(club_id=member.club_id, member_id=member.id, checked_in_at=instant,
                     membership_id=membership.id if membership else None))


def contact(member, instant: datetime, outcome: str = "reached") -> StaffContact:
    return add(StaffContact(club_id=member.club_id, member_id=member.id, outcome=outcome, created_at=instant))


def package(member, service, balance: int, expires_on: date | None = None) -> Package:
    return add(Package(club_id=member.club_id, member_id=member.id, service_id=service.id, balance=balance,
                       expires_on=expires_on))


def entry(pack, kind: str, units: int, at: datetime, price: int | None = None, currency: str | None = None):
    return add(LedgerEntry(package_id=pack.id, kind=kind, units=units, created_at=at, price_minor=price,
                           currency=currency if price is not None else None))


def scope(*clubs, start: date, end: date, today: date = TODAY, plan=None) -> Scope:
    return Scope(tuple(c.id for c in clubs), start, end, today, plan.id if plan else None)


def test_lead_conversion_leaves_pending_leads_out_of_the_rate(make):
    club, elsewhere = make.club(), make.club()
    # Helsinki is UTC+2 in winter. Period 1 Feb - 10 Mar, read on 10 Mar.
    person(club, utc(2, 2), utc(2, 20))              # converted within 30 days
    person(club, utc(2, 3), utc(3, 9))               # converted after 34 days: decided, not converted
    person(club, utc(2, 5))                          # never: decided (5 Feb + 30 = 7 Mar is past)
    person(club, utc(2, 8, 10))                      # never: 8 Feb + 30 = 10 Mar = today, so decided
    person(club, utc(3, 1))                          # never, 1 Mar + 30 = 31 Mar is ahead: pending
    person(club, utc(3, 5), utc(3, 6))               # converted, though still inside its 30 days
    person(club, utc(1, 31, 22, 30))                 # 1 Feb 00:30 local: in the period, decided
    person(club, utc(1, 31, 21, 30))                 # 31 Jan 23:30 local: before the period
    person(elsewhere, utc(2, 10))                    # another club
    # leads 7, converted 2, pending 1: 2 per 6 decided leads.
    result = lead_conversion(scope(club, start=date(2026, 2, 1), end=date(2026, 3, 10)))
    assert result == LeadConversion(7, 2, 1, pytest.approx(100 * 2 / 6))

    # Only the pending lead in its week: nobody decided, no rate.
    assert lead_conversion(scope(club, start=date(2026, 3, 1), end=date(2026, 3, 3))) == LeadConversion(1, 0, 1, None)
    # Leads have no plan: a plan in the scope changes nothing.
    plan = make.plan(club=club)
    assert lead_conversion(scope(club, start=date(2026, 2, 1), end=date(2026, 3, 10), plan=plan)) == result


def test_lead_processing_takes_the_median_time_to_the_first_contact(make):
    club = make.club()
    fast = person(club, utc(2, 2, 10))
    contact(fast, utc(2, 2, 12), "no_answer")        # the first contact counts whatever its outcome: 2 h
    contact(fast, utc(2, 3, 12))
    contact(person(club, utc(2, 3, 8)), utc(2, 4, 8))          # 24 h
    contact(person(club, utc(2, 5, 9)), utc(2, 5, 9, 30))      # 0.5 h
    person(club, utc(2, 6))                                    # never contacted
    contact(person(club, utc(3, 1)), utc(3, 1, 13))            # registered after the period
    # 4 leads, 3 contacted after 0.5, 2 and 24 hours: the median is 2 h; 1 uncontacted.
    period = scope(club, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert lead_processing(period) == LeadProcessing(4, 3, 2.0, 1)
    assert lead_processing(scope(club, start=date(2026, 1, 1), end=date(2026, 1, 31))) == LeadProcessing(0, 0, None, 0)


def test_lead_processing_counts_the_club_s_opening_hours_only(make):
    club = make.club()                               # Helsinki: UTC+2 in February
    with unit_of_work():
        opening_hours.add_defaults(club)             # weekdays 06:00-22:00, weekends 08:00-20:00
    # Tuesday 3 Feb, 21:30: half an hour before closing; called on Wednesday at 06:30, half an hour after opening.
    # Nine hours on the clock, one opening hour.
    late = person(club, local(club, date(2026, 2, 3), 21, 30))
    contact(late, local(club, date(2026, 2, 4), 6, 30), "no_answer")
    tuesday = scope(club, start=date(2026, 2, 3), end=date(2026, 2, 3))
    assert lead_processing(tuesday) == LeadProcessing(1, 1, 1.0, 0)
    # Friday 6 Feb, 21:00, called on Monday at 07:00: 1 h on Friday, 12 h on each weekend day, 1 h on Monday =
    # 26 opening hours (58 on the clock).
    weekend = person(club, local(club, date(2026, 2, 6), 21))
    contact(weekend, local(club, date(2026, 2, 9), 7))
    friday = scope(club, start=date(2026, 2, 6), end=date(2026, 2, 6))
    assert lead_processing(friday) == LeadProcessing(1, 1, 26.0, 0)
    # The club's hours come with the club: as many statements as before opening hours (the clubs, the leads).
    db.session.commit()
    with statements() as seen:
        lead_processing(friday)
    assert len(seen) == 2, seen
    # The stored figures the page reads count the same way.
    with unit_of_work():
        refresh.recompute(refresh.scope_key((club.id,)), NOW)
    row = refresh.stored((club.id,))
    assert Stored(tuesday, row).lead_processing() == LeadProcessing(1, 1, 1.0, 0)
    assert Stored(friday, row).lead_processing() == LeadProcessing(1, 1, 26.0, 0)
    both = scope(club, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert Stored(both, row).lead_processing() == lead_processing(both) == LeadProcessing(2, 2, 13.5, 0)


def test_average_sale_per_currency(make):
    helsinki = make.club(timezone="Europe/Helsinki", currency="EUR")
    stockholm = make.club(timezone="Europe/Stockholm", currency="SEK")
    month, year = make.plan(club=helsinki, price_minor=5900), make.plan(club=helsinki, price_minor=10000)
    swedish = make.plan(club=stockholm, price_minor=39900)
    member = person(helsinki)
    contract(member, month, date(2026, 3, 2), date(2026, 3, 31), sold=utc(3, 2))
    contract(member, year, date(2026, 3, 3), date(2027, 3, 2), sold=utc(3, 3))
    # Refunded on its first day: not a sale. Cancelled after it began: a sale.
    contract(member, month, date(2026, 3, 5), date(2026, 4, 3), sold=utc(3, 4), cancelled_on=date(2026, 3, 5))
    contract(member, month, date(2026, 3, 4), date(2026, 4, 2), sold=utc(3, 4), cancelled_on=date(2026, 3, 8))
    contract(member, month, date(2026, 3, 1), date(2026, 3, 30), sold=utc(2, 28, 21, 30))  # 28 Feb 23:30 local
    service = make.service(club=helsinki)
    pack = package(member, service, 10)
    entry(pack, "grant", 10, utc(3, 6), price=45002, currency="EUR")     # a package sale
    entry(pack, "grant", 2, utc(3, 6))                                   # a plan's bonus units: no sale
    entry(pack, "redeem", -1, utc(3, 7))
    swede = person(stockholm)
    # 28 Feb 23:30 UTC is 1 Mar 00:30 in Stockholm: in the period; 10 Mar 23:30 UTC is 11 Mar there: after.
    contract(swede, swedish, date(2026, 3, 1), date(2026, 3, 30), sold=utc(2, 28, 23, 30))
    contract(swede, swedish, date(2026, 3, 11), date(2026, 4, 9), sold=utc(3, 10, 23, 30))
    contract(swede, swedish, date(2026, 3, 9), date(2026, 4, 7), sold=utc(3, 9, 22, 30), price=29900)

    # EUR: 5900 + 10000 + 5900 + 45002 = 66802 in 4 sales, 16700.5 rounds to 16701.
    # SEK: 39900 + 29900 = 69800 in 2 sales.
    both = scope(helsinki, stockholm, start=date(2026, 3, 1), end=date(2026, 3, 10))
    assert average_sale(both) == [SaleAverage("EUR", 4, 66802, 16701), SaleAverage("SEK", 2, 69800, 34900)]
    # One plan: its memberships only (5900 twice), no packages, nothing in SEK.
    assert average_sale(scope(helsinki, stockholm, start=date(2026, 3, 1), end=date(2026, 3, 10), plan=month)) == [
        SaleAverage("EUR", 2, 11800, 5900)]
    assert average_sale(scope(helsinki, start=date(2026, 1, 1), end=date(2026, 1, 31))) == []


def populate(make, clubs, size: int) -> None:
    """SIZE members in each of CLUBS of every kind the KPIs look at: leads contacted or not, members new, regular,
    fading, ending, renewed, lapsed, with visits and packages."""
    for club in clubs:
        plan = make.plan(club=club)
        service = make.service(club=club)
        for i in range(size):
            lead = person(club, utc(2, 1 + i % 28), utc(2, 10 + i % 15) if i % 3 else None)
            contact(lead, utc(2, 2 + i % 20), ("reached", "no_answer")[i % 2])
            member = person(club, utc(10, 1, year=2025), utc(10, 1, year=2025))
            first = contract(member, plan, date(2025, 12, 1) + timedelta(days=i % 40), date(2026, 3, 5 + i % 20))
            if i % 2:
                contract(member, plan, first.ends_on + timedelta(days=1), first.ends_on + timedelta(days=90),
                         renews=first)
            for days in range(0, 60, 3 + i % 7):
                visit(member, local(club, TODAY - timedelta(days=days + i % 5)), first)
            pack = package(member, service, i % 4)
            entry(pack, "grant", 10, utc(2, 1 + i % 28), price=45000, currency=club.currency)
            contact(member, utc(3, 1 + i % 9))


KPIS = {
    "lead_conversion": lambda s: lead_conversion(s),
    "lead_processing": lambda s: lead_processing(s),
    "average_sale": lambda s: average_sale(s),
    "base_growth": lambda s: activity.base_growth(s),
    "visits_per_week": lambda s: activity.visits_per_week(s),
    "cohort_retention": lambda s: activity.cohort_retention(s),
    "contact_coverage": lambda s: activity.contact_coverage(s),
    "at_risk": lambda s: activity.at_risk(s),
}


def test_every_kpi_sends_as_many_statements_for_a_big_club_as_for_a_small_one(make):
    small = (make.club(), make.club(timezone="America/New_York", currency="USD"))
    big = (make.club(), make.club(timezone="America/New_York", currency="USD"))
    with unit_of_work():
        populate(make, small, 2)
        populate(make, big, 25)
    counts = {}
    for name, kpi in KPIS.items():
        for clubs in (small, big):
            for plan_id in (None, 1):
                period = Scope(tuple(c.id for c in clubs), date(2025, 12, 1), TODAY, TODAY, plan_id)
                db.session.rollback()   # each KPI starts, as in a request, with nothing loaded
                with statements() as seen:
                    result = kpi(period)
                counts.setdefault((name, plan_id), []).append(len(seen))
                if name == "at_risk" and plan_id is None:
                    assert result   # the list's names are loaded too
    assert {key: len(set(n)) for key, n in counts.items()} == {key: 1 for key in counts}, counts
