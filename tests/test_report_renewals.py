"""The renewal report on small hand-built clubs, with every number worked out here (the per-tool comparison is
tested in test_report_tools.py)."""
from datetime import UTC, date, datetime

import pytest

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Membership
from clubcrm.reports.renewals import renewal_report
from clubcrm.reports.scope import Scope
from tests.conftest import TODAY

JAN = date(2026, 1, 1)
PERIOD = (date(2025, 12, 1), date(2026, 2, 28))   # TODAY is 2026-03-10: ends after 2026-02-08 are pending


def contract(member, plan, starts: date, ends: date, renews=None, cancelled_on=None) -> Membership:
    with unit_of_work():
        m = Membership(club_id=member.club_id, member_id=member.id, plan_id=plan.id, starts_on=starts, ends_on=ends,
                       renews_id=renews.id if renews else None, price_minor=plan.price_minor, currency=plan.currency,
                       cancelled_on=cancelled_on,
                       cancelled_at=datetime(2026, 1, 1, tzinfo=UTC) if cancelled_on else None)
        db.session.add(m)
    return m


@pytest.fixture
def club(make):
    return build_club(make)


def build_club(make):
    """One club's contracts; TODAY is 10 March 2026, so a cycle ending on or after 8 February is pending.

    Month plan: a (1–30 Dec) renewed by a2 (31 Dec–29 Jan) renewed by a3 (30 Jan–28 Feb, pending); b (January,
    not renewed); c (ends 2 Mar, after the period); d (January) whose renewal d2 was refunded on its first day;
    e (1 Jan–30 Jun) cancelled on 15 Jan, so its last day is 14 Jan. Year plan: f and g renewed, h not renewed
    after an earlier contract h0. Outside: k ended in November, x was refunded before it began.
    """
    month, year = make.plan(name="Month", duration_days=30), make.plan(name="Year", duration_days=365)
    people = {key: make.member() for key in "abcdefghkx"}
    a = contract(people["a"], month, date(2025, 12, 1), date(2025, 12, 30))
    a2 = contract(people["a"], month, date(2025, 12, 31), date(2026, 1, 29), renews=a)
    contract(people["a"], month, date(2026, 1, 30), date(2026, 2, 28), renews=a2)
    contract(people["b"], month, JAN, date(2026, 1, 30))
    contract(people["c"], month, date(2026, 2, 1), date(2026, 3, 2))                  # ends after the period
    d = contract(people["d"], month, JAN, date(2026, 1, 30))
    contract(people["d"], month, date(2026, 1, 31), date(2026, 3, 1), renews=d, cancelled_on=date(2026, 1, 31))
    contract(people["e"], month, JAN, date(2026, 6, 30), cancelled_on=date(2026, 1, 15))
    f = contract(people["f"], year, date(2025, 2, 1), date(2026, 1, 31))
    contract(people["f"], year, date(2026, 2, 1), date(2027, 1, 31), renews=f)
    g = contract(people["g"], year, date(2025, 3, 1), date(2026, 2, 28))
    contract(people["g"], year, date(2026, 3, 1), date(2027, 2, 28), renews=g)
    contract(people["h"], year, date(2024, 1, 1), date(2024, 12, 31))
    contract(people["h"], year, date(2025, 1, 1), date(2025, 12, 31))
    contract(people["k"], month, date(2025, 11, 1), date(2025, 11, 30))
    contract(people["x"], month, date(2026, 1, 10), date(2026, 2, 8), cancelled_on=date(2026, 1, 10))
    return make.default_club, month, year


def scope_of(club, plan=None) -> Scope:
    return Scope((club.id,), *PERIOD, TODAY, plan.id if plan else None)


def test_renewal_report_counts_by_hand(club):
    club, month, year = club
    report = renewal_report(scope_of(club))
    # Cycles ending 1 Dec–28 Feb: a (30 Dec), a2 (29 Jan), a3 (28 Feb), b (30 Jan), d (30 Jan), e (14 Jan),
    # f (31 Jan), g (28 Feb), h (31 Dec) = 9. Renewed: a, a2, f, g = 4. Pending (ended on or after 8 Feb and not
    # renewed): a3 = 1. Rate 4 / (9 - 1) = 50%.
    total = report.total
    assert (total.cycles, total.renewed, total.pending) == (9, 4, 1)
    assert total.rate == pytest.approx(0.5)
    by_plan = {r.label: (r.cycles, r.renewed, r.pending) for r in report.by_plan}
    # Month: a, a2, a3, b, d, e = 6 with 2 renewed, 1 pending; Year: f, g, h = 3 with 2 renewed.
    assert by_plan == {"Month": (6, 2, 1), "Year": (3, 2, 0)}
    by_cycle = {r.key: (r.cycles, r.renewed, r.pending) for r in report.by_cycle}
    # Later cycles: a2, a3 (after a), h (after h0); the rest are first cycles (d's refunded renewal does not
    # make anything later, x never was a cycle).
    assert by_cycle == {"first": (6, 3, 0), "later": (3, 1, 1)}
    assert [(r.label, r.cycles) for r in report.by_club] == [(club.name, 9)]


def test_renewal_report_for_one_plan_and_an_empty_period(club):
    club, month, year = club
    only_year = renewal_report(scope_of(club, year)).total
    assert (only_year.cycles, only_year.renewed, only_year.pending) == (3, 2, 0)
    empty = renewal_report(Scope((club.id,), date(2020, 1, 1), date(2020, 12, 31), TODAY)).total
    assert (empty.cycles, empty.rate) == (0, None)


def test_a_chain_report_adds_clubs_up(club, make):
    club, month, year = club
    other = make.club(name="Other Club")
    plan = make.plan(club=other, name="Other month", duration_days=30)
    m = make.member(club=other)
    first = contract(m, plan, date(2026, 1, 1), date(2026, 1, 30))
    contract(m, plan, date(2026, 1, 31), date(2026, 3, 1), renews=first)
    report = renewal_report(Scope((club.id, other.id), *PERIOD, TODAY))
    assert (report.total.cycles, report.total.renewed) == (10, 5)
    assert {r.label: r.cycles for r in report.by_club} == {club.name: 9, "Other Club": 1}
    # A manager's scope of one club does not see the other.
    assert renewal_report(scope_of(club)).total.cycles == 9
