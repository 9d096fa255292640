"""Leads by source and by month (clubcrm/reports/lead_sources.py and its page): the figures on hand-built lead
cycles, contacts and sales whose answers are worked out by hand below (not with the report's helpers), the month of
a lead in its club's zone, an empty club, a chain in two currencies, a constant number of statements, and the page
and its CSV over HTTP."""
import csv
import html
import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LeadCycle, Member, Membership, StaffContact
from clubcrm.reports.lead_sources import lead_sources
from clubcrm.reports.scope import Scope
from clubcrm.services import opening_hours
from tests.conftest import TODAY
from tests.statements import statements

FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)
CELL = re.compile(r'<td data-value="([^"]*)"')


def utc(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def local(club, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """The instant of a wall-clock time in CLUB's zone."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(club.timezone)).astimezone(UTC)


def add(*rows):
    db.session.add_all(rows)
    db.session.flush()
    return rows[0]


def lead(club, source: str, started: datetime, outcome: str | None = None, ended: datetime | None = None,
         sale: tuple | None = None, contacts: tuple = ()) -> LeadCycle:
    """A person with one lead cycle begun at STARTED; SALE = (plan, sold_at, price, refunded) wins it by a
    membership; CONTACTS = the instants staff logged a contact with them."""
    person = add(Member(club_id=club.id, first_name="Lead", created_at=started))
    membership = None
    if sale is not None:
        plan, sold, price, refunded = sale
        first = sold.date()
        membership = add(Membership(club_id=club.id, member_id=person.id, plan_id=plan.id, starts_on=first,
                                    ends_on=date(2026, 12, 31), price_minor=price, currency=plan.currency,
                                    sold_at=sold, cancelled_on=first if refunded else None))
        ended = ended or sold
        outcome = "won"
    for at in contacts:
        add(StaffContact(club_id=club.id, member_id=person.id, outcome="no_answer", created_at=at))
    return add(LeadCycle(club_id=club.id, member_id=person.id, started_at=started, source=source, outcome=outcome,
                         ended_at=ended, won_membership_id=membership.id if membership else None))


def build_helsinki(make):
    """Club A (Helsinki, UTC+2 until 29 March; open 06-22 on weekdays, 08-20 at weekends) and its leads; the
    answers are in the tests."""
    club = make.club(timezone="Europe/Helsinki", currency="EUR")
    with unit_of_work():
        opening_hours.add_defaults(club)
    plan = make.plan(club=club, price_minor=5900)
    # 1 web form, Tue 3 Feb 21:30; called Wed 06:30 (1 opening hour); bought on 20 Feb for 59.00: bought.
    lead(club, "web_form", local(club, 2, 3, 21, 30), sale=(plan, utc(2, 20), 5900, False),
         contacts=(local(club, 2, 4, 6, 30),))
    # 2 web form, Mon 2 Feb 10:00; called 12:00 (2 h); bought on 10 Mar for 100.00, 36 days on: not within 30.
    lead(club, "web_form", local(club, 2, 2, 10), sale=(plan, utc(3, 10), 10000, False),
         contacts=(local(club, 2, 2, 12),))
    # 3 web form, Thu 5 Feb; won by a membership refunded on its first day: no sale, decided; never called.
    lead(club, "web_form", local(club, 2, 5, 10), sale=(plan, utc(2, 6), 7000, True))
    # 4 phone, Fri 6 Feb 21:00; called Mon 9 Feb 07:00 (1 + 12 + 12 + 1 = 26 opening hours); lost on 20 Feb; a
    # call after the cycle ended does not count.
    lead(club, "phone", local(club, 2, 6, 21), outcome="lost", ended=utc(2, 20),
         contacts=(local(club, 2, 9, 7), utc(2, 25)))
    # 5 phone, 28 Feb 22:30 UTC = Sun 1 Mar 00:30 in Helsinki: a March lead; open, not called: pending, waiting.
    lead(club, "phone", utc(2, 28, 22, 30))
    # 6 referral, 31 Jan 22:30 UTC = 1 Feb 00:30 local: in the period; called only before the cycle began (30 Jan):
    # not contacted, waiting; open 37 days: decided, not bought.
    lead(club, "referral", utc(1, 31, 22, 30), contacts=(utc(1, 30),))
    # -  referral, 31 Jan 21:30 UTC = 23:30 local: before the period.
    lead(club, "referral", utc(1, 31, 21, 30))
    # 7 walk-in, Mon 9 Feb 10:00, called 10:15 (0.25 h), won at 11:00 by a package (no membership): bought.
    lead(club, "walk_in", local(club, 2, 9, 10), outcome="won", ended=local(club, 2, 9, 11),
         contacts=(local(club, 2, 9, 10, 15),))
    # 8 campaign, Mon 2 Mar 09:00, called 09:30 (0.5 h), open: pending.
    lead(club, "campaign", local(club, 3, 2, 9), contacts=(local(club, 3, 2, 9, 30),))
    # - after the period (11 Mar local).
    lead(club, "web_form", local(club, 3, 11, 9))
    db.session.commit()
    return club


def figures(row) -> tuple:
    return (row.leads, row.bought, row.pending, row.contacted, row.waiting, row.median_hours,
            [(s.currency, s.count, s.total_minor, s.average_minor) for s in row.first_sales])


def period(*clubs, start=FEB, end=TODAY) -> Scope:
    return Scope(tuple(c.id for c in clubs), start, end, TODAY)


def test_figures_by_source_and_by_month(make):
    club = build_helsinki(make)
    elsewhere = make.club()
    lead(elsewhere, "web_form", utc(2, 10))        # another club's lead
    report = lead_sources(period(club))

    # 8 leads; bought #1 and #7; pending #5 and #8 -> 2 per 6 decided; contacted #1 (1 h), #2 (2 h), #4 (26 h),
    # #7 (0.25 h), #8 (0.5 h): median 1 h; waiting #5 and #6; first sales #1 and #2: 159.00 in 2, 79.50 each.
    assert report.total.key == "all"
    assert figures(report.total) == (8, 2, 2, 5, 2, 1.0, [("EUR", 2, 15900, 7950)])
    assert report.total.per_100 == pytest.approx(100 * 2 / 6)
    assert report.currencies == ["EUR"]

    by_source = {row.key: row for row in report.by_source}
    assert list(by_source) == ["walk_in", "phone", "web_form", "referral", "campaign"]   # the sources' order
    assert figures(by_source["web_form"]) == (3, 1, 0, 2, 0, 1.5, [("EUR", 2, 15900, 7950)])
    assert by_source["web_form"].per_100 == pytest.approx(100 / 3)
    assert figures(by_source["phone"]) == (2, 0, 1, 1, 1, 26.0, [])
    assert by_source["phone"].per_100 == 0.0
    assert figures(by_source["referral"]) == (1, 0, 0, 0, 1, None, [])
    assert figures(by_source["walk_in"]) == (1, 1, 0, 1, 0, 0.25, [])
    assert by_source["walk_in"].per_100 == 100.0
    assert figures(by_source["campaign"]) == (1, 0, 1, 1, 0, 0.5, [])
    assert by_source["campaign"].per_100 is None        # nothing decided yet

    # By Helsinki's months: #5 began on 28 Feb in UTC but on 1 March in the club.
    assert [row.key for row in report.by_month] == [FEB, MAR]
    february, march = report.by_month
    # February: #1 #2 #3 #4 #6 #7; contacted 1, 2, 26, 0.25 h: median 1.5 h; waiting #6.
    assert figures(february) == (6, 2, 0, 4, 1, 1.5, [("EUR", 2, 15900, 7950)])
    assert february.per_100 == pytest.approx(100 * 2 / 6)
    assert figures(march) == (2, 0, 2, 1, 1, 0.5, [])
    assert march.per_100 is None

    # The period's bounds are the club's local days: 1 Feb alone holds #6 only (and the month rows stop at it).
    first_day = lead_sources(period(club, start=FEB, end=FEB))
    assert figures(first_day.total)[:2] == (1, 0) and [r.key for r in first_day.by_month] == [FEB]


def test_a_chain_counts_each_club_in_its_own_zone_and_currency(make):
    helsinki = build_helsinki(make)
    new_york = make.club(timezone="America/New_York", currency="USD")   # no opening hours: always open
    plan = make.plan(club=new_york, price_minor=4900)
    # 1 Mar 02:00 UTC is 28 Feb 21:00 in New York: a February lead there; bought on 5 Mar for $49, never called.
    lead(new_york, "other", utc(3, 1, 2), sale=(plan, utc(3, 5), 4900, False))
    # Called 30 hours after it began: the club has no opening hours, so every hour counts.
    lead(new_york, "other", utc(3, 2, 10), contacts=(utc(3, 3, 16),))
    db.session.commit()
    report = lead_sources(period(helsinki, new_york))
    assert report.currencies == ["EUR", "USD"]
    # Helsinki's 8 and New York's 2; bought 2 + 1; pending 2 + 1 (the second, open and 8 days old); contacted
    # 5 + 1 (0.25, 0.5, 1, 2, 26, 30 h: median 1.5 h); waiting 2 + 0.
    assert figures(report.total) == (10, 3, 3, 6, 2, 1.5, [("EUR", 2, 15900, 7950), ("USD", 1, 4900, 4900)])
    february, march = report.by_month
    assert figures(february)[:3] == (7, 3, 0)
    assert figures(march) == (3, 0, 3, 2, 1, 15.25, [])   # #8's 0.5 h and New York's 30 h
    other = report.by_source[-1]
    assert other.key == "other" and figures(other) == (2, 1, 1, 1, 0, 30.0, [("USD", 1, 4900, 4900)])


def test_an_empty_club(make):
    club = make.club()
    report = lead_sources(period(club, start=date(2025, 12, 15), end=date(2026, 2, 10)))
    assert figures(report.total) == (0, 0, 0, 0, 0, None, [])
    assert report.total.per_100 is None and report.by_source == [] and report.currencies == []
    assert [row.key for row in report.by_month] == [date(2025, 12, 1), date(2026, 1, 1), FEB]
    assert all(figures(row) == (0, 0, 0, 0, 0, None, []) for row in report.by_month)


def test_as_many_statements_for_many_leads_as_for_few(make):
    small, big = make.club(), make.club()
    plans = {club.id: make.plan(club=club) for club in (small, big)}
    for club, size in ((small, 2), (big, 60)):
        with unit_of_work():
            opening_hours.add_defaults(club)
            for i in range(size):
                sale = (plans[club.id], utc(2, 10 + i % 15), 5900, i % 4 == 0) if i % 2 else None
                lead(club, ("web_form", "phone", "campaign")[i % 3], utc(2, 1 + i % 27, 8 + i % 12),
                     sale=sale, contacts=(utc(2, 2 + i % 20), utc(3, 1)) if i % 3 else ())
    counts = []
    for club in (small, big):
        scope = period(club)
        db.session.rollback()   # as in a request: nothing loaded
        with statements() as seen:
            report = lead_sources(scope)
        counts.append(len(seen))
        assert report.total.leads
    assert counts[0] == counts[1] == 2, (counts, [s[:60] for s in seen])


# --- the page ---------------------------------------------------------------------------------------------------

def table_values(text: str, key: str) -> list[list[str]]:
    body = text.split(f'data-table="{key}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[html.unescape(v) for v in CELL.findall(row)] for row in body.split("</tr>") if "<td" in row]


def test_the_page_shows_both_tables_and_the_csv_holds_their_rows(web, login_as, make):
    club = build_helsinki(make)
    login_as("manager", club=club)
    page = web.get("/reports/lead-sources?start=2026-02-01&end=2026-03-10")
    assert page.status_code == 200
    assert "Leads by source" in page.text and 'aria-current="page">Leads by source' in page.text
    assert 'id="chart-lead_months"' in page.text
    assert 'name="plan"' not in page.text                 # leads have no plan
    assert "<dd>Counted in the club" in page.text   # explanations on the page, not only on hover
    sources = table_values(page.text, "sources")
    # All sources first: 8 leads, 2 bought, 2 pending, 33.3 per 100, 5 contacted, 1 h, 2 waiting, 2 first sales
    # at 79.50 on average.
    assert sources[0] == ["All sources", "8", "2", "2", "33.3333", "5", "1", "2", "2", "79.50"]
    assert [row[0] for row in sources[1:]] == ["walk-in", "phone call", "web form", "referral", "campaign"]
    assert "€79.50" in page.text and "26.0 h" in page.text
    months = table_values(page.text, "months")
    assert [row[:2] for row in months] == [["2026-02-01", "6"], ["2026-03-01", "2"]]
    assert "February 2026" in page.text

    download = web.get("/reports/lead-sources/sources.csv?start=2026-02-01&end=2026-03-10")
    assert download.status_code == 200
    assert 'filename="leads-sources-2026-02-01-2026-03-10.csv"' in download.headers["Content-Disposition"]
    text = download.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["Source", "Leads", "Bought within 30 days"]
    assert rows[1:] == sources
    assert web.get("/reports/lead-sources/nothing.csv").status_code == 404


def test_the_page_in_the_reader_s_locale(web, login_as, make):
    club = build_helsinki(make)
    login_as("manager", club=club)
    web.post("/locale", data={"locale": "de"})
    page = web.get("/reports/lead-sources?start=2026-02-01&end=2026-03-10")
    assert page.status_code == 200
    assert ">79,50\xa0€<" in page.text and ">26,0 Std.<" in page.text and ">33,3<" in page.text


def test_the_page_of_an_empty_club(web, login_as, make):
    login_as("manager", club=make.club())
    page = web.get("/reports/lead-sources?start=2026-02-01&end=2026-03-10")
    assert page.status_code == 200
    assert 'data-table="sources"' not in page.text     # nothing in the period
    assert len(table_values(page.text, "months")) == 2


def test_refused_filters_answer_400(web, login_as, make):
    login_as("manager")
    page = web.get("/reports/lead-sources?start=2026-03-10&end=2026-02-01")
    assert page.status_code == 400 and "must not be before its start" in page.text
    assert web.get("/reports/lead-sources/sources.csv?start=nonsense").status_code == 400


def test_an_owner_reads_the_whole_chain_with_an_average_per_currency(web, login_as, make):
    helsinki = build_helsinki(make)
    new_york = make.club(timezone="America/New_York", currency="USD")
    plan = make.plan(club=new_york, price_minor=4900)
    lead(new_york, "other", utc(3, 1, 2), sale=(plan, utc(3, 5), 4900, False))
    db.session.commit()
    login_as("owner")
    page = web.get("/reports/lead-sources?club=all&start=2026-02-01&end=2026-03-10")
    assert page.status_code == 200
    assert "Average first sale (EUR)" in page.text and "Average first sale (USD)" in page.text
    # 9 leads, 3 bought, 2 pending: 3 per 7 decided; 79.50 EUR over Helsinki's two, 49.00 USD over New York's one.
    total = table_values(page.text, "sources")[0]
    assert total[:3] == ["All sources", "9", "3"] and total[-2:] == ["79.50", "49.00"]
    assert ">$49.00<" in page.text and ">€79.50<" in page.text
    # One club of the chain: its own figures only, in its currency alone.
    one = web.get(f"/reports/lead-sources?club={helsinki.id}&start=2026-02-01&end=2026-03-10")
    assert "Average first sale (USD)" not in one.text
    assert table_values(one.text, "sources")[0][:2] == ["All sources", "8"]
