"""The import page over HTTP: upload, preview, change a column, confirm, progress, the report; bad files."""
import csv
import io
import time
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.imports import jobs
from clubcrm.models import ImportJob, Member
from tests.web import field_errors

GOOD = ("Vorname;Nachname;Handy;E-Mail;Geburtsdatum;SMS-Einwilligung\r\n"
        "Jürgen;Müller;040 111 2222;j@example.de;01.02.1990;ja\r\n"
        "Göran;Öztürk;040 111 3333;;1985-12-31;nein\r\n"
        "Bad;Phone;12;;;nein\r\n")


def upload(web, data: bytes, name: str = "members.csv", wait: bool = True):
    """Upload DATA as the page does; then (WAIT) wait until its preview is computed, as the page's script does."""
    response = web.post("/imports/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    if wait and response.status_code == 302:
        wait_for_check(web, job_id_of(response))
    return response


def wait_for_check(web, job_id: int) -> dict:
    """Poll the status endpoint as the checking page does, until the preview is stored (or the file refused)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = web.get(f"/imports/{job_id}/status.json").get_json()
        if state["status"] != "checking":
            return state
        time.sleep(0.02)
    raise AssertionError("the check did not finish")


def wait_for(web, job_id: int) -> dict:
    """Poll the status endpoint as the page does, until the job has finished."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = web.get(f"/imports/{job_id}/status.json").get_json()
        if state["finished"]:
            return state
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def job_id_of(response) -> int:
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def count_members() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Member))


def test_upload_preview_confirm_valid_rows_and_download_the_report(web, login_as, app):
    login_as("manager")
    response = upload(web, GOOD.encode("cp1252"))
    assert response.status_code == 302
    job_id = job_id_of(response)
    page = web.get(f"/imports/{job_id}")
    assert page.status_code == 200
    text = page.text
    assert "3 rows, encoding cp1252, separated by semicolon." in text
    assert 'id="valid-count">2<' in text and 'id="refused-count">1<' in text
    assert "Jürgen" in text and "+358 40 1112222" in text and "This is not a valid phone number." in text
    assert '<option selected value="phone">' in text or 'value="phone" selected' in text
    stored = jobs.stored_file(jobs.upload_folder(app), job_id)
    assert stored.exists()

    report = web.get(f"/imports/{job_id}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Line", "Column", "Field", "Problem"],
                    ["4", "Handy", "Phone", "This is not a valid phone number."]]

    before = count_members()
    fields = {f"fields-{i}": f for i, f in enumerate(
        ["first_name", "last_name", "phone", "email", "birth_date", "sms_consent"])}
    response = web.post(f"/imports/{job_id}", data={**fields, "mode": "valid", "action": "import"})
    assert response.status_code == 302
    state = wait_for(web, job_id)
    assert state == {"status": "done", "total": 3, "processed": 3, "imported": 2, "refused": 1, "error": None,
                     "percent": 100, "finished": True}
    assert count_members() == before + 2
    assert not stored.exists()   # the uploaded file is gone once the job ended
    job = db.session.get(ImportJob, job_id)
    assert job.report == [{"line": 4, "field": "phone", "message": "This is not a valid phone number."}]
    page = web.get(f"/imports/{job_id}")
    assert 'id="imported-count">2<' in page.text
    rows = list(csv.reader(io.StringIO(web.get(f"/imports/{job_id}/report.csv").get_data(as_text=True))))
    assert rows[1] == ["4", "Handy", "Phone", "This is not a valid phone number."]
    # A finished job cannot be started again.
    web.post(f"/imports/{job_id}", data={**fields, "mode": "valid", "action": "import"})
    assert count_members() == before + 2


def test_all_or_nothing_imports_nothing_and_says_so(web, login_as):
    login_as("manager")
    job_id = job_id_of(upload(web, GOOD.encode("utf-8-sig")))
    before = count_members()
    fields = {f"fields-{i}": f for i, f in enumerate(
        ["first_name", "last_name", "phone", "email", "birth_date", "sms_consent"])}
    web.post(f"/imports/{job_id}", data={**fields, "mode": "all", "action": "import"})
    state = wait_for(web, job_id)
    assert state["status"] == "failed" and state["imported"] == 0 and state["refused"] == 1
    assert state["error"] == "Nothing was imported: 1 rows were refused."
    assert count_members() == before


