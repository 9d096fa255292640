"""The lifecycle engine rule by rule: stages, idempotent and deterministic passes, holdouts, channels,
caps, time zones, the command line and the worker."""
import os
import subprocess
import sys
import time as timer
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import defaults, planner
from clubcrm.lifecycle.stages import stage_of
from clubcrm.models import Club, Rule, Tool, Touchpoint, Visit
from tests.conftest import NOW, TODAY
from tests.lifecycle import no_holdouts
from tests.lifecycle import run_pass as run


def contract(id, starts_on, ends_on, cancelled_on=None, renews_id=None):
    return SimpleNamespace(id=id, starts_on=starts_on, ends_on=ends_on, cancelled_on=cancelled_on,
                           renews_id=renews_id)


D = date(2026, 6, 1)
YEAR = contract(1, D - timedelta(days=100), D + timedelta(days=264))


@pytest.mark.parametrize("contracts, frozen, day, expected", [
    ([], {}, D, "lead"),
    ([contract(1, D - timedelta(days=3), D + timedelta(days=361))], {}, D, "adaptation"),
    ([YEAR], {}, D, "active"),
    ([YEAR], {1: [(D - timedelta(days=2), D + timedelta(days=5))]}, D, "frozen"),
    ([YEAR], {}, D + timedelta(days=230), "pre_renewal"),
    ([YEAR, contract(2, YEAR.ends_on + timedelta(days=1), YEAR.ends_on + timedelta(days=365), renews_id=1)],
     {}, D + timedelta(days=230), "active"),          # renewal sold: no run-up
    ([YEAR], {}, YEAR.ends_on + timedelta(days=1), "lapsed"),
    ([YEAR], {}, YEAR.ends_on + timedelta(days=60), "lapsed"),
    ([YEAR], {}, YEAR.ends_on + timedelta(days=61), "lost"),
    ([contract(1, YEAR.starts_on, YEAR.ends_on, cancelled_on=D)], {}, D, "lapsed"),
    # A month's contract: the run-up is its last third, not 45 days.
    ([contract(1, D - timedelta(days=5), D + timedelta(days=24))], {}, D, "adaptation"),
    ([contract(1, D - timedelta(days=21), D + timedelta(days=8))], {}, D, "pre_renewal"),
])
def test_stages(contracts, frozen, day, expected):
    assert stage_of(not contracts, contracts, frozen, day).name == expected


def test_a_renewal_cycle_has_no_adaptation_stage():
    renewal = contract(2, YEAR.ends_on + timedelta(days=1), YEAR.ends_on + timedelta(days=365), renews_id=1)
    stage = stage_of(False, [YEAR, renewal], {}, renewal.starts_on + timedelta(days=3))
    assert (stage.name, stage.cycle.id, stage.first) == ("active", 2, False)


def planned_keys(plan) -> set[tuple[str, str, str]]:
    return {(p.rule.key, p.channel, p.status) for p in plan.touchpoints}


@pytest.fixture
def newcomer(make):
    """A member whose first year started a week ago and who has not come yet."""
    member = make.member(sms_consent=True, birth_date=date(1990, 7, 1))
    make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=7))
    no_holdouts(member.club_id)
    return member


def test_no_first_visit_by_day_7_is_a_staff_call_with_its_reason(newcomer):
    plan = run()
    [point] = plan.touchpoints
    assert (point.rule.key, point.channel, point.status, point.stage) == ("no_first_visit", "task", "planned",
                                                                           "adaptation")
    assert point.facts == {"days_since_start": 7, "visits_cycle": 0}
    stored = db.session.scalars(select(Touchpoint)).one()
    assert (stored.task_kind, stored.due_on, stored.facts) == ("call_back", TODAY, point.facts)


def test_a_rerun_plans_nothing_new_and_a_dry_run_writes_nothing(newcomer):
    dry = run(dry_run=True)
    assert db.session.scalar(select(func.count()).select_from(Touchpoint)) == 0
    first = run()
    assert planned_keys(dry) == planned_keys(first)
    assert run().touchpoints == []
    clock.set_now(NOW + timedelta(hours=5))
    assert run().touchpoints == []
    assert db.session.scalar(select(func.count()).select_from(Touchpoint)) == len(first.touchpoints)


