"""Member photos (issue 16, item 2): uploaded (size and type checked), shrunk with Pillow, kept out of the web
root, shown to the member's own club's staff only, in the desk's results and on the card; erased with the member,
in the GDPR export, and carried by backup and restore."""
import base64
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import AuditEvent, Member, MemberPhoto
from clubcrm.services import gdpr, photos
from tests.web import flashes


def picture(width=1600, height=1200, kind="JPEG", color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, kind)
    return out.getvalue()


def upload(web, member, data: bytes, name="photo.jpg"):
    return web.post(f"/members/{member.id}/photo", {"photo": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


def test_an_uploaded_photo_is_shrunk_stored_and_shown_on_the_card_and_in_the_results(make, web, login_as):
    desk = login_as("desk")
    member = make.member(first_name="Anna", last_name="Lindqvist")
    response = upload(web, member, picture())
    assert response.status_code == 302
    assert "Photo saved." in flashes(web.get(f"/members/{member.id}"))
    db.session.expire_all()
    stored = db.session.get(MemberPhoto, member.id)
    assert (stored.width, stored.height) == (480, 360) and stored.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(stored.image)).format == "JPEG"
    assert db.session.get(Member, member.id).photo_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "photo"))
    assert (event.action, event.staff_id, event.member_id) == ("create", desk.id, member.id)
    card = web.get(f"/members/{member.id}").text
    src = re.search(r'<img class="member-photo" id="member-photo" src="([^"]+)"', card).group(1)
    served = web.get(src)
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == stored.image
    assert served.headers["Cache-Control"] == "private, max-age=3600"
    results = web.get("/?q=Anna").text
    assert re.search(rf'<img class="thumb" src="/members/{member.id}/photo.jpg\?v=\d+"', results)


@pytest.mark.parametrize("case,data,name,message", [
    ("not an image", b"%PDF-1.4 not a photo", "scan.pdf", "This file is not a photo we can read (JPEG, PNG or WebP)."),
    ("a GIF", None, "anim.gif", "A photo must be a JPEG, PNG or WebP image."),
    ("empty", b"", "empty.jpg", "Choose a photo, or take one with the camera."),
    ("truncated", None, "cut.jpg", "This file is not a photo we can read (JPEG, PNG or WebP)."),
])
def test_a_file_that_is_no_photo_is_refused_naming_it(make, web, login_as, case, data, name, message):
    login_as("desk")
    member = make.member()
    if case == "a GIF":
        data = picture(kind="GIF")
    if case == "truncated":
        data = picture()[:2000]
    response = upload(web, member, data, name)
    assert response.status_code == 302
    assert f"Photo: {message}" in flashes(web.get(f"/members/{member.id}"))
    assert db.session.scalar(select(MemberPhoto.member_id)) is None


def test_a_photo_over_the_size_limit_is_refused(make, ctx):
    member = make.member()
    with pytest.raises(Exception) as refused:
        photos.shrink(b"\xff" * (photos.MAX_BYTES + 1))
    assert str(refused.value) == "The photo is larger than 8 MB."
    assert member.photo_at is None


def test_another_clubs_staff_never_see_the_photo(make, web, login_as):
    member = make.member()
    with unit_of_work():
        photos.save(make.desk(), db.session.get(Member, member.id), picture())
    login_as("desk", club=make.club(name="Elsewhere"))
    assert web.get(f"/members/{member.id}/photo.jpg").status_code == 404
    assert upload(web, member, picture()).status_code == 404


def test_no_photo_is_a_404_and_removing_one_works(make, web, login_as):
    login_as("desk")
    member = make.member()
    assert web.get(f"/members/{member.id}/photo.jpg").status_code == 404
    upload(web, member, picture(kind="PNG"))
    assert web.post(f"/members/{member.id}/photo/delete").status_code == 302
    assert db.session.scalar(select(MemberPhoto.member_id)) is None
    assert web.get(f"/members/{member.id}/photo.jpg").status_code == 404