def test_changing_a_column_previews_again(web, login_as):
    login_as("manager")
    job_id = job_id_of(upload(web, b"Name;Code;Info\nAnna Virtanen;X-1;likes yoga\n"))
    page = web.get(f"/imports/{job_id}").text
    assert "likes yoga" in page
    response = web.post(f"/imports/{job_id}", data={"fields-0": "full_name", "fields-1": "card_code",
                                                     "fields-2": "notes", "mode": "all", "action": "preview"})
    assert response.status_code == 302
    db.session.commit()
    assert db.session.get(ImportJob, job_id).mapping["fields"] == ["full_name", "card_code", "notes"]
    assert wait_for_check(web, job_id)["status"] == "previewed"   # checked again once, in the background
    assert "<td>X-1</td>" in web.get(f"/imports/{job_id}").text
    # Two columns into one field, or no name, are refused on the page.
    response = web.post(f"/imports/{job_id}", data={"fields-0": "full_name", "fields-1": "notes",
                                                     "fields-2": "notes", "action": "preview"})
    assert response.status_code == 422 and "Each member field can come from one column only." in response.text
    response = web.post(f"/imports/{job_id}", data={"fields-0": "", "fields-1": "card_code", "fields-2": "bogus",
                                                     "action": "preview"})
    assert response.status_code == 422
    response = web.post(f"/imports/{job_id}", data={"fields-0": "full_name", "fields-7": "notes", "mode": "all",
                                                     "action": "import"})
    assert response.status_code == 422 and "Choose a member field or nothing for each column." in response.text
    response = web.post(f"/imports/{job_id}", data={"fields-0": "full_name", "fields-1": "", "fields-2": "",
                                                     "mode": "xx", "action": "import"})
    assert response.status_code == 422 and field_errors(response)["mode"] == ["Not a valid choice."]
    db.session.commit()
    assert db.session.get(ImportJob, job_id).status == "previewed"


def test_bad_files_get_a_message_on_the_field(web, login_as, monkeypatch):
    login_as("manager")
    cases = {
        "empty.csv": (b"", "The file is empty."),
        "photo.png": (b"\x89PNG\r\n", "Upload a CSV file (in Excel: Save as → CSV)."),
        "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", "The file cannot be read: it is not text."),
        "noname.csv": (b"Phone;Email\n040 1234567;a@b.fi\n", "No column looks like a name"),
        "header.csv": (b"First name;Phone\n", "The file has a header row but no members."),
        "utf16.csv": (b"\xff\xfeA\x00\x00\xd8", "The file cannot be read: it is not text."),
    }
    for name, (data, message) in cases.items():
        response = upload(web, data, name)
        assert response.status_code == 422, name
        assert any(message in e for e in field_errors(response)["file"]), (name, field_errors(response))
    response = web.post("/imports/", data={}, content_type="multipart/form-data")
    assert field_errors(response)["file"] == ["Choose a file."]
    monkeypatch.setattr(jobs, "MAX_BYTES", 100)
    response = upload(web, b"First name;Phone\n" + b"Anna;040 1234567\n" * 10)
    assert response.status_code == 422 and field_errors(response)["file"] == ["The file is larger than 0 MB."]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_only_managers_of_the_club_see_its_imports(web, login_as, make):
    login_as("manager")
    job_id = job_id_of(upload(web, b"Name\nAnna\n"))
    other = make.club()
    web.post("/logout")
    login_as("manager", club=other)
    assert web.get(f"/imports/{job_id}").status_code == 404
    assert web.get(f"/imports/{job_id}/status.json").status_code == 404
    assert web.get(f"/imports/{job_id}/report.csv").status_code == 404
    web.post("/logout")
    login_as("desk")
    assert web.get("/imports/").status_code == 403


FIELDS6 = {f"fields-{i}": f for i, f in enumerate(
    ["first_name", "last_name", "phone", "email", "birth_date", "sms_consent"])}
NO_KEYS = b"Vorname;Nachname\nAnna;Virtanen\nBo;Lind\n"   # no phone, no card: a second run would duplicate them


