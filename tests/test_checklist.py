"""The getting-started checklist on the home page: a new club's managers and owners see its six first steps, each
linking to the page that does it; a step leaves when it is done or dismissed (per club), the whole list for good
once every step has; desk staff never see it; the SMS step says which settings are present, never the token."""
import re

import pytest
from sqlalchemy import func, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, ChecklistMark, Club, ImportJob
from clubcrm.services import checklist
from tests.web import flashes

STEP = re.compile(r'<li class="step" data-step="([a-z]+)">\s*<div class="what">\s*<a href="([^"]+)">')
ALL_STEPS = ["plans", "services", "staff", "sms", "import", "lifecycle"]
LINKS = {"plans": "/settings/#plans", "services": "/settings/#packages", "staff": "/settings/#staff",
         "sms": "/outbox/", "import": "/imports/", "lifecycle": "/settings/lifecycle/"}
# A token no page could contain by chance, so that any piece of it showing is a leak.
TOKEN = "Zq7Xw9Tk3Vb8Rn2Lm5Pd4Hf6Jc1Gy0Sa"
SID = "AC" + "5e1f" * 8
TWILIO = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": "+358401110000"}


@pytest.fixture
def new_club(make):
    """The default club, new: no plans, services, desk logins, members or marks."""
    return make.default_club


def steps(web) -> dict[str, str]:
    """The open steps on the home page, each with the address it links to."""
    response = web.get("/")
    assert response.status_code == 200
    return dict(STEP.findall(response.text))


def desk_login(web, make, club=None):
    """Log the client in as a new desk login of CLUB (the default club)."""
    staff = make.staff("desk", club=club)
    assert web.post("/login", data={"email": staff.email, "password": "secret-pass"}).status_code == 302
    return staff


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_a_new_club_shows_all_six_steps_with_the_page_of_each(new_club, make, web, login_as, role):
    login_as(role)
    found = steps(web)
    assert list(found) == ALL_STEPS
    # An owner sets the club's own sender on its page under Settings → Clubs; a manager sees the SMS outbox.
    assert found == (LINKS | {"sms": f"/settings/clubs/{new_club.id}"} if role == "owner" else LINKS)
    for url in set(found.values()):   # every link opens a page the viewer may use
        assert web.get(url.split("#")[0]).status_code == 200


def add_plan(web, make):
    response = web.post("/settings/plans", data={"name": "Monthly", "duration_days": "30", "visit_limit": "",
                                                 "price": "59.00"})
    assert response.status_code == 302


def add_service(web, make):
    response = web.post("/settings/services", data={"name": "PT", "package_units": "10", "price": "450",
                                                    "valid_days": ""})
    assert response.status_code == 302


def add_desk_login(web, make):
    response = web.post("/settings/staff", data={"name": "Desk Person", "email": "desk.person@example.com",
                                                 "role": "desk", "password": "long-enough-pass"})
    assert response.status_code == 302


def configure_twilio(web, make):
    make.app.config.update(TWILIO)


def finish_an_import(web, make):
    with unit_of_work():
        db.session.add(ImportJob(club_id=make.default_club.id, filename="members.csv", status="done",
                                 total_rows=1, processed_rows=1, imported_rows=1))


def open_lifecycle_page(web, make):
    assert web.get("/settings/lifecycle/").status_code == 200


DOING = {"plans": [add_plan], "services": [add_service], "staff": [add_desk_login], "sms": [configure_twilio],
         "import": [finish_an_import], "lifecycle": [open_lifecycle_page]}


@pytest.mark.parametrize("step, do", [(step, do) for step, ways in DOING.items() for do in ways],
                         ids=lambda value: value if isinstance(value, str) else value.__name__)
def test_each_step_leaves_the_list_when_it_is_done(new_club, make, web, login_as, step, do):
    login_as("manager")
    assert step in steps(web)
    do(web, make)
    left = steps(web)
    assert step not in left
    assert list(left) == [s for s in ALL_STEPS if s != step]   # the others stay


def test_what_does_not_count_as_done_keeps_the_step(make, web, login_as):
    club = make.default_club
    login_as("manager")                                    # a manager is not the desk login the club needs
    make.plan(active=False)                                # a plan no longer sold
    with unit_of_work():
        db.session.add(ImportJob(club_id=club.id, filename="m.csv", status="failed"))
        db.session.add(ImportJob(club_id=club.id, filename="empty.csv", status="done", total_rows=1,
                                 processed_rows=1, imported_rows=0))   # finished, but brought nobody in
    make.member()                                          # a walk-in lead is not the club's member list
    other = make.club(name="Other Club")                   # another club's plan, desk login and member
    make.plan(club=other), make.service(club=other), make.staff("desk", club=other), make.member(club=other)
    make.app.config.update({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN})   # no sender yet
    assert list(steps(web)) == ALL_STEPS


def test_dismissing_a_step_takes_it_off_that_club_only(make, web, login_as):
    club = make.default_club
    other = make.club(name="Other Club")
    manager = login_as("manager")
    response = web.post("/checklist/import/dismiss", follow_redirects=True)
    assert "Taken off the checklist." in flashes(response)
    assert "import" not in steps(web)
    assert web.post("/checklist/import/dismiss").status_code == 302   # twice: still one mark, one audit event
    marks = db.session.execute(select(ChecklistMark.club_id, ChecklistMark.item, ChecklistMark.kind,
                                      ChecklistMark.staff_id)).all()
    assert marks == [(club.id, "import", "dismissed", manager.id)]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "dismiss", AuditEvent.entity == "checklist")) == 1

    web.post("/logout")
    login_as("manager", club=other)
    assert list(steps(web)) == ALL_STEPS


