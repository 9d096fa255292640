"""The simulator's truth against the renewal rule it grades (year.py): a cycle renews on time when its uniform draw
U is below the on-time chance, else late when U is below that plus the late chance and what the tools that
reached it after the end add. What reached a cycle after its end is seen only for the cycles that lapsed."""
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from clubcrm.extensions import db
from clubcrm.models import Assignment, Club, Member, Membership, Plan
from clubcrm.simulation.effects import Response
from clubcrm.simulation.truth import PROGRAMME, compute
from clubcrm.simulation.year import Settled

FIRST, LAST = date(2026, 1, 1), date(2026, 6, 30)
ENDS = date(2026, 3, 31)
BASE, LATE, RENEWAL_OFFER, WIN_BACK = 0.80, 0.03, 0.02, 0.10
N = 100   # exposed cycles, with draws U on an even grid: their mean is the expectation over U


class Fixed:
    """Every member responds to a tool by its given effect."""

    def of(self, member_id: int, tool: str) -> Response:
        return Response({"renewal_offer": RENEWAL_OFFER, "win_back": WIN_BACK}.get(tool, 0.0), False)


def _cycles(n: int) -> tuple[int, list[int], list[int]]:
    club = Club(name="Truth", timezone="Europe/Helsinki", currency="EUR", country="FI", default_locale="en")
    db.session.add(club)
    db.session.flush()
    plan = Plan(club_id=club.id, name="Month", duration_days=30, price_minor=5900, currency="EUR")
    db.session.add(plan)
    db.session.flush()
    members = list(db.session.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True),
                                      [{"club_id": club.id, "first_name": f"M{i}"} for i in range(n)]).scalars())
    cycles = list(db.session.execute(
        insert(Membership).returning(Membership.id, sort_by_parameter_order=True),
        [{"club_id": club.id, "member_id": m, "plan_id": plan.id, "starts_on": ENDS - timedelta(days=29),
          "ends_on": ENDS, "price_minor": 5900, "currency": "EUR"} for m in members]).scalars())
    return club.id, members, cycles


def test_what_reaches_only_lapsed_cycles_counts_for_the_whole_arm(ctx):
    """The programme's exposed cycles get the renewal offer by their end (+2 points) and, if they lapse, the
    win-back (+10 points on the late renewal); the held ones get nothing. Over U the exposed renew with
    0.82 + min(0.18, 0.03 + 0.10) = 0.95 and the held with 0.83: the programme adds 12 points, which is what the
    report's arms differ by. Counting the win-back only on the 18 cycles that lapsed (it never reached the 82
    renewed on time, though it would have) made the truth 3.8 points. The win-back's own truth, over the lapsed
    cycles both its arms hold, stays what it adds to the chance left: 0.10 / 0.18."""
    club_id, members, cycles = _cycles(N + 1)
    settled, renewed, rows = [], 0, []
    for i, (member_id, cycle_id) in enumerate(zip(members, cycles, strict=True)):
        held = i == N
        u = (i + 0.5) / N if not held else 0.5
        reached = {} if held else {"renewal_offer": True}
        on_time = BASE + sum(Fixed().of(member_id, t).effect for t in reached)
        lapsed = u >= on_time
        if lapsed and not held:
            reached["win_back"] = False
            rows.append((member_id, cycle_id, "win_back", False, ENDS + timedelta(days=7)))
        if not held:
            renewed += u < on_time + (LATE + WIN_BACK if lapsed else 0)
        settled.append(Settled(cycle_id, member_id, ENDS, BASE, LATE, reached))
        rows.append((member_id, cycle_id, PROGRAMME, held, ENDS - timedelta(days=29)))
    db.session.execute(insert(Assignment), [
        {"club_id": club_id, "member_id": m, "membership_id": c, "tool_key": key, "held": held, "share_pct": 5,
         "first_on": first_on} for m, c, key, held, first_on in rows])
    db.session.flush()

    truth = compute(club_id, settled, Fixed(), FIRST, LAST, 30)

    assert renewed / N == pytest.approx(0.95)
    assert truth.assigned(PROGRAMME) == N + 1
    assert truth.effect(PROGRAMME) == pytest.approx(0.95 - (BASE + LATE))
    assert truth.assigned("win_back") == 18
    assert truth.effect("win_back") == pytest.approx(WIN_BACK / (1 - BASE - RENEWAL_OFFER))


def test_a_tool_that_puts_a_lapsed_member_off_takes_no_more_than_the_late_chance(ctx):
    """A member annoyed by the win-back (−4 points) cannot renew late with less than no chance: year.py renews
    late only for U below on-time + 3 − 4 points, never for a lapsed cycle, so the tool takes the 3 points of late
    chance, 0.03 / (1 − on-time chance) of the chance left, not 4 points' worth."""
    club_id, members, cycles = _cycles(1)

    class Annoyed:
        def of(self, member_id: int, tool: str) -> Response:
            return Response(-0.04 if tool == "win_back" else 0.0, False)

    db.session.execute(insert(Assignment), [
        {"club_id": club_id, "member_id": members[0], "membership_id": cycles[0], "tool_key": "win_back",
         "held": False, "share_pct": 10, "first_on": ENDS + timedelta(days=7)}])
    truth = compute(club_id, [Settled(cycles[0], members[0], ENDS, BASE, LATE, {"win_back": False})], Annoyed(),
                    FIRST, LAST, 30)
    assert truth.effect("win_back") == pytest.approx(-LATE / (1 - BASE))