def test_the_same_data_and_date_give_the_same_plan(make):
    for n in range(30):
        member = make.member(sms_consent=n % 3 != 0)
        make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=n * 12))

    def signature(plan):
        return sorted((p.member_id, p.rule.key, p.occurrence, p.channel, p.status, p.skip_reason)
                      for p in plan.touchpoints)

    first, second = run(dry_run=True), run(dry_run=True)
    assert signature(first) == signature(second) and len(first.touchpoints) > 10


@pytest.mark.parametrize("share", [10, 25])
def test_held_out_share_over_10000_members_is_within_2_points(share):
    for key in defaults.TOOLS:
        tool = Tool(key=key, holdout_pct=share)
        held = sum(planner.held_out(member_id, tool, 50_000 + member_id) for member_id in range(1, 10_001))
        assert abs(held / 100 - share) <= 2, (key, held)


def test_held_out_cycles_get_a_held_out_row_and_no_contact(make):
    member = make.member(sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    no_holdouts(member.club_id)
    with unit_of_work():
        db.session.execute(update(Tool).where(Tool.key == "welcome").values(holdout_pct=50))
    # Find a cycle the hash holds out, by trying members until one is.
    tool = db.session.scalars(select(Tool).where(Tool.key == "welcome")).one()
    while not planner.held_out(member.id, tool, member_membership(member.id)):
        member = make.member(sms_consent=True)
        make.membership(member, make.plan(duration_days=365), today=TODAY)
    plan = run()
    mine = [p for p in plan.touchpoints if p.member_id == member.id]
    assert [(p.rule.key, p.status) for p in mine] == [("welcome", "held_out")]
    assert run().touchpoints == []   # the held-out row keeps the rerun from planning it again


def member_membership(member_id: int) -> int:
    from clubcrm.models import Membership

    return db.session.scalar(select(Membership.id).where(Membership.member_id == member_id))


def test_without_sms_consent_a_rule_falls_back_to_a_task_or_is_skipped_with_its_reason(make):
    texted, untexted = make.member(sms_consent=True), make.member(sms_consent=False)
    for member in (texted, untexted):
        make.membership(member, make.plan(duration_days=365), today=date(2026, 1, 2))
    no_holdouts(texted.club_id)
    clock.set_now(datetime(2026, 1, 8, 10, tzinfo=UTC))   # a new-year campaign day, day 6 of the cycle
    with unit_of_work():   # only the campaign fires: it has no task fallback
        db.session.execute(update(Rule).where(Rule.key != "season_newyear").values(enabled=False))
    plan = run()
    by_member = {p.member_id: (p.channel, p.status, p.skip_reason) for p in plan.touchpoints}
    assert by_member == {texted.id: ("sms", "planned", None), untexted.id: ("sms", "skipped", "no_consent")}
    with unit_of_work():
        db.session.execute(update(Rule).values(enabled=True))
        db.session.execute(update(Touchpoint).values(due_on=date(2025, 12, 1)))  # out of the way
    # Walk the first days again, all rules on: the member without consent gets calls, never an SMS.
    points = []
    for day in range(2, 14):
        points += run(datetime(2026, 1, day, 10, tzinfo=UTC)).touchpoints
    theirs = [(p.rule.key, p.channel) for p in points if p.member_id == untexted.id and p.status == "planned"]
    assert ("welcome", "task") in theirs and all(channel == "task" for _k, channel in theirs), theirs
    assert ("welcome", "sms") in [(p.rule.key, p.channel) for p in points if p.member_id == texted.id]


def test_one_sms_in_three_days_and_one_contact_a_day(make):
    member = make.member(sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    no_holdouts(member.club_id)
    days = []
    for offset in range(0, 10):
        clock.set_now(NOW + timedelta(days=offset))
        for point in run().touchpoints:
            days.append((offset, point.rule.key, point.channel))
    sms = [d for d, _k, channel in days if channel == "sms"]
    assert all(b - a >= 3 for a, b in zip(sms, sms[1:], strict=False)), days
    assert len({d for d, *_ in days}) == len(days), days
    assert days[0][1] == "welcome"


def test_the_budget_caps_a_cycle_and_keeps_room_for_the_renewal_run_up(make):
    member = make.member(sms_consent=True)
    start = TODAY - timedelta(days=300)
    make.membership(member, make.plan(duration_days=365), today=start)
    no_holdouts(member.club_id)
    with unit_of_work():
        club = db.session.get(Club, member.club_id)
        club.touch_budget_min, club.touch_budget_max = 2, 4
    # Three renewal rules are ahead: only one other contact fits the budget of four.
    for offset in range(0, 6):
        clock.set_now(NOW + timedelta(days=offset * 9))
        run()
    statuses = [(p.rule.key, p.status, p.skip_reason) for p in
                db.session.scalars(select(Touchpoint).order_by(Touchpoint.due_on, Touchpoint.id))]
    contacts = [k for k, status, _r in statuses if status == "planned"]
    assert len(contacts) <= 4 and "renewal_45" in contacts, statuses
    assert any(reason == "budget" for _k, _s, reason in statuses), statuses


def test_a_visit_stops_the_first_visit_call(make):
    member = make.member()
    membership = make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=7))
    no_holdouts(member.club_id)
    with unit_of_work():
        db.session.add(Visit(club_id=member.club_id, member_id=member.id, membership_id=membership.id,
                             checked_in_at=NOW - timedelta(days=2)))
    assert "no_first_visit" not in {p.rule.key for p in run().touchpoints}


