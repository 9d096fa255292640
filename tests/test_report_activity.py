"""The manager's KPIs on the member base (growth, visits, cohorts, contact coverage, at-risk list), on small
hand-built data sets whose numbers are worked out by hand. Today is Tuesday 10 March 2026 (Helsinki, UTC+2)."""
from datetime import date

import pytest

from clubcrm.reports.activity import (
    RISK_REASONS, AtRisk, Cohort, Coverage, MonthGrowth, WeekVisits, at_risk, base_growth, cohort_retention,
    contact_coverage, visits_per_week,
)
from tests.test_report_kpis import contact, contract, package, person, scope, utc, visit


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def test_base_growth_per_month(make):
    club = make.club()
    plan, other = make.plan(club=club), make.plan(club=club)
    contract(person(club), plan, d(1, 10), d(2, 8))                                 # a
    contract(person(club), plan, d(1, 15), d(3, 15), cancelled_on=d(2, 15))         # b: last day 14 Feb
    contract(person(club), plan, d(2, 1), d(3, 31))                                 # c
    dora = person(club)                                                             # d: renewed without a gap
    contract(dora, plan, d(2, 1), d(4, 30), renews=contract(dora, plan, d(12, 2, 2025), d(1, 31)))
    contract(person(club), plan, d(3, 5), d(4, 3))                                  # e
    contract(person(club), plan, d(3, 20), d(4, 18))                                # f: starts after today
    gus = person(club)                                                              # g: first sale refunded
    contract(gus, plan, d(1, 20), d(2, 18), cancelled_on=d(1, 20))
    contract(gus, plan, d(2, 10), d(3, 11))
    contract(person(club), other, d(1, 5), d(3, 31))                                # h: another plan
    # A month starts with the base the previous month ended with (on its last day): the table reconciles.
    # Dec: nobody on 30 Nov; d on the 31st, d joined.                              -> 0, 1, +1, -0, None
    # Jan: d on 31 Dec; a b d h on the 31st; a b h joined.                          -> 1, 4, +3, -0, +300 %
    # Feb: a b d h on 31 Jan; c d g h on the 28th; c g joined; 4 + 2 - 4 left.     -> 4, 4, +2, -2, 0 %
    # Mar (under way: counted on today, the 10th): c d g h, then c d e g h; e.     -> 4, 5, +1, -0, +25 %
    # April has not begun: left out.
    period = scope(club, start=d(12, 1, 2025), end=d(4, 30))
    assert base_growth(period) == [
        MonthGrowth(d(12, 1, 2025), 0, 1, 1, 0, None),
        MonthGrowth(d(1, 1), 1, 4, 3, 0, 300.0),
        MonthGrowth(d(2, 1), 4, 4, 2, 2, 0.0),
        MonthGrowth(d(3, 1), 4, 5, 1, 0, 25.0),
    ]
    # Without h (the other plan): Jan 1 -> 3, +2; Feb 3 -> 3, +2, -2; Mar 3 -> 4, +1.
    assert base_growth(scope(club, start=d(12, 1, 2025), end=d(4, 30), plan=plan)) == [
        MonthGrowth(d(12, 1, 2025), 0, 1, 1, 0, None),
        MonthGrowth(d(1, 1), 1, 3, 2, 0, 200.0),
        MonthGrowth(d(2, 1), 3, 3, 2, 2, 0.0),
        MonthGrowth(d(3, 1), 3, 4, 1, 0, pytest.approx(100 / 3)),
    ]
    # Issue 16: each month's end is the next month's start.
    for table in (base_growth(period), base_growth(scope(club, start=d(12, 1, 2025), end=d(4, 30), plan=plan))):
        assert all(before.end_count == after.start_count for before, after in zip(table, table[1:], strict=False))


