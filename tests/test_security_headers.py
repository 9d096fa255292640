"""Security headers on every kind of response (page, JSON, static file, redirect, every error), HSTS only in
production, and templates that need no inline script or style, so the policy can forbid them."""
import re
from pathlib import Path

import pytest

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def assert_secured(response, what: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, name, response.headers.get(name))
    policy = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split("; ")}
    assert policy["frame-ancestors"] == ["'none'"], what
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], (what, directive, policy[directive])
    assert "Strict-Transport-Security" not in response.headers, what   # development and tests: plain http


@pytest.fixture
def app(database_url):
    app = make_app(database_url)

    @app.route("/test-boom")
    def boom():
        raise RuntimeError("a bug")

    yield app
    from clubcrm.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_every_kind_of_response_carries_the_security_headers(app, client, web, login_as, make):
    assert make.default_club.id   # a set-up installation: before setup every page leads to /setup
    token_less = client.get("/api/v1/members/1")
    responses = {
        "login page": client.get("/login"),
        "redirect": client.get("/"),
        "static css": client.get("/static/css/app.css"),
        "static js": client.get("/static/js/desk.js"),
        "openapi json": client.get("/api/v1/openapi.json"),
        "api 401": token_less,
        "api 404": client.get("/api/v1/nothing"),
        "page 404": client.get("/nothing"),
        "page 405": client.put("/login"),
        "anonymous 413": client.post("/login", data={"email": "x" * 70_000}),
        "api 413": client.post("/api/v1/leads", json={"name": "x" * 70_000}),
    }
    login_as("manager")
    responses["desk page"] = web.get("/")
    responses["form page"] = web.get("/members/new")
    responses["500 page"] = web.get("/test-boom")
    expected_status = {"redirect": 302, "api 401": 401, "api 404": 404, "page 404": 404, "page 405": 405,
                       "anonymous 413": 413, "api 413": 413, "500 page": 500}
    for what, response in responses.items():
        assert response.status_code == expected_status.get(what, 200), (what, response.status_code)
        assert_secured(response, what)
    assert token_less.is_json and responses["desk page"].mimetype == "text/html"


def test_production_adds_hsts(database_url):
    app = make_app(database_url, ENV="production", SECRET_KEY="x" * 32, TESTING=True)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    with app.app_context():
        from clubcrm.extensions import db

        db.engine.dispose()


INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "an event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "a <style> block": re.compile(r"<style", re.I),
}


def test_no_template_holds_inline_script_or_style():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        found += [f"{path.relative_to(ROOT)}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, "the Content-Security-Policy would block:\n" + "\n".join(found)