def test_a_trial_invitation_offers_a_real_session_with_free_places(make):
    from clubcrm.services import sessions

    member = make.member(sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=3))
    no_holdouts(member.club_id)
    trainer = make.staff("desk", is_trainer=True)
    with unit_of_work():
        full = sessions.schedule(trainer, member.club, {
            "kind": "trial", "title": "Full trial",
        "starts_at": datetime(2026, 3, 11, 18), "ends_at": datetime(2026, 3, 11, 19),
            "capacity": 1, "trainer_id": trainer.id})
        sessions.book(trainer, full, make.member())
    assert "trial_invite" not in {p.rule.key for p in run(dry_run=True).touchpoints}
    with unit_of_work():
        free = sessions.schedule(trainer, member.club, {
            "kind": "trial", "title": "Open trial",
            "starts_at": datetime(2026, 3, 12, 18), "ends_at": datetime(2026, 3, 12, 19),
            "capacity": 4, "trainer_id": trainer.id})
    [invite] = [p for p in run().touchpoints if p.rule.key == "trial_invite"]
    assert invite.session_id == free.id


@pytest.mark.parametrize("tz, fires_at", [
    # 2026-03-28 22:30 UTC is already 29 March in Helsinki (UTC+2) but 18:30 on the 28th in New York.
    ("Europe/Helsinki", datetime(2026, 3, 28, 22, 30, tzinfo=UTC)),
    # New York reaches 29 March at 04:00 UTC (EDT since 8 March); Helsinki has left it by 21:00 UTC.
    ("America/New_York", datetime(2026, 3, 29, 23, 30, tzinfo=UTC)),
])
def test_birthdays_fall_on_the_clubs_local_date_across_dst(make, tz, fires_at):
    club = make.club(timezone=tz)
    member = make.member(club=club, sms_consent=True, birth_date=date(1990, 3, 29))
    make.membership(member, make.plan(club=club, duration_days=365), today=date(2025, 12, 1))
    no_holdouts(club.id)
    with unit_of_work():
        db.session.execute(update(Rule).where(Rule.key != "birthday").values(enabled=False))
    before = fires_at - timedelta(hours=1 if tz == "Europe/Helsinki" else 24)
    assert run(before).touchpoints == []
    [point] = run(fires_at).touchpoints
    assert (point.rule.key, point.occurrence, point.row(club.id, date(2026, 3, 29), fires_at)["due_on"]) == \
        ("birthday", 2026, date(2026, 3, 29))
    stored = db.session.scalars(select(Touchpoint)).one()
    assert stored.due_on == date(2026, 3, 29)


def test_welcome_on_the_new_york_dst_day_counts_local_days(make):
    club = make.club(timezone="America/New_York")
    member = make.member(club=club, sms_consent=True)
    start = date(2026, 3, 8)   # clocks spring forward at 02:00 that night
    make.membership(member, make.plan(club=club, duration_days=365), today=start)
    no_holdouts(club.id)
    evening_before = datetime.combine(start - timedelta(days=1), time(23, 30), ZoneInfo(club.timezone))
    assert run(evening_before.astimezone(UTC)).touchpoints == []    # still the 7th in New York
    morning = datetime.combine(start, time(7), ZoneInfo(club.timezone)).astimezone(UTC)
    [point] = run(morning).touchpoints
    assert (point.rule.key, point.facts) == ("welcome", {"days_since_start": 0})
    # A visit at 23:30 local on the 8th (03:30 UTC on the 9th) is the 8th's visit.
    with unit_of_work():
        late = datetime.combine(start, time(23, 30), ZoneInfo(club.timezone)).astimezone(UTC)
        db.session.add(Visit(club_id=club.id, member_id=member.id, membership_id=member_membership(member.id),
                             checked_in_at=late))
    from clubcrm.lifecycle import facts as facts_module

    loaded = facts_module.load(club.id, club.timezone, start + timedelta(days=7),
                               datetime.combine(start + timedelta(days=7), time(9), ZoneInfo(club.timezone)))
    visits = loaded.visits[member.id]
    assert (visits.last_visit, visits.last_7) == (start, 0)
    loaded = facts_module.load(club.id, club.timezone, start + timedelta(days=6),
                               datetime.combine(start + timedelta(days=6), time(9), ZoneInfo(club.timezone)))
    assert loaded.visits[member.id].last_7 == 1


