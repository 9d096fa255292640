"""The assignment log: both arms of a tool enter it the first day the tool's trigger fires, by the same rule,
whether or not a contact follows; the programme holdout gets no engine contact; the migration fills the log from
the touchpoints that were there before it."""
from datetime import timedelta

from sqlalchemy import insert, select, text, update

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import planner
from clubcrm.models import Assignment, Club, Membership, StaffContact, Tool, Touchpoint, Visit
from tests.conftest import NOW, TODAY
from tests.lifecycle import no_holdouts
from tests.lifecycle import run_pass as run


def newcomer(make, plan):
    """A member whose year started 7 days ago, who has not come, and whom staff spoke with two days ago (so a
    staff call waits: the first-visit call fires today but is not planned today)."""
    member = make.member(sms_consent=False)
    make.membership(member, plan, today=TODAY - timedelta(days=7))
    with unit_of_work():
        db.session.execute(insert(StaffContact), [{
            "club_id": member.club_id, "member_id": member.id, "outcome": "reached",
            "created_at": NOW - timedelta(days=2)}])
    return member


def cycle_of(member) -> int:
    return db.session.scalar(select(Membership.id).where(Membership.member_id == member.id))


def arms(tool_key: str, *people) -> dict[int, tuple[bool, object, int]]:
    """The logged (held, first day, share) of the tool per member (of PEOPLE only, when given)."""
    ids = {p.id for p in people}
    return {row.member_id: (row.held, row.first_on, row.share_pct) for row in db.session.scalars(
        select(Assignment).where(Assignment.tool_key == tool_key)) if not ids or row.member_id in ids}


def test_both_arms_enter_the_log_on_the_first_firing_and_a_member_who_comes_back_stays_in_hers(make):
    plan = make.plan(duration_days=365)
    no_holdouts(make.default_club.id)
    with unit_of_work():
        db.session.execute(update(Tool).where(Tool.key == "first_visit_call").values(holdout_pct=50))
    tool = db.session.scalars(select(Tool).where(Tool.key == "first_visit_call")).one()
    people = {True: None, False: None}
    while None in people.values():
        member = newcomer(make, plan)
        held = planner.held_out(member.id, tool, cycle_of(member))
        people[held] = people[held] or member
    held, assigned = people[True], people[False]

    run()
    calls = {p.member_id: p.status for p in db.session.scalars(
        select(Touchpoint).where(Touchpoint.tool_id == tool.id)) if p.member_id in (held.id, assigned.id)}
    # The held-out cycle is recorded today; the assigned one's call waits for the recent talk to age; before
    # the log, only the held-out arm was recorded on this day.
    assert calls == {held.id: "held_out"}
    assert arms("first_visit_call", held, assigned) == {held.id: (True, TODAY, 50), assigned.id: (False, TODAY, 50)}

    # The assigned member comes in on her own the next day: the trigger stops firing, no call is ever planned,
    # and she stays in the arm she was drawn into (intention to treat).
    with unit_of_work():
        db.session.execute(insert(Visit), [{"club_id": assigned.club_id, "member_id": assigned.id,
                                            "membership_id": cycle_of(assigned), "source": "desk",
                                            "checked_in_at": NOW + timedelta(hours=3)}])
        db.session.execute(update(Tool).where(Tool.key == "first_visit_call").values(holdout_pct=0))
    clock.set_now(NOW + timedelta(days=1))
    run()
    called = db.session.scalars(select(Touchpoint.member_id).where(Touchpoint.tool_id == tool.id)).all()
    assert assigned.id not in called
    # The share edited since does not move a cycle drawn before it: the row keeps the share it was drawn at.
    assert arms("first_visit_call", held, assigned) == {held.id: (True, TODAY, 50), assigned.id: (False, TODAY, 50)}