def test_visits_per_week_in_each_clubs_local_days(make):
    helsinki = make.club(timezone="Europe/Helsinki")              # UTC+2
    new_york = make.club(timezone="America/New_York")             # UTC-5, UTC-4 from Sunday 8 March
    plan, other, american = make.plan(club=helsinki), make.plan(club=helsinki), make.plan(club=new_york)
    nick = person(new_york)
    nicks = contract(nick, american, d(2, 1), d(3, 31))
    visit(nick, utc(3, 1, 10), nicks)          # Sunday 1 Mar: the week before the period
    visit(nick, utc(3, 3, 15), nicks)          # Tuesday 3 Mar
    visit(nick, utc(3, 9, 2, 30), nicks)       # Monday 9 Mar in UTC, Sunday 8 Mar 22:30 in New York
    hanna = person(helsinki)
    hannas = contract(hanna, plan, d(3, 1), d(3, 30))
    visit(hanna, utc(3, 8, 22, 30), hannas)    # Sunday 8 Mar in UTC, Monday 9 Mar 00:30 in Helsinki
    visit(hanna, utc(3, 9, 10), hannas)
    visit(hanna, utc(3, 15, 22, 30), hannas)   # Monday 16 Mar local: after the period's weeks
    contract(person(helsinki), plan, d(2, 1), d(3, 2))     # active on the Monday of the first week only
    contract(person(helsinki), plan, d(3, 16), d(4, 14))   # not started yet
    olli = person(helsinki)
    visit(olli, utc(3, 4), contract(olli, other, d(3, 1), d(3, 31)))
    # Week of 2 Mar: Nick 3rd and 8th, Olli 4th = 3 visits; Nick, Hanna, the one ending 2 Mar, Olli = 4 active.
    # Week of 9 Mar: Hanna twice; Nick, Hanna, Olli active.
    both = scope(helsinki, new_york, start=d(3, 2), end=d(3, 10))
    assert visits_per_week(both) == [
        WeekVisits(d(3, 2), 3, 4, 0.75),
        WeekVisits(d(3, 9), 2, 3, pytest.approx(2 / 3)),
    ]
    # One plan: only visits on its memberships, only its members.
    assert visits_per_week(scope(helsinki, new_york, start=d(3, 4), end=d(3, 10), plan=plan)) == [
        WeekVisits(d(3, 2), 0, 2, 0.0),
        WeekVisits(d(3, 9), 2, 1, 2.0),
    ]
    assert visits_per_week(scope(helsinki, start=d(1, 5), end=d(1, 5))) == [WeekVisits(d(1, 5), 0, 0, None)]


def test_cohort_retention_leaves_months_not_over_empty(make):
    club = make.club()
    plan = make.plan(club=club)
    contract(person(club), plan, d(12, 5, 2025), d(1, 3))                                    # p
    quinn = person(club)                                                                     # q: renewed
    contract(quinn, plan, d(1, 9), d(3, 31), renews=contract(quinn, plan, d(12, 10, 2025), d(1, 8)))
    contract(person(club), plan, d(12, 20, 2025), d(2, 20), cancelled_on=d(1, 15))           # r: till 14 Jan
    sami = person(club)                                                                      # s: joined in Oct
    contract(sami, plan, d(10, 1, 2025), d(10, 30, 2025))
    contract(sami, plan, d(12, 1, 2025), d(12, 30, 2025))
    contract(person(club), plan, d(1, 31), d(3, 1))                                          # t
    contract(person(club), plan, d(1, 10), d(2, 8), cancelled_on=d(1, 10))                   # u: refunded
    # Nov: nobody joined. Dec: p q r; on 31 Dec all 3, on 31 Jan q, on 28 Feb q; 31 Mar is after today.
    # Jan: t; on 31 Jan and 28 Feb there; March and April not over.
    cohorts = cohort_retention(scope(club, start=d(11, 1, 2025), end=d(1, 31)), months=4)
    assert cohorts == [
        Cohort(d(11, 1, 2025), 0, [None, None, None, None]),
        Cohort(d(12, 1, 2025), 3, [1.0, pytest.approx(1 / 3), pytest.approx(1 / 3), None]),
        Cohort(d(1, 1), 1, [1.0, 1.0, None, None]),
    ]
    assert len(cohort_retention(scope(club, start=d(1, 1), end=d(1, 31)))[0].retained) == 12


def test_contact_coverage_this_month(make):
    club = make.club()
    plan, other = make.plan(club=club), make.plan(club=club)
    nina = person(club)
    contract(nina, plan, d(2, 20), d(5, 20))              # new (18 days in)
    contact(nina, utc(3, 3))                              # spoken this month
    nils = person(club)
    contract(nils, plan, d(3, 1), d(5, 31))               # new
    contact(nils, utc(3, 4), "no_answer")                 # not a conversation
    contact(nils, utc(2, 27))                             # last month
    rita = person(club)
    contract(rita, plan, d(1, 1), d(4, 30))
    visit(rita, utc(2, 20))                               # silent since 20 Feb: at risk
    contact(rita, utc(2, 28, 22, 30))                     # 1 Mar 00:30 in Helsinki: this month
    contract(person(club), other, d(12, 1, 2025), d(6, 1))           # never came: at risk
    rolf = person(club)                                               # renewed without a gap, last came 20 Jan
    contract(rolf, plan, d(2, 1), d(4, 30), renews=contract(rolf, plan, d(11, 1, 2025), d(1, 31)))
    visit(rolf, utc(1, 20))
    vera = person(club)
    contract(vera, plan, d(1, 1), d(4, 30))
    visit(vera, utc(2, 25))                               # came 13 days ago: fine
    contact(vera, utc(3, 2))
    returning = person(club)                              # back on 1 Mar after a year away: not yet silent
    contract(returning, plan, d(1, 1, 2024), d(12, 31, 2024))
    contract(returning, plan, d(3, 1), d(5, 31))
    contract(person(club), plan, d(12, 1, 2025), d(3, 1))            # lapsed: not counted
    # New: Nina, Nils (Nina spoken). At risk: Rita, the one on the other plan, Rolf (Rita spoken). 2 of 5.
    assert contact_coverage(scope(club, start=d(3, 1), end=d(3, 10))) == Coverage(2, 1, 3, 1, 0.4)
    assert contact_coverage(scope(club, start=d(3, 1), end=d(3, 10), plan=other)) == Coverage(0, 0, 1, 0, 0.0)
    empty = make.club()
    assert contact_coverage(scope(empty, start=d(3, 1), end=d(3, 10))) == Coverage(0, 0, 0, 0, None)