def test_command_line_prints_the_plan_by_tool_and_stage(newcomer, runner):
    db.session.commit()
    result = runner.invoke(args=["lifecycle", "run", "--as-of", "2026-03-10", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would plan 1 touchpoints" in result.output
    assert "first_visit_call" in result.output and "adaptation" in result.output
    assert db.session.scalar(select(func.count()).select_from(Touchpoint)) == 0
    result = runner.invoke(args=["lifecycle", "run", "--as-of", "2026-03-10"])
    assert "planned 1 touchpoints" in result.output
    result = runner.invoke(args=["lifecycle", "run", "--as-of", "2026-03-10"])
    assert "planned 0 touchpoints" in result.output
    result = runner.invoke(args=["lifecycle", "run", "--as-of", "10.3.2026"])
    assert result.exit_code == 2 and "--as-of" in result.output


def test_worker_jobs_are_set_up_to_survive_late_and_duplicate_fires(app):
    from clubcrm import worker

    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = worker.build(app, run_now=False, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)   # jobs get their settings when the scheduler starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"lifecycle", "sms_dispatch", "housekeeping", "lead_timeout", "import_heartbeat",
                             "report_refresh"}
        for job in jobs.values():
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
    finally:
        scheduler.shutdown(wait=False)


def test_worker_process_runs_the_pass_at_start(make, app, database_url, tmp_path):
    """`clubcrm worker` in a process of its own plans today's touchpoints (real clock) and stops on SIGTERM."""
    real_today = datetime.now(ZoneInfo("Europe/Helsinki")).date()
    member = make.member(sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=real_today)
    no_holdouts(member.club_id)
    db.session.commit()
    env = {**os.environ, "CLUBCRM_DATABASE_URL": database_url, "CLUBCRM_SECRET_KEY": "worker-test"}
    process = subprocess.Popen([sys.executable, "-m", "clubcrm.cli", "worker"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = timer.monotonic() + 60
        while timer.monotonic() < deadline:
            db.session.rollback()
            if db.session.scalar(select(func.count()).select_from(Touchpoint)):
                break
            timer.sleep(0.3)
        points = list(db.session.scalars(select(Touchpoint)))
        assert [p.rule.key for p in points] == ["welcome"], process.stdout
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, -15), output
    assert "lifecycle_pass: 1 touchpoints planned" in output


def test_a_staff_call_waits_while_a_conversation_is_recent(newcomer):
    from clubcrm.models import StaffContact

    with unit_of_work():
        db.session.add(StaffContact(club_id=newcomer.club_id, member_id=newcomer.id, outcome="reached",
                                    created_at=NOW - timedelta(days=2)))
    assert run(dry_run=True).touchpoints == []
    with unit_of_work():
        db.session.execute(update(StaffContact).values(outcome="no_answer"))
    assert [p.rule.key for p in run(dry_run=True).touchpoints] == ["no_first_visit"]


def test_a_fallback_call_also_waits_after_a_recent_conversation(make):
    from clubcrm.models import StaffContact

    member = make.member(sms_consent=False)
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    no_holdouts(member.club_id)
    assert [(p.rule.key, p.channel) for p in run(dry_run=True).touchpoints] == [("welcome", "task")]
    with unit_of_work():   # the desk talked to them at the sale
        db.session.add(StaffContact(club_id=member.club_id, member_id=member.id, outcome="reached",
                                    created_at=NOW))
    assert run(dry_run=True).touchpoints == []


def test_a_conversation_logged_at_another_club_of_the_chain_also_holds_the_call(make):
    """A desk call about a session at another club reached the member: their home club plans no call on top."""
    from clubcrm.models import StaffContact

    member = make.member(sms_consent=False)
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    no_holdouts(member.club_id)
    elsewhere = make.club(name="Harbour Club")
    with unit_of_work():
        db.session.add(StaffContact(club_id=elsewhere.id, member_id=member.id, outcome="reached",
                                    created_at=NOW - timedelta(hours=2)))
    assert run(dry_run=True).touchpoints == []


def test_housekeeping_expires_tasks_nobody_closed_and_they_stop_counting(newcomer, app):
    from clubcrm import worker

    run()
    clock.set_now(NOW + timedelta(days=14))
    worker.job(app, worker.housekeeping)()
    assert db.session.scalars(select(Touchpoint.status)).all() == ["planned"]
    clock.set_now(NOW + timedelta(days=15))
    worker.job(app, worker.housekeeping)()
    db.session.rollback()
    assert db.session.scalars(select(Touchpoint.status)).all() == ["expired"]


def test_a_milestone_is_congratulated_when_reached_not_long_after(make):
    member = make.member(sms_consent=True)
    membership = make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=200))
    no_holdouts(member.club_id)
    with unit_of_work():
        db.session.execute(update(Rule).where(~Rule.key.startswith("milestone")).values(enabled=False))
        # 60 visits long ago: past the 10th and the 50th, nothing to congratulate on now.
        for n in range(60):
            db.session.add(Visit(club_id=member.club_id, member_id=member.id, membership_id=membership.id,
                                 checked_in_at=NOW - timedelta(days=190 - n)))
    assert run(dry_run=True).touchpoints == []
    with unit_of_work():   # ...until the 100th visit, this week
        for n in range(40):
            db.session.add(Visit(club_id=member.club_id, member_id=member.id, membership_id=membership.id,
                                 checked_in_at=NOW - timedelta(days=100 - n * 2) if n < 39 else NOW))
    assert [(p.rule.key, p.facts) for p in run(dry_run=True).touchpoints] == [
        ("milestone_100", {"visits_cycle": 100})]