def test_confirming_the_same_job_twice_imports_it_once(web, login_as, app):
    from clubcrm.db import unit_of_work
    from clubcrm.errors import Conflict

    login_as("manager")
    job_id = job_id_of(upload(web, NO_KEYS))
    before = count_members()
    folder = jobs.upload_folder(app)
    # The second request read the job as "previewed" before the first one committed its confirm.
    stale = db.session.get(ImportJob, job_id)
    db.session.expunge(stale)
    with unit_of_work():
        jobs.confirm(db.session.get(ImportJob, job_id), "valid")
    db.session.close()
    db.session.add(stale)
    assert stale.status == "previewed"   # its Python check passes ...
    try:
        with unit_of_work():
            jobs.confirm(stale, "valid")
    except Conflict as error:            # ... the database's does not
        assert str(error.message) == "This import has already started."
    else:
        raise AssertionError("the second confirm was not refused")
    jobs.start(app, job_id, folder, "en").join(60)
    assert wait_for(web, job_id)["imported"] == 2
    assert count_members() == before + 2
    # The page's own second click, after the first started it, redirects to the job and imports nothing more.
    response = web.post(f"/imports/{job_id}", data={"fields-0": "first_name", "fields-1": "last_name",
                                                     "mode": "valid", "action": "import"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/imports/{job_id}")
    assert count_members() == before + 2


def test_cancel_on_the_preview_deletes_the_file(web, login_as, app):
    login_as("manager")
    job_id = job_id_of(upload(web, NO_KEYS))
    stored = jobs.stored_file(jobs.upload_folder(app), job_id)
    assert stored.exists() and 'id="cancel-button"' in web.get(f"/imports/{job_id}").text
    response = web.post(f"/imports/{job_id}", data={"action": "cancel"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/imports/")
    assert not stored.exists()
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    assert (job.status, job.error) == ("failed", "Cancelled.")
    assert wait_for(web, job_id)["finished"]   # the page does not poll a cancelled job
    # A cancelled job cannot be started afterwards.
    web.post(f"/imports/{job_id}", data={"fields-0": "first_name", "fields-1": "last_name", "mode": "valid",
                                         "action": "import"})
    db.session.commit()
    assert db.session.get(ImportJob, job_id).status == "failed" and not jobs.RUNNING


def test_housekeeping_deletes_the_files_of_previews_left_for_a_day(web, login_as, app):
    from clubcrm import clock, worker
    from tests.conftest import NOW

    login_as("manager")
    old_id = job_id_of(upload(web, NO_KEYS))
    clock.set_now(NOW + timedelta(hours=20))
    new_id = job_id_of(upload(web, NO_KEYS))
    folder = jobs.upload_folder(app)
    clock.set_now(NOW + timedelta(hours=24, minutes=1))
    worker.job(app, worker.housekeeping)()
    db.session.commit()
    old, new = db.session.get(ImportJob, old_id), db.session.get(ImportJob, new_id)
    assert (old.status, old.error) == ("failed", "The preview expired; upload the file again.")
    assert not jobs.stored_file(folder, old_id).exists()
    assert new.status == "previewed" and jobs.stored_file(folder, new_id).exists()
    page = web.get(f"/imports/{old_id}")
    assert page.status_code == 200 and "The preview expired; upload the file again." in page.text


def test_an_import_whose_process_died_is_closed_by_its_heartbeat_and_an_old_preview_confirmed_late_is_not(
        web, login_as, app):
    from clubcrm import clock, worker
    from clubcrm.db import unit_of_work
    from clubcrm.imports.heartbeat import fail_stalled_imports
    from tests.conftest import NOW

    login_as("manager")
    dead_id = job_id_of(upload(web, NO_KEYS))
    late_id = job_id_of(upload(web, NO_KEYS))
    with unit_of_work():   # confirmed, but its web process died before any thread ran: it stays "running"
        jobs.confirm(db.session.get(ImportJob, dead_id), "valid")
    # The other preview waited 20 hours for its confirmation: an old job, but a live import.
    clock.set_now(NOW + timedelta(hours=20))
    with unit_of_work():
        jobs.confirm(db.session.get(ImportJob, late_id), "valid")
    folder = jobs.upload_folder(app)
    clock.set_now(NOW + timedelta(hours=20, minutes=1))
    worker.job(app, worker.housekeeping)()   # the nightly run closes previews only
    worker.job(app, fail_stalled_imports)()
    db.session.commit()
    dead, late = db.session.get(ImportJob, dead_id), db.session.get(ImportJob, late_id)
    assert (dead.status, dead.error) == ("failed", "The import stopped before it finished; nothing was imported.")
    assert dead.finished_at == NOW + timedelta(hours=20, minutes=1)
    assert not jobs.stored_file(folder, dead_id).exists()
    assert late.status == "running" and jobs.stored_file(folder, late_id).exists()
    state = web.get(f"/imports/{dead_id}/status.json").get_json()
    assert state["finished"] and state["status"] == "failed"   # the page's polling stops
    assert 'data-status="failed"' in web.get(f"/imports/{dead_id}").text