def test_at_risk_reasons_and_order(make):
    club = make.club()
    plan, other = make.plan(club=club), make.plan(club=club)
    service = make.service(club=club)
    earlier = [utc(1, 15), utc(1, 20), utc(1, 25)]        # with 1 Feb: 4 visits in 14 Jan .. 10 Feb

    def member(first, last, *visits, plan=plan, renewed=False, **values):
        someone = person(club, phone=values.pop("phone", None), first_name=values.pop("name", "Test"))
        membership = contract(someone, plan, first, last)
        if renewed:
            contract(someone, plan, last.replace(day=last.day + 1), d(6, 20), renews=membership)
        for instant in visits:
            visit(someone, instant, membership)
        return someone

    ada = member(d(1, 1), d(6, 30), utc(2, 20))                             # silent since 20 Feb
    ben = member(d(1, 1), d(6, 30), *earlier, utc(2, 1), utc(3, 5))         # 4 visits, then 1: dropping
    member(d(1, 1), d(6, 30), *earlier, utc(2, 1), utc(3, 5), utc(3, 6))    # 4, then 2: not quite
    cleo = member(d(12, 1, 2025), d(3, 20), utc(3, 8))                      # ends in 10 days
    member(d(12, 1, 2025), d(3, 20), utc(3, 8), renewed=True)               # ... but renewed
    member(d(12, 1, 2025), d(3, 24), utc(3, 8))                             # ends in 14 days: not yet
    dana = member(d(1, 1), d(6, 30), utc(3, 8))
    package(dana, service, 2)                                               # 2 units left
    package(member(d(1, 1), d(6, 30), utc(3, 8)), service, 3)
    package(member(d(1, 1), d(6, 30), utc(3, 8)), service, 1, expires_on=d(3, 9))    # expired
    eve = member(d(3, 1), d(5, 29), utc(2, 25))                             # 9 days in, came only as a lead
    member(d(3, 5), d(6, 2))                                                # 5 days in: still in grace
    fay = member(d(12, 1, 2025), d(3, 15), *earlier, utc(2, 1, 22, 30), name="Fay", phone="+358401234567")
    package(fay, service, 1)
    gil = member(d(1, 1), d(3, 12), utc(2, 1))                              # silent, ends in 2 days
    hal = member(d(1, 1), d(6, 30), plan=other)                             # never came
    package(hal, service, 1)
    member(d(12, 1, 2025), d(2, 28))                                        # lapsed
    person(club)                                                            # a lead

    # Fay's last visit, 1 Feb 22:30 UTC, is 2 Feb in Helsinki.
    fays = AtRisk(fay.id, "Fay", "+358401234567", 5, d(2, 2),
                  ("no_visit_14", "visits_dropping", "ending_unrenewed", "low_balance"))
    # Most reasons first; then the nearest end; then the member's id.
    expected = [
        fays,
        (gil.id, 2, ("no_visit_14", "ending_unrenewed")),
        (hal.id, 112, ("no_visit_14", "low_balance")),
        (cleo.id, 10, ("ending_unrenewed",)),
        (eve.id, 80, ("new_no_visits",)),
        (ada.id, 112, ("no_visit_14",)),
        (ben.id, 112, ("visits_dropping",)),
        (dana.id, 112, ("low_balance",)),
    ]
    found = at_risk(scope(club, start=d(3, 1), end=d(3, 10)))
    assert found[0] == fays
    assert [(r.member_id, r.days_left, r.reasons) for r in found[1:]] == expected[1:]
    assert {r.last_visit for r in found if r.member_id in (ada.id, eve.id, hal.id)} == {d(2, 20), d(2, 25), None}
    assert {code for r in found for code in r.reasons} == set(RISK_REASONS)
    assert [r.member_id for r in at_risk(scope(club, start=d(3, 1), end=d(3, 10)), limit=3)] == [
        fay.id, gil.id, hal.id]
    assert [r.member_id for r in at_risk(scope(club, start=d(3, 1), end=d(3, 10), plan=other))] == [hal.id]
