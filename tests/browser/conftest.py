"""Browser fixtures: a live server of the test app (CSRF on), one Chromium per session, a page per test.

Chromium is Debian's /usr/bin/chromium driven by Playwright's sync API; it is never downloaded.
A missing browser fails the run: these tests are never skipped.
"""
import logging
import threading
from pathlib import Path

import pytest
from flask import got_request_exception
from werkzeug.serving import make_server

from clubcrm.extensions import db
from tests.conftest import make_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # A fake camera (a test pattern) that a page may use without a permission prompt: the member photo test.
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Mark every test in this folder `browser`, so `-m "not browser"` leaves them out."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def app(database_url):
    """The test app with CSRF on: the real pages post their tokens, as in production."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class LiveServer:
    def __init__(self, app) -> None:
        self.errors: list[str] = []
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval lets shutdown() return at once instead of after half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="live-server", daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    def __call__(self, path: str = "/") -> str:
        """Return the absolute URL of PATH on this server."""
        return self.url + path


class _Collect(logging.Handler):
    """Keep the app's ERROR log records (the 500 handler logs the traceback there)."""

    def __init__(self, into: list) -> None:
        super().__init__(logging.ERROR)
        self.into = into
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record))


@pytest.fixture
def live_server(app):
    """Serve APP on a free loopback port in a daemon thread; a request that crashed fails the test."""
    server = LiveServer(app)

    def record(sender, exception, **extra):
        server.errors.append(repr(exception))

    handler = _Collect(server.errors)
    app.logger.addHandler(handler)
    got_request_exception.connect(record, app)
    server.start()
    yield server
    server.stop()
    got_request_exception.disconnect(record, app)
    app.logger.removeHandler(handler)
    assert not server.errors, "the app failed while serving the browser:\n" + "\n".join(server.errors)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-deps); "
                    "the browser tests never skip.", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions do
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) and page; errors in the page's console fail the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    js_errors: list[str] = []

    def console(msg) -> None:
        # The app serves no favicon.ico; Chromium's own request for it is not the page's error.
        # A refused form is answered 422 with its errors (the page the person sees): Chromium logs that status
        # as a failed resource, which is the app working, not the page failing.
        if "status of 422" in msg.text:
            return
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            js_errors.append(f"{msg.text} at {msg.location.get('url')}")

    page.on("pageerror", lambda error: js_errors.append(str(error)))
    page.on("console", console)
    yield page
    context.close()
    assert not js_errors, f"errors in the browser console: {js_errors}"
