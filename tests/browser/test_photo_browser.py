"""A member's photo taken with the desk's camera (Chromium's fake camera, a test pattern) and shown at the member's
next check-in (issue 16), at the desk's two screen sizes."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import MemberPhoto
from tests.browser.test_desk_browser import log_in

SIZES = [{"width": 1280, "height": 800}, {"width": 800, "height": 1100}]


def until(page: Page, script: str, tries: int = 100) -> None:
    """Wait until SCRIPT (a function's source) answers true in the page; the CSP refuses wait_for_function's eval."""
    for _ in range(tries):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "800x1100"])
def test_a_photo_from_the_camera_is_shown_at_the_next_check_in(page: Page, make, size):
    page.set_viewport_size(size)
    desk = make.desk()
    member = make.member(first_name="Cam", last_name="Era", card_code="CAM00001")
    make.membership(member)
    member_id = member.id
    log_in(page, desk.email)
    page.goto(f"/members/{member_id}")
    expect(page.locator("#no-photo")).to_have_text("CE")
    page.locator("#section-photo > summary").click()
    page.get_by_role("button", name="Use the camera").click()
    video = page.locator("#camera")
    until(page, "() => document.getElementById('camera').videoWidth > 0")
    expect(video).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Take the photo").click()
    db.session.expire_all()
    stored = db.session.get(MemberPhoto, member_id)
    assert stored is not None and max(stored.width, stored.height) == 480
    # The next check-in: the card it opens shows the photo.
    page.goto("/")
    page.keyboard.type("CAM00001")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/members/{member_id}$"))
    expect(page.locator(".flash.success")).to_have_text("Cam Era checked in.")
    photo = page.locator("#member-photo")
    expect(photo).to_be_visible()
    until(page, "() => document.getElementById('member-photo').naturalWidth > 0")
    assert db.session.scalar(select(MemberPhoto.member_id)) == member_id