def test_an_owner_dismisses_in_the_club_they_work_in(new_club, make, web, login_as):
    other = make.club(name="Other Club")
    login_as("owner")
    assert web.post("/club", data={"club_id": str(other.id)}).status_code == 302
    web.post("/checklist/sms/dismiss")
    assert "sms" not in steps(web)
    assert db.session.scalars(select(ChecklistMark.club_id)).all() == [other.id]


def test_an_unknown_step_is_refused_and_nothing_is_written(new_club, make, web, login_as):
    login_as("manager")
    for item in ("bogus", "all", "PLANS", "x" * 300):
        response = web.post(f"/checklist/{item}/dismiss")
        assert response.status_code == 422, item
        assert "There is no such step in the checklist." in response.text
    assert db.session.scalar(select(func.count()).select_from(ChecklistMark)) == 0
    assert list(steps(web)) == ALL_STEPS


def test_desk_staff_never_see_the_checklist_nor_dismiss_its_steps(new_club, make, web, login_as):
    login_as("manager")
    assert list(steps(web)) == ALL_STEPS   # the club's managers do see it
    web.post("/logout")
    desk_login(web, make)
    home = web.get("/")
    assert home.status_code == 200 and 'id="checklist"' not in home.text and "Getting started" not in home.text
    assert web.post("/checklist/plans/dismiss").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ChecklistMark)) == 0


def sms_step(web):
    """The SMS step's settings lines, by setting."""
    page = web.get("/").text
    return dict(re.findall(r'<li data-setting="([a-z_]+)">[^<:]+: ([a-z]+)</li>', page)), page


def test_the_sms_step_shows_what_is_set_and_never_the_token(new_club, make, web, login_as):
    login_as("manager")
    assert sms_step(web)[0] == {"account_sid": "missing", "auth_token": "missing", "sender": "missing"}
    make.app.config.update({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN})
    shown, page = sms_step(web)
    assert shown == {"account_sid": "set", "auth_token": "set", "sender": "missing"}
    assert TOKEN[:4] not in page and TOKEN[-4:] not in page and SID not in page
    make.app.config["TWILIO_MESSAGING_SERVICE_SID"] = "MG" + "0a" * 16
    page = web.get("/").text
    assert "sms" not in dict(STEP.findall(page))
    for url in ("/", "/outbox/", "/settings/", "/settings/lifecycle/"):   # nor anywhere a manager looks
        text = web.get(url).text
        assert TOKEN[:4] not in text and TOKEN[-4:] not in text, url


def test_a_club_s_own_sender_counts_once_the_club_has_one():
    """The club's own sender (Settings → Clubs) completes the step with the installation's account."""
    account = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
    assert not checklist.sms_sender(account, Club()).configured
    assert not checklist.sms_sender(account, Club(sms_from="  ", sms_messaging_service_sid=None)).configured
    assert checklist.sms_sender(account, Club(sms_from="+358401110000")).configured
    assert checklist.sms_sender(account, Club(sms_messaging_service_sid="MG" + "0a" * 16)).configured
    assert not checklist.sms_sender({"TWILIO_FROM": "+358401110000"}, Club()).configured
    assert "Zq7" not in repr(checklist.sms_sender(account, Club()))


def test_a_club_with_every_step_done_sees_no_checklist_ever_again(make, web, login_as):
    club = make.default_club
    make.app.config.update(TWILIO)
    make.plan(), make.service(), make.staff("desk")
    finish_an_import(web, make)
    login_as("manager")
    assert "lifecycle" in steps(web)
    open_lifecycle_page(web, make)
    home = web.get("/")
    assert 'id="checklist"' not in home.text and "Getting started" not in home.text
    assert db.session.scalar(select(ChecklistMark.kind).where(ChecklistMark.club_id == club.id,
                                                              ChecklistMark.item == "all")) == "finished"
    # Undoing a step later (the only plan switched off, Twilio unset) does not bring the list back.
    make.app.config["TWILIO_AUTH_TOKEN"] = None
    with unit_of_work():
        for mark in db.session.scalars(select(ChecklistMark).where(ChecklistMark.item == "lifecycle")):
            db.session.delete(mark)
    assert steps(web) == {}


def test_dismissing_every_step_ends_the_list_for_good(new_club, make, web, login_as):
    login_as("manager")
    for step in ALL_STEPS:
        assert web.post(f"/checklist/{step}/dismiss").status_code == 302
    assert 'id="checklist"' not in web.get("/").text
    assert db.session.scalar(select(func.count()).select_from(ChecklistMark).where(
        ChecklistMark.item == "all")) == 1


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_clubs_from_before_the_checklist_are_not_greeted_with_it_after_an_upgrade(engine, request, tmp_path):
    """The upgrade marks the list finished for the clubs already in use; a club made afterwards gets it."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.conftest import ROOT, make_app

    url = (f"sqlite:///{tmp_path / 'upgraded.db'}" if engine == "sqlite" else
           request.getfixturevalue("pg_cluster").create_database("clubcrm_checklist_upgrade"))
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="f384f63a994b")
        with unit_of_work():
            db.session.execute(text("INSERT INTO club (name, timezone, currency, country, default_locale, created_at)"
                                    " VALUES ('Old Club', 'UTC', 'EUR', 'FI', 'en', CURRENT_TIMESTAMP)"))
        upgrade(directory=str(ROOT / "migrations"))
        assert db.session.execute(select(ChecklistMark.club_id, ChecklistMark.item, ChecklistMark.kind)).all() == [
            (1, "all", "finished")]
        created = db.session.scalar(select(ChecklistMark.created_at))
        assert created.tzinfo is not None
        db.session.remove()
        db.engine.dispose()
