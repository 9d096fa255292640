"""The lead tools in the lifecycle engine (issue 17): a lead's first call planned the moment the lead comes and due
one opening hour later, the trial invitation SMS (consent only), follow-up calls while nobody has reached the lead,
the trial reminder, the call after the trial and the last offer; each tool with its holdout, nothing planned twice."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, insert, select

from clubcrm import clock, integrity
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.lifecycle.tools import LEAD_TOOLS
from clubcrm.models import Assignment, ClubSession, LeadCycle, Member, Message, Rule, StaffContact, Touchpoint
from clubcrm.services import api_tokens, lead_cycles, members, opening_hours, sessions, tasks
from clubcrm.sms import dispatch as dispatching
from tests.conftest import NOW

HELSINKI = ZoneInfo("Europe/Helsinki")
# NOW is Tuesday 10 March 2026, 10:00 in Helsinki; the default hours open weekdays 06-22, weekends 08-20.


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI).astimezone(UTC)


TODAY = NOW.astimezone(HELSINKI).date()


@pytest.fixture
def club(make):
    """The default club with its default opening hours, the lead tools on (nobody held out), and a trial session
    with room on Thursday evening."""
    club = make.default_club
    with unit_of_work():
        opening_hours.add_defaults(club)
    make.lead_tools()
    trial_at(club, TODAY + timedelta(days=2))
    return club


def trial_at(club, day: date, hour: int = 18, capacity: int = 5) -> ClubSession:
    with unit_of_work():
        session = ClubSession(club_id=club.id, kind="trial", title="Trial workout", starts_at=local(day, hour),
                              ends_at=local(day, hour + 1), capacity=capacity)
        db.session.add(session)
    return session


def lead(make, club, consent: bool = True, when: datetime | None = None, **values) -> Member:
    if when is not None:
        clock.set_now(when)
    with unit_of_work():
        member = members.create_walk_in(make.desk(), club, {
            "first_name": values.pop("first_name", "Lena"), "phone": values.pop("phone", "040 555 0101"),
            "sms_consent": consent, **values})
    return member


def points(member_id: int) -> list[Touchpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(Touchpoint).where(Touchpoint.member_id == member_id)
                                   .order_by(Touchpoint.id)))


def by_rule(member_id: int) -> dict[str, Touchpoint]:
    return {tp.rule.key: tp for tp in points(member_id)}


def messages(member_id: int) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.member_id == member_id).order_by(Message.id)))


def run(now: datetime) -> list:
    clock.set_now(now)
    with unit_of_work():
        planned = engine.run(now).touchpoints
    return planned


def test_a_web_form_lead_with_consent_gets_the_invitation_in_waking_hours_and_a_call_within_an_opening_hour(
        web, make, club, twilio):
    fake, settings, client = twilio
    with unit_of_work():
        token = api_tokens.issue(make.staff("desk"), "web form")
    # 23:30 on Tuesday evening: the club closed at 22:00, the SMS window ended at 20:00.
    clock.set_now(local(TODAY, 23, 30))
    answer = web.open("POST", "/api/v1/leads", headers={"Authorization": f"Bearer {token}"},
                      json={"name": "Web Lead", "phone": "040 800 0001", "consent": True})
    assert answer.status_code == 201, answer.json
    member_id = answer.json["member"]["id"]
    # Right after the call returns: the first call, due one opening hour after Wednesday's 06:00 opening.
    got = by_rule(member_id)
    call, invite = got["lead_first_call"], got["lead_trial_invite"]
    assert (call.channel, call.status, call.task_kind, call.stage) == ("task", "planned", "call_back", "lead")
    assert call.due_at == local(TODAY + timedelta(days=1), 7, 0) and call.lead_cycle_id is not None
    assert call.membership_id is None
    assert (invite.channel, invite.status, invite.session_id is not None) == ("sms", "planned", True)
    [message] = messages(member_id)
    assert "Trial workout" in message.body and message.lead_cycle_id == call.lead_cycle_id
    assert message.touchpoint_id == invite.id
    # Not sent at night: deferred to 09:00 the next morning, then sent.
    report = dispatching.dispatch(local(TODAY, 23, 31), settings, client)
    assert (report.sent, fake.received) == (0, [])
    # A second lead's invitation, sent too: two leads' SMS of one rule are not one contact sent twice.
    second = web.open("POST", "/api/v1/leads", headers={"Authorization": f"Bearer {token}"},
                      json={"name": "Other Lead", "phone": "040 800 0002", "consent": True})
    assert second.status_code == 201
    assert dispatching.dispatch(local(TODAY + timedelta(days=1), 9, 0), settings, client).sent == 2
    assert sorted(r.to for r in fake.received) == ["+358408000001", "+358408000002"]
    assert integrity.problems() == []
    # The first call is on Today, at the top, due 07:00; overdue after it.
    morning = TODAY + timedelta(days=1)
    [task] = [t for t in tasks.today(club, morning, now=local(morning, 6, 30))
              if t.touchpoint.member_id == member_id]
    assert not task.overdue
    [task] = [t for t in tasks.today(club, morning, now=local(morning, 7, 1)) if t.touchpoint.member_id == member_id]
    assert task.overdue


def test_a_lead_in_the_afternoon_is_due_an_hour_later(make, club):
    member = lead(make, club, when=local(TODAY, 14, 10))
    assert by_rule(member.id)["lead_first_call"].due_at == local(TODAY, 15, 10)


def test_a_lead_at_2130_is_due_at_0630_next_morning_across_the_closed_evening(make, club):
    member = lead(make, club, when=local(TODAY, 21, 30))
    # 30 opening minutes on Tuesday evening, 30 more from Wednesday's 06:00.
    assert by_rule(member.id)["lead_first_call"].due_at == local(TODAY + timedelta(days=1), 6, 30)


def test_a_lead_without_consent_gets_calls_only(make, club):
    member = lead(make, club, consent=False, when=NOW)
    got = by_rule(member.id)
    assert got["lead_first_call"].status == "planned"
    invite = got["lead_trial_invite"]
    assert (invite.channel, invite.status, invite.skip_reason) == ("sms", "skipped", "no_consent")
    assert messages(member.id) == []
    for days in (2, 5, 10):
        run(local(TODAY + timedelta(days=days), 0, 30))
    follow = by_rule(member.id)
    assert [follow[f"lead_follow_up_{d}"].channel for d in (2, 5, 10)] == ["task"] * 3
    assert messages(member.id) == []


def test_a_reached_lead_gets_no_follow_ups_and_its_open_calls_leave_today(make, club):
    reached, silent = lead(make, club, when=NOW), lead(make, club, when=NOW, first_name="Sam", phone="040 555 0102")
    clock.set_now(NOW + timedelta(hours=3))
    with unit_of_work():
        tasks.log_contact(make.desk(), db.session.get(Member, reached.id), "reached", "coming Thursday")
    run(local(TODAY + timedelta(days=2), 0, 30))
    got = by_rule(reached.id)
    assert (got["lead_first_call"].status, got["lead_first_call"].skip_reason) == ("skipped", "reached")
    assert "lead_follow_up_2" not in got
    assert by_rule(silent.id)["lead_follow_up_2"].status == "planned"
    for days in (5, 10):
        run(local(TODAY + timedelta(days=days), 0, 30))
    assert not {"lead_follow_up_5", "lead_follow_up_10"} & set(by_rule(reached.id))
    assert {"lead_follow_up_5", "lead_follow_up_10"} <= set(by_rule(silent.id))


def stage(member) -> str:
    cycle = lead_cycles.cycles_of(member.id)[0]
    return lead_cycles.stages_of(member.club_id, [cycle.id])[cycle.id]


def test_a_trial_booking_attendance_and_first_sale_move_the_stages_and_the_tools(make, club):
    member = lead(make, club, when=NOW)
    # A trial on Sunday: the reminder on Saturday keeps the club's gap after Tuesday's invitation.
    trial = trial_at(club, TODAY + timedelta(days=5), hour=11)
    assert stage(member) == "new"
    with unit_of_work():
        sessions.book(make.desk(), db.session.get(ClubSession, trial.id), db.session.get(Member, member.id))
    assert stage(member) == "trial_booked"
    # The day before the trial: the reminder, naming it.
    run(local(TODAY + timedelta(days=4), 8, 0))
    reminder = by_rule(member.id)["lead_trial_reminder"]
    assert (reminder.channel, reminder.status, reminder.occurrence) == ("sms", "planned", trial.id)
    assert "Trial workout" in messages(member.id)[-1].body
    clock.set_now(trial.starts_at + timedelta(minutes=10))
    with unit_of_work():
        sessions.record_attendance(make.desk(), db.session.get(ClubSession, trial.id),
                                   db.session.get(Member, member.id))
    assert stage(member) == "trial_attended"
    run(local(TODAY + timedelta(days=6), 8, 0))
    after = by_rule(member.id)["lead_post_trial"]
    assert (after.channel, after.status, after.facts["attended_on"]) == ("task", "planned",
                                                                         (TODAY + timedelta(days=5)).isoformat())
    make.membership(db.session.get(Member, member.id), today=TODAY + timedelta(days=6))
    assert stage(member) == "won"
    assert by_rule(member.id)["lead_post_trial"].skip_reason == "lead_closed"
    # A won lead is a member: the lead tools plan nothing more for them.
    before = len(points(member.id))
    run(local(TODAY + timedelta(days=53), 8, 0))
    assert not [tp for tp in points(member.id)[before:] if tp.lead_cycle_id is not None]


def test_sixty_days_close_the_cycle_and_a_new_inquiry_starts_a_new_one_with_a_new_first_call(make, club, app):
    member = lead(make, club, when=NOW)
    run(local(TODAY + timedelta(days=52), 8, 0))   # 8 days left: not yet
    assert "lead_last_offer" not in by_rule(member.id)
    run(local(TODAY + timedelta(days=53), 8, 0))
    offer = by_rule(member.id)["lead_last_offer"]
    assert (offer.channel, offer.status, offer.facts["days_left"]) == ("sms", "planned", 7)
    later = NOW + timedelta(days=app.config["LEAD_CYCLE_DAYS"])
    clock.set_now(later)
    with unit_of_work():
        assert lead_cycles.close_timed_out(later) == 1
    [cycle] = lead_cycles.cycles_of(member.id)
    assert (cycle.outcome, cycle.lost_reason) == ("lost", "no_answer")
    assert all(tp.status != "planned" or tp.channel != "task" for tp in points(member.id))
    with unit_of_work():
        members.take_inquiry(make.desk(), club, {"first_name": "Lena", "phone": "040 555 0101", "source": "phone"})
    new, old = lead_cycles.cycles_of(member.id)
    assert new.ended_at is None and old.id == cycle.id
    calls = [tp for tp in points(member.id) if tp.rule.key == "lead_first_call"]
    assert [tp.lead_cycle_id for tp in calls] == [old.id, new.id] and calls[-1].status == "planned"


def test_a_held_out_lead_gets_none_of_that_tools_contacts(make, club):
    make.lead_tools(holdout_pct=50)
    leads = [lead(make, club, when=NOW, first_name=f"L{i}", phone=f"040 777 {i:04d}") for i in range(24)]
    for days in (2, 5, 10):
        run(local(TODAY + timedelta(days=days), 0, 30))
    draws = list(db.session.scalars(select(Assignment).where(Assignment.kind == "lead")))
    held = {(a.lead_cycle_id, a.tool_key) for a in draws if a.held}
    assert {a.tool_key for a in draws} >= {"lead_first_call", "lead_trial_invite", "lead_follow_up"}
    assert held and len(held) < len(draws)   # both arms of each tool are filled
    for member in leads:
        for tp in points(member.id):
            if (tp.lead_cycle_id, tp.tool.key) in held:
                assert tp.status == "held_out", (tp.rule.key, tp.status)
            else:
                assert tp.status != "held_out"
    held_members = {tp.member_id for tp in db.session.scalars(select(Touchpoint)) if tp.status == "held_out"
                    and tp.tool.key == "lead_trial_invite"}
    assert not [m for m in db.session.scalars(select(Message)) if m.member_id in held_members]


def test_a_rerun_plans_nothing_twice(make, club):
    member = lead(make, club, when=NOW)
    first = len(points(member.id))
    assert first == 2   # the first call and the invitation, planned when the lead came
    assert not [p for p in run(NOW + timedelta(minutes=5)) if p.lead_cycle_id]
    assert not [p for p in run(NOW + timedelta(hours=2)) if p.lead_cycle_id]
    assert len(points(member.id)) == first and len(messages(member.id)) == 1
    day2 = local(TODAY + timedelta(days=2), 0, 30)
    assert [p.rule.key for p in run(day2) if p.lead_cycle_id] == ["lead_follow_up_2"]
    assert not [p for p in run(day2 + timedelta(hours=1)) if p.lead_cycle_id]


def test_lead_rules_are_the_clubs_to_edit_like_the_others(make, club):
    keys = set(db.session.scalars(select(Rule.key).where(Rule.club_id == club.id)))
    assert {"lead_first_call", "lead_trial_invite", "lead_follow_up_2", "lead_follow_up_5", "lead_follow_up_10",
            "lead_trial_reminder", "lead_post_trial", "lead_last_offer"} <= keys
    assert len(LEAD_TOOLS) == 6


def populate_leads(make, count: int) -> int:
    """A club with COUNT open leads in a mix of ages, half with SMS consent, some reached, with a trial ahead."""
    club = make.club()
    with unit_of_work():
        opening_hours.add_defaults(club)
    make.lead_tools(club)
    trial_at(club, TODAY + timedelta(days=2), capacity=10_000)
    staff = make.staff("desk", club=club)
    with unit_of_work():
        db.session.execute(insert(Member.__table__), [
            {"club_id": club.id, "first_name": f"Lead{i}", "last_name": "Mix", "name_key": f"lead{i} mix",
             "name_key_rev": f"mix lead{i}", "phone": f"+3584{club.id:03d}{i:05d}", "locale": "en",
             "sms_consent": i % 2 == 0, "created_at": NOW - timedelta(days=i % 12)} for i in range(count)])
        ids = list(db.session.scalars(select(Member.id).where(Member.club_id == club.id).order_by(Member.id)))
        db.session.execute(insert(LeadCycle.__table__), [
            {"club_id": club.id, "member_id": member_id, "started_at": NOW - timedelta(days=i % 12),
             "source": "web_form"} for i, member_id in enumerate(ids)])
        db.session.execute(insert(StaffContact.__table__), [
            {"club_id": club.id, "member_id": member_id, "staff_id": staff.id, "outcome": "reached",
             "created_at": NOW - timedelta(hours=1)} for i, member_id in enumerate(ids) if i % 5 == 0])
    return club.id


def test_the_pass_sends_as_many_statements_for_2000_leads_as_for_100(make):
    from tests.test_lifecycle_statements import one_pass, shapes, without_draws

    small, large = populate_leads(make, 100), populate_leads(make, 2000)
    for when in (NOW, NOW + timedelta(hours=1), NOW + timedelta(days=1)):
        few, few_planned = one_pass(small, when)
        many, many_planned = one_pass(large, when)
        few, many = (without_draws(seen) for seen in (few, many))
        assert len(few) == len(many), (
            f"pass at {when}: {len(few)} statements for 100 leads, {len(many)} for 2,000; "
            f"only in the larger: {shapes(many) - shapes(few)}; only in the smaller: {shapes(few) - shapes(many)}")
        if when == NOW:   # not vacuous: the leads set off the lead tools
            assert few_planned > 50 and many_planned > 1000


def test_today_shows_the_first_calls_due_time_and_the_readers_own_leads_first(make, club, web, login_as):
    clock.set_now(local(TODAY, 14, 10))
    me = login_as("desk")
    older = make.member(first_name="Olga")           # a lead's follow-up call of the day, with no due time
    with unit_of_work():
        db.session.execute(delete(Touchpoint).where(Touchpoint.member_id == older.id))
        db.session.add(Touchpoint(club_id=club.id, member_id=older.id, lead_cycle_id=lead_cycles.open_cycle_of(
            older.id).id, tool_id=db.session.scalar(select(Rule.tool_id).where(Rule.key == "lead_follow_up_2")),
            rule_id=db.session.scalar(select(Rule.id).where(Rule.key == "lead_follow_up_2")), occurrence=0,
            stage="lead", channel="task", status="planned", task_kind="call_back", facts={}, due_on=TODAY,
            planned_at=NOW))
    lead(make, club, first_name="Fresh", phone="040 555 0201")
    mine = lead(make, club, first_name="Mine", phone="040 555 0202")
    with unit_of_work():
        lead_cycles.open_cycle_of(mine.id).assigned_staff_id = me.id
    answer = web.get("/today/")
    page = answer.get_data(as_text=True)
    assert all(name in page for name in ("Mine", "Fresh", "Olga")), (answer.status_code, page[:3000])
    rows = [page.index(name) for name in ("Mine", "Fresh", "Olga")]
    assert rows == sorted(rows), "the reader's own lead first, then the due times, then the day's calls"
    assert "by Mar 10, 2026, 3:10" in page and "your lead" in page
    clock.set_now(local(TODAY, 15, 11))
    assert "overdue since Mar 10, 2026, 3:10" in web.get("/today/").get_data(as_text=True)