def test_erasure_deletes_the_photo_and_the_export_carries_it(make, ctx):
    manager = make.staff("manager")
    member = make.member()
    with unit_of_work():
        photo = photos.save(manager, db.session.get(Member, member.id), picture())
        image = photo.image
    with unit_of_work():
        document = gdpr.export(manager, db.session.get(Member, member.id))
    assert base64.b64decode(document["photo"]["base64"]) == image
    with unit_of_work():
        gdpr.erase(manager, db.session.get(Member, member.id), "ERASE")
    assert db.session.get(MemberPhoto, member.id) is None
    assert db.session.get(Member, member.id).photo_at is None


def test_a_photo_survives_backup_and_restore(app, make, runner, request, database_url, tmp_path):
    from tests.conftest import make_app
    from tests.test_backup import invoke, restored_url

    member = make.member()
    with unit_of_work():
        image = photos.save(make.desk(), db.session.get(Member, member.id), picture()).image
    target = tmp_path / "with-photo.backup"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    url = restored_url(request, database_url, tmp_path)
    restoring = make_app(url)
    assert invoke(restoring, "restore", str(target)).exit_code == 0
    with restoring.app_context():
        assert db.session.get(MemberPhoto, member.id).image == image
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("extra", [1, 200 * 1024], ids=["just-over", "past-the-request-budget"])
def test_a_file_over_the_size_limit_is_refused_on_the_card_naming_the_photo(make, web, login_as, extra):
    """Over HTTP: a file just over 8 MB, and one so large that the request's own budget stops it before the view
    reads it, both end on the card with the same message naming the photo (not a bare 413 page); nothing stored."""
    login_as("desk")
    member = make.member()
    response = upload(web, member, b"\xff" * (photos.MAX_BYTES + extra), "huge.jpg")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/members/{member.id}")
    assert "Photo: The photo is larger than 8 MB." in flashes(web.get(f"/members/{member.id}"))
    assert db.session.scalar(select(MemberPhoto.member_id)) is None
    assert db.session.get(Member, member.id).photo_at is None


def test_a_camera_snapshot_too_large_is_answered_in_json(make, web, login_as):
    """The camera's upload (fetch) gets the refusal as JSON with 422, whatever stopped the file."""
    login_as("desk")
    member = make.member()
    response = web.post(f"/members/{member.id}/photo",
                        {"photo": (io.BytesIO(b"\xff" * (photos.MAX_BYTES + 200 * 1024)), "camera.jpg")},
                        content_type="multipart/form-data", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 422 and response.json == {"error": "The photo is larger than 8 MB."}


def test_a_huge_file_tells_another_clubs_staff_nothing_and_other_routes_keep_the_413_page(make, web, login_as):
    """Past the budget: another club's staff get the 404 that any request about the member gets (not a 500 from
    the handler), and a route here that takes no file keeps the plain 413 page."""
    member = make.member()
    huge = b"\xff" * (photos.MAX_BYTES + 200 * 1024)
    login_as("desk", club=make.club(name="Elsewhere"))
    assert upload(web, member, huge).status_code == 404
    web.post("/logout")
    login_as("desk")
    response = web.post(f"/members/{member.id}/photo/delete", {"photo": (io.BytesIO(huge), "huge.jpg")},
                        content_type="multipart/form-data")
    assert response.status_code == 413 and "What was sent is too large; nothing was saved." in response.text


def test_a_chain_guest_found_at_another_clubs_desk_shows_no_photo(make, web, login_as):
    """Another club of the chain finds a chain member by card code (a guest row) but is never served their photo:
    the row draws no image (which would only be a broken one, answered 404), while the home club's row does."""
    club_b = make.club(name="Harbour Club")
    carla = make.member(first_name="Carla", last_name="Chain", card_code="CARLA-1")
    make.membership(carla, plan=make.plan(name="Chain year", chain_wide=True))
    with unit_of_work():
        photos.save(make.desk(), db.session.get(Member, carla.id), picture())
    login_as("desk", club=club_b)
    page = web.get("/", query_string={"q": "CARLA-1", "partial": "1"}).text
    guests = page.split('id="guests"', 1)[1].split("</table>", 1)[0]
    assert f"/members/{carla.id}/guest" in guests and "photo.jpg" not in guests
    assert web.get(f"/members/{carla.id}/photo.jpg").status_code == 404
    web.post("/logout")
    login_as("desk")
    home = web.get("/", query_string={"q": "CARLA-1", "partial": "1"}).text
    assert f'src="/members/{carla.id}/photo.jpg?v=' in home
