"""Home pages (issue 16, item 6): the desk's shows today's check-ins, who is in the club now (checked in within the
club's usual stay, a setting), today's sessions with free places and Today's open calls; a manager's adds this
week's key figures, read from the reports' stored figures."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import ClubSession, Visit
from clubcrm.services import checkin, sessions
from tests.conftest import NOW, TODAY
from tests.report_snapshots import compute_all
from tests.statements import statements


def visit_at(make, member, at: datetime):
    clock.set_now(at)
    with unit_of_work():
        checkin.check_in(make.desk(), member)
    clock.set_now(NOW)


def active(make, **values):
    member = make.member(**values)
    make.membership(member, today=TODAY - timedelta(days=5))
    return member


def section(page, element_id: str) -> str:
    found = re.search(rf'<(section|p|dd|span)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page.text, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2))).strip()


def test_an_empty_day_says_so(web, login_as):
    login_as("desk")
    page = web.get("/")
    assert page.status_code == 200
    assert "Nobody has checked in yet today." in page.text
    assert "No more sessions today." in page.text and "Nothing to do today." in page.text
    assert section(page, "in-club-now").startswith("0 members in the club now")
    assert 'id="week-figures"' not in page.text      # a desk login: no figures


def test_todays_checkins_and_who_is_in_the_club_now(make, web, login_as):
    login_as("desk")
    early, late, yesterday = (active(make, first_name=n, last_name="Visitor") for n in ("Early", "Late", "Gone"))
    visit_at(make, yesterday, NOW - timedelta(days=1))
    visit_at(make, early, NOW - timedelta(hours=2))
    visit_at(make, late, NOW - timedelta(minutes=10))
    page = web.get("/")
    assert section(page, "checkins-today") == "2"
    latest = re.findall(r'<tr><td>[^<]*</td>\s*<td><a href="/members/\d+">([^<]+)</a>', page.text)
    assert latest == ["Late Visitor", "Early Visitor"]          # newest first; yesterday's not listed
    # The usual stay (90 minutes by default): the one who came 2 hours ago has left.
    assert section(page, "in-club-now").startswith("1 member in the club now")
    club = make.default_club
    with unit_of_work():
        db.session.get(type(club), club.id).usual_stay_minutes = 180
    assert section(web.get("/"), "in-club-now").startswith("2 members in the club now")


def test_the_usual_stay_is_a_setting_of_the_club(make, web, login_as):
    login_as("manager")
    club = make.default_club
    data = {"name": club.name, "timezone": club.timezone, "currency": club.currency, "country": club.country,
            "default_locale": "en", "usual_stay_minutes": "120"}
    assert web.post("/settings/club", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(club), club.id).usual_stay_minutes == 120
    refused = web.post("/settings/club", {**data, "usual_stay_minutes": "5"})
    assert refused.status_code == 422 and 'data-field="usual_stay_minutes"' in refused.text


def test_todays_sessions_with_their_free_places(make, web, login_as):
    staff = login_as("manager")
    club = make.default_club
    members = [active(make) for _ in range(3)]
    with unit_of_work():
        today_class = sessions.schedule(staff, club, {
            "kind": "event", "title": "Morning yoga", "capacity": 10,
            "starts_at": datetime(2026, 3, 10, 18, 0), "ends_at": datetime(2026, 3, 10, 19, 0)})
        sessions.schedule(staff, club, {
            "kind": "event", "title": "Tomorrow's spin", "capacity": 10,
            "starts_at": datetime(2026, 3, 11, 18, 0), "ends_at": datetime(2026, 3, 11, 19, 0)})
        for member in members:
            sessions.book(staff, today_class, member)
    page = web.get("/")
    row = re.search(r'<tr data-session="\d+">.*?</tr>', page.text, re.S).group(0)
    assert "Morning yoga" in row and "7 places free" in row and "3 of 10 booked" in row
    assert "Tomorrow's spin" not in page.text


def test_todays_sessions_leave_the_home_page_once_they_have_ended(make, web, login_as):
    login_as("desk")
    club = make.default_club
    local = ZoneInfo(club.timezone)
    with unit_of_work():   # written directly: a session cannot be scheduled in the past
        for title, start, end in (("Early spin", 6, 7), ("Running pilates", 9, 11), ("Evening yoga", 18, 19)):
            db.session.add(ClubSession(club_id=club.id, kind="class", title=title, capacity=10,
                                       starts_at=datetime(2026, 3, 10, start, 0, tzinfo=local),
                                       ends_at=datetime(2026, 3, 10, end, 0, tzinfo=local)))
    assert NOW.astimezone(local).hour == 10   # the clock: 10:00 in the club
    listed = section(web.get("/"), "home-sessions")
    assert "Running pilates" in listed and "Evening yoga" in listed and "Early spin" not in listed
    clock.set_now(datetime(2026, 3, 10, 19, 0, tzinfo=local))   # the last one ends: none left for today
    assert "No more sessions today." in section(web.get("/"), "home-sessions")


def test_the_home_page_reads_the_same_statements_however_many_visited(make, web, login_as):
    login_as("desk")
    for n in range(2):
        visit_at(make, active(make), NOW - timedelta(minutes=30 + n))
    with statements() as few:
        web.get("/")
    for n in range(20):
        visit_at(make, active(make), NOW - timedelta(minutes=60 + n))
    with statements() as many:
        web.get("/")
    assert len(many) == len(few), (len(few), len(many))


def test_the_live_part_is_served_alone_for_the_pages_script(make, web, login_as):
    login_as("desk")
    visit_at(make, active(make, first_name="Live"), NOW - timedelta(minutes=3))
    part = web.get("/home")
    assert part.status_code == 200
    assert 'id="home-live"' in part.text and "Live " in part.text and "<html" not in part.text


def test_a_manager_sees_this_weeks_figures_from_the_stored_figures(make, web, login_as):
    login_as("manager")
    page = web.get("/")
    assert section(page, "week-computing").startswith("These figures are being computed")
    members = [active(make) for _ in range(3)]
    # Monday 9 March 2026 starts the week of TODAY (Tuesday 10 March).
    visit_at(make, members[0], NOW - timedelta(days=1))
    visit_at(make, members[1], NOW - timedelta(hours=1))
    visit_at(make, members[2], NOW - timedelta(days=3))          # the week before
    compute_all()
    page = web.get("/")
    monday = datetime(2026, 3, 9, tzinfo=NOW.tzinfo) - timedelta(hours=2)   # Helsinki's Monday, in UTC
    visits_this_week = db.session.scalar(select(func.count()).select_from(Visit).where(Visit.checked_in_at >= monday))
    assert section(page, "week-visits") == str(visits_this_week) == "2"
    assert section(page, "week-active") == "3"
    assert 'id="week-as-of"' in page.text
