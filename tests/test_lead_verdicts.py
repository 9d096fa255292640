"""Which lead tool brings sales (issue 17): the renewal report's per-tool code applied to lead cycles, with "bought
within the cycle" as the outcome, counted here by hand from the assignment log and the cycles' outcomes."""
from datetime import timedelta

from sqlalchemy import select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle.tools import LEAD_TOOLS
from clubcrm.models import Assignment, ClubSession, LeadCycle, Member
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import lead_tool_report, tool_report
from clubcrm.services import lead_cycles, members, opening_hours
from tests.conftest import NOW, TODAY


def test_the_lead_report_compares_each_tools_arms_by_sales_within_the_cycle(make, app):
    club = make.default_club
    with unit_of_work():
        opening_hours.add_defaults(club)
    make.lead_tools(holdout_pct=50)
    with unit_of_work():   # a trial session with room: the invitation fires for every lead
        db.session.add(ClubSession(club_id=club.id, kind="trial", title="Trial", starts_at=NOW + timedelta(days=1),
                                   ends_at=NOW + timedelta(days=1, hours=1), capacity=100))
    plan = make.plan(duration_days=30, price_minor=4900)
    desk = make.desk()
    clock.set_now(NOW)
    people = []
    with unit_of_work():
        for i in range(40):
            people.append(members.create_walk_in(desk, club, {"first_name": f"Lead{i}", "phone": f"040 600 {i:04d}"}))
    # Every third lead buys on day 3; a lead who came 20 days before the report's day is not decided yet.
    for person in people[::3]:
        make.membership(db.session.get(Member, person.id), plan, today=TODAY + timedelta(days=3))
    late_day = NOW + timedelta(days=50)
    clock.set_now(late_day)
    with unit_of_work():
        late = members.create_walk_in(desk, club, {"first_name": "Late", "phone": "040 699 0000"})
    read_on = NOW + timedelta(days=app.config["LEAD_CYCLE_DAYS"] + 10)
    clock.set_now(read_on)
    with unit_of_work():
        lead_cycles.close_timed_out(read_on)

    report = lead_tool_report(Scope((club.id,), TODAY - timedelta(days=30), read_on.date(), read_on.date()))
    assert report.programme is None and [t.tool for t in report.tools] == list(LEAD_TOOLS)
    won = {c.id: c.outcome == "won" for c in db.session.scalars(select(LeadCycle))}
    late_cycle = lead_cycles.cycles_of(late.id)[0].id
    by_tool = {t.tool: t for t in report.tools}
    for key in ("lead_first_call", "lead_trial_invite"):
        draws = [a for a in db.session.scalars(select(Assignment).where(Assignment.tool_key == key))
                 if a.lead_cycle_id != late_cycle]
        exposed = [won[a.lead_cycle_id] for a in draws if not a.held]
        held = [won[a.lead_cycle_id] for a in draws if a.held]
        assert exposed and held, key
        c = by_tool[key].comparison
        assert (c.exposed_n, c.held_n) == (len(exposed), len(held))
        assert (c.exposed_renewed, c.held_renewed) == (sum(exposed), sum(held))
        assert abs(c.difference - (sum(exposed) / len(exposed) - sum(held) / len(held))) < 1e-9
    # The first sale's value prices the extra sale: 49.00 a membership.
    assert by_tool["lead_first_call"].currency == "EUR"
    # The renewal report keeps to the members' tools, and the lead report to the leads'.
    renewals = tool_report(Scope((club.id,), TODAY - timedelta(days=30), read_on.date(), read_on.date()))
    assert not {t.tool for t in renewals.tools} & set(LEAD_TOOLS) and renewals.programme is not None
