"""The member's page in Chromium on a phone (390×844), CSRF on: opening it from a link records the open once its own
script posts (the GET alone counts nothing), "Call me about renewing" thanks the member, Stop SMS stops them (the
consent history says member_page), and a language change shows the page in that language."""
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.models import ConsentEvent, Member, MemberPageEvent, Touchpoint
from clubcrm.services import member_page
from tests.conftest import NOW
from tests.test_member_page_answers import link, touchpoint

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/clubcrm-member-answers-{}.png"


@pytest.fixture(autouse=True)
def page_view(monkeypatch):
    """The page's view from clubcrm.services.member_page once it is written; until then the field these parts
    read."""
    real = member_page.view

    def view(found):
        try:
            return real(found)
        except NotImplementedError:
            return SimpleNamespace(renewal_offer=found.touchpoint.tool.key == "renewal_offer")

    monkeypatch.setattr(member_page, "view", view)


def fresh(model, id_):
    db.session.commit()   # end the test's transaction: read what the server committed
    db.session.expire_all()
    return db.session.get(model, id_)


def fits(page: Page) -> None:
    """Nothing sticks out sideways on the phone; every button is inside the screen and finger-sized."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for button in page.locator("main button:visible").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_the_page_records_its_open_then_the_member_answers_and_stops_sms(page: Page, make):
    member = make.member(sms_consent=True, first_name="Rita")
    point = touchpoint(member, make.membership(member))
    token = link(member, point)
    page.set_viewport_size(PHONE)
    with page.expect_response(lambda r: r.url.endswith("/viewed") and r.request.method == "POST") as viewed:
        page.goto(f"/m/{token}")
    assert viewed.value.status == 204
    assert fresh(Touchpoint, point.id).opened_at == NOW
    page.screenshot(path=SCREENSHOT.format("opened"), full_page=True)
    fits(page)

    page.get_by_role("button", name="Call me about renewing").click()
    expect(page.locator(".flash.success")).to_have_text("Thank you — the club will call you about renewing.")
    expect(page.locator("#renewal .answered")).to_contain_text("You asked the club to call you about renewing.")
    assert fresh(Touchpoint, point.id).answer == "call_me"

    page.get_by_role("button", name="Stop SMS").click()
    expect(page.locator(".flash.success")).to_have_text("You will get no more SMS from the club.")
    expect(page.get_by_role("button", name="Get SMS again")).to_be_visible()
    page.screenshot(path=SCREENSHOT.format("stopped"), full_page=True)
    assert fresh(Member, member.id).sms_opted_out_at is not None
    assert [(e.granted, e.source) for e in db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member.id, ConsentEvent.source == "member_page"))
    ] == [(False, "member_page")]

    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#messages h3")).to_have_text("Sprache")
    page.screenshot(path=SCREENSHOT.format("de"), full_page=True)
    fits(page)
    # Each page load posted "viewed" (the reloads after each answer too): one open all the same.
    db.session.commit()
    assert list(db.session.scalars(select(MemberPageEvent.kind).where(MemberPageEvent.member_id == member.id)
                                   .order_by(MemberPageEvent.id))) == [
        "opened", "call_me", "sms_stop", "language"]