def test_the_programme_holdout_gets_no_engine_contact_and_its_draw_is_logged_for_every_cycle(make):
    club = make.default_club
    plan = make.plan(duration_days=365)
    no_holdouts(club.id)
    with unit_of_work():
        db.session.get(Club, club.id).programme_holdout_pct = 50
    members = []
    for _ in range(40):
        member = make.member(sms_consent=True)
        make.membership(member, plan, today=TODAY)   # starts today: the welcome SMS fires for all
        members.append(member)
    held = {m.id for m in members if planner.programme_held(m.id, TODAY.year, 50)}
    assert 5 < len(held) < 35   # both arms are there

    plan_today = run()
    contacted = {p.member_id for p in plan_today.touchpoints}
    assert contacted and not contacted & held
    assert contacted == {m.id for m in members} - held
    programme = arms("programme")
    assert programme == {m.id: (m.id in held, TODAY, 50) for m in members}
    # Nothing of any tool is drawn for a cycle held out of the programme: it is in no tool's comparison.
    assert not {row.member_id for row in db.session.scalars(
        select(Assignment).where(Assignment.tool_key != "programme"))} & held
    # Service messages still reach them: a message staff write by hand is no engine contact (see the outbox
    # tests); here, a rerun keeps them out.
    clock.set_now(NOW + timedelta(days=3))
    assert not {p.member_id for p in run().touchpoints} & held


def test_the_programme_draw_is_per_member_and_year_about_its_share():
    for share in (5, 10):
        held = sum(planner.programme_held(member_id, 2026, share) for member_id in range(1, 20_001))
        assert abs(held / 200 - share) < 1, (share, held)
    # Another year, another draw: overlap near share² (independent), not share (the same members every year).
    this, next_year = ({m for m in range(1, 20_001) if planner.programme_held(m, year, 10)} for year in (2026, 2027))
    assert len(this & next_year) < 0.2 * len(this)
    # Independent of the tools' draws.
    tool = Tool(key="welcome", holdout_pct=10)
    both = sum(1 for m in this if planner.held_out(m, tool, m))
    assert abs(both / len(this) - 0.10) < 0.03


def test_the_migration_fills_the_log_from_the_touchpoints_there_before_it(make, app):
    """Downgrade one step, leave touchpoints as the engine wrote them before the log, upgrade: one row per cycle
    and tool, in the arm its touchpoints show, on the day of the first one."""
    from flask_migrate import downgrade, upgrade

    member = make.member(sms_consent=True)
    other = make.member(sms_consent=True)
    plan = make.plan(duration_days=365)
    make.membership(member, plan, today=TODAY - timedelta(days=20))
    make.membership(other, plan, today=TODAY - timedelta(days=20))
    no_holdouts(make.default_club.id)
    with unit_of_work():
        tools = {t.key: t for t in db.session.scalars(select(Tool))}
        db.session.execute(update(Tool).where(Tool.key == "silence").values(holdout_pct=20))
    cycle, other_cycle = cycle_of(member), cycle_of(other)
    club_id = make.default_club.id
    tool_ids = {key: tool.id for key, tool in tools.items()}
    rules = {key: tools[key].rules[0].id for key in ("welcome", "silence")}
    rows = [  # (member, cycle, tool, rule, occurrence, status, due)
        (member.id, cycle, "welcome", 0, "sent", TODAY - timedelta(days=20)),
        (member.id, cycle, "silence", 1, "held_out", TODAY - timedelta(days=8)),
        (member.id, cycle, "silence", 2, "held_out", TODAY - timedelta(days=2)),
        (other.id, other_cycle, "silence", 1, "planned", TODAY - timedelta(days=5)),
    ]
    db.session.remove()
    with app.app_context():
        downgrade(directory="migrations", revision="7c1e5a9d2b40")
        with unit_of_work():
            for member_id, membership_id, key, occurrence, status, due in rows:
                db.session.execute(text(
                    "INSERT INTO touchpoint (club_id, member_id, membership_id, tool_id, rule_id, occurrence, stage,"
                    " channel, status, facts, due_on, planned_at) VALUES (:club, :member, :cycle, :tool, :rule,"
                    " :occurrence, 'active', 'sms', :status, '{}', :due, :at)"),
                    {"club": club_id, "member": member_id, "cycle": membership_id,
                     "tool": tool_ids[key], "rule": rules[key], "occurrence": occurrence, "status": status,
                     "due": due, "at": NOW - timedelta(days=30)})
        upgrade(directory="migrations")
    got = {(row.member_id, row.tool_key): (row.held, row.share_pct, row.first_on, row.membership_id)
           for row in db.session.scalars(select(Assignment))}
    assert got == {
        (member.id, "welcome"): (False, 0, TODAY - timedelta(days=20), cycle),
        (member.id, "silence"): (True, 20, TODAY - timedelta(days=8), cycle),
        (other.id, "silence"): (False, 20, TODAY - timedelta(days=5), other_cycle),
    }
