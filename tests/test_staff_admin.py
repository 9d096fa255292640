"""Staff managed from the settings: a new password the person must change at the next login (their sessions end
at once), the trainer flag set in the form and on each login, the limits (not oneself, not an owner), audited;
an owner does the same in every club."""
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import AuditEvent, LoginSession, Staff
from clubcrm.services import passwords
from tests.web import Web, field_errors, flashes

PASSWORD = "secret-pass"
NEW = "temporary-horse-42"


def log_in(app, staff, password=PASSWORD) -> Web:
    web = Web(app.test_client())
    response = web.post("/login", {"email": staff.email, "password": password})
    assert response.status_code == 302, field_errors(response)
    return web


def test_a_manager_sets_a_password_the_person_must_change_before_anything_else(app, make):
    manager, clerk = make.staff("manager"), make.staff("desk")
    boss, desk = log_in(app, manager), log_in(app, clerk)
    assert desk.get("/").status_code == 200

    response = boss.post(f"/settings/staff/{clerk.id}/password", {"password": NEW})
    assert response.status_code == 302
    db.session.expire_all()
    clerk = db.session.get(Staff, clerk.id)
    assert clerk.must_change_password and passwords.verify(clerk.password_hash, NEW)
    assert desk.get("/").status_code == 302          # the old login session ended at once
    assert db.session.scalar(select(LoginSession.end_reason).where(LoginSession.staff_id == clerk.id)) \
        == "password_reset"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "staff", AuditEvent.entity_id == clerk.id)
                               .order_by(AuditEvent.id.desc())).first()
    assert event.staff_id == manager.id and event.after["password"] == "reset"

    desk = log_in(app, clerk, NEW)
    for url in ("/", "/today/", "/members/new"):
        response = desk.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password"), url
    assert desk.get("/account/password").status_code == 200
    response = desk.post("/account/password", {"current_password": NEW, "new_password": "my-own-secret-77",
                                               "repeat_password": "my-own-secret-77"})
    assert response.status_code == 302, field_errors(response)
    assert desk.get("/").status_code == 200
    db.session.expire_all()
    assert not db.session.get(Staff, clerk.id).must_change_password


def test_a_manager_cannot_set_their_own_or_an_owners_password_nor_touch_another_club(app, make):
    manager, owner = make.staff("manager"), make.staff("owner")
    other = make.staff("desk", club=make.club(name="Other"))
    boss = log_in(app, manager)
    response = boss.post(f"/settings/staff/{manager.id}/password", {"password": NEW}, follow_redirects=True)
    assert response.status_code == 200 and "your own password" in " ".join(flashes(response))
    # An owner belongs to no club: to a manager, as switch_login says, no such login.
    assert boss.post(f"/settings/staff/{owner.id}/password", {"password": NEW}).status_code == 404
    assert boss.post(f"/settings/staff/{other.id}/password", {"password": NEW}).status_code == 404
    assert boss.post(f"/settings/staff/{other.id}/trainer/1").status_code == 404
    db.session.expire_all()
    for target in (manager, owner, other):
        assert not db.session.get(Staff, target.id).must_change_password
    # A weak password is refused with the reason, nothing changed.
    clerk = make.staff("desk")
    response = boss.post(f"/settings/staff/{clerk.id}/password", {"password": "short"}, follow_redirects=True)
    assert flashes(response) and not db.session.get(Staff, clerk.id).must_change_password


def test_the_trainer_flag_is_set_in_the_staff_form_and_on_each_login(app, make):
    manager = make.staff("manager")
    boss = log_in(app, manager)
    page = boss.get("/settings/")
    assert 'name="is_trainer"' in page.text
    response = boss.post("/settings/staff", {"name": "Tia Trainer", "email": "tia@example.com", "role": "desk",
                                             "password": "a-long-password-1", "is_trainer": "y"})
    assert response.status_code == 302, field_errors(response)
    tia = db.session.scalar(select(Staff).where(Staff.email == "tia@example.com"))
    assert tia.is_trainer
    assert boss.post(f"/settings/staff/{tia.id}/trainer/0").status_code == 302
    db.session.expire_all()
    assert not db.session.get(Staff, tia.id).is_trainer
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "staff", AuditEvent.entity_id == tia.id)
                               .order_by(AuditEvent.id.desc())).first()
    assert event.after == {"is_trainer": False}


def test_an_owner_manages_the_staff_of_every_club(app, make):
    owner = make.staff("owner")
    club_b = make.club(name="Other")
    clerk_b = make.staff("desk", club=club_b)
    web = log_in(app, owner)
    web.post("/club", {"club_id": str(club_b.id)})
    page = web.get("/settings/")
    assert clerk_b.email in page.text and f"/settings/staff/{clerk_b.id}/password" in page.text
    assert web.post(f"/settings/staff/{clerk_b.id}/password", {"password": NEW}).status_code == 302
    assert web.post(f"/settings/staff/{clerk_b.id}/trainer/1").status_code == 302
    assert web.post(f"/settings/staff/{clerk_b.id}/active/0").status_code == 302
    db.session.expire_all()
    clerk_b = db.session.get(Staff, clerk_b.id)
    assert clerk_b.must_change_password and clerk_b.is_trainer and not clerk_b.active
