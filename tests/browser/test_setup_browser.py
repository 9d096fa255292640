"""The first run in Chromium against a real gunicorn of two workers on an empty database: both workers log the
one setup code, / leads to /setup, a wrong code is refused, the right one (read from the code file) makes the club
and leaves the owner logged in at the home page; /setup is gone afterwards."""
import re
import stat

from playwright.sync_api import expect
from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.models import Club, Staff
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT
from tests.conftest import make_app
from tests.gunicorn import Gunicorn

PASSWORD = "long-enough-pass"
SCREENSHOT = "/tmp/clubcrm-setup.png"
FORM_SCREENSHOT = "/tmp/clubcrm-setup-form.png"


def rows(url: str) -> tuple[int, int]:
    app = make_app(url)
    with app.app_context():
        found = (db.session.scalar(select(func.count()).select_from(Club)),
                 db.session.scalar(select(func.count()).select_from(Staff)))
        db.session.remove()
        db.engine.dispose()
    return found


def test_a_fresh_server_is_set_up_in_the_browser_with_its_setup_code(browser, database_url, tmp_path):
    code_file = tmp_path / "instance" / "setup-code"
    settings = {"WTF_CSRF_ENABLED": "true", "SETUP_CODE_FILE": str(code_file)}
    with Gunicorn(database_url, workers=2, settings=settings) as server:
        code = code_file.read_text().strip()
        assert stat.S_IMODE(code_file.stat().st_mode) == 0o600
        logged = re.findall(r"enter the setup code (\S+)", server.log())
        assert logged == [code, code], server.log()   # each worker logs it, and it is one code
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", base_url=server.url)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # A CSP violation is a console error; the refused form's 422 and the final 404 are meant.
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
        try:
            page.goto("/")
            expect(page).to_have_url(re.compile(r"/setup$"))
            page.get_by_label("Club name").fill("Kuntosali Kallio")
            page.get_by_label("Country code for phone numbers").fill("FI")
            page.get_by_label("Time zone").fill("Europe/Helsinki")
            page.get_by_label("Currency").fill("EUR")
            page.get_by_label("Default language").select_option("en")
            page.get_by_label("Your name").fill("Olga Owner")
            page.get_by_label("Your email (your login)").fill("owner@kallio.example")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_label("Password again").fill(PASSWORD)
            page.get_by_label("Setup code").fill("AAAAA-BBBBB-CCCCC-DDDDD")
            page.get_by_role("button", name="Set up").click()
            expect(page.locator('[data-field="setup_code"]')).to_contain_text("This is not the setup code")
            assert rows(database_url) == (0, 0)
            page.screenshot(path=FORM_SCREENSHOT, full_page=True)

            page.get_by_label("Password", exact=True).fill(PASSWORD)   # a refused form does not keep passwords
            page.get_by_label("Password again").fill(PASSWORD)
            page.get_by_label("Setup code").fill(code)
            page.get_by_role("button", name="Set up").click()
            expect(page).to_have_url(re.compile(r"/$"))
            expect(page.get_by_role("status")).to_contain_text("Kuntosali Kallio is set up")
            expect(page.locator("#nav-devices")).to_contain_text("Olga Owner")
            page.screenshot(path=SCREENSHOT, full_page=True)
            assert rows(database_url) == (1, 1)
            assert not code_file.exists()
            assert page.goto("/setup").status == 404
        finally:
            context.close()
    assert not errors, errors