def test_command_line_refuses_an_unknown_club(app, runner):
    result = runner.invoke(args=["lifecycle", "run", "--club", "99", "--dry-run"])
    assert result.exit_code == 2 and "no club with id 99" in result.output


def test_a_call_instead_of_an_sms_says_why_and_what_to_say(make, web, login_as):
    member = make.member(first_name="Olga", sms_consent=False, locale="de")
    make.membership(member, make.plan(duration_days=365), today=TODAY - timedelta(days=14))
    no_holdouts(member.club_id)
    with unit_of_work():
        db.session.execute(update(Rule).where(Rule.key != "renewal_45").values(enabled=False))
        db.session.execute(update(Rule).where(Rule.key == "renewal_45").values(stages="adaptation", days=400,
                                                                            window_days=400))
    [point] = run().touchpoints
    assert (point.channel, point.facts["instead_of_sms"]) == ("task", "no_consent")
    login_as("desk")
    page = web.get("/today/").text
    assert "a call instead of an SMS: no SMS consent" in page
    # What to say, in the member's language, with the end date in it.
    assert "Olga" in page and "2027" in page and 'class="script" lang="de"' in page
    # Issue 16: and under it the same in the clerk's language (English here), for a clerk who reads no German.
    import re
    mine = re.search(r'<p class="script-translation" lang="en"><small>In your language:</small> ([^<]+)</p>', page)
    assert mine and "Olga" in mine.group(1) and "2027" in mine.group(1)
    german = re.search(r'<blockquote class="script" lang="de">([^<]+)</blockquote>', page).group(1)
    assert german != mine.group(1)


def test_a_short_contract_is_paced_toward_its_share_of_the_minimum():
    from clubcrm.lifecycle.planner import pacing_target
    from clubcrm.lifecycle.stages import Stage

    club = Club(touch_budget_min=10, touch_budget_max=15)
    month = contract(1, D, D + timedelta(days=29))           # 30 days: a run-up of 10, not 45
    assert pacing_target(club, Stage("active", D + timedelta(days=9), month), reserve=0) == pytest.approx(1 * 10 / 30)
    quarter = contract(1, D, D + timedelta(days=89))         # 90 days: 3 contacts, run-up 30 days
    target = pacing_target(club, Stage("active", D + timedelta(days=29), quarter), reserve=1)
    assert target == pytest.approx(2 * 30 / 60)
