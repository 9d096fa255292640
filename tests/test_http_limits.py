"""Request budgets against a real gunicorn: each kind of route reads at most its budget, chunked or not, and
answers 413 in its own format; anonymous routes refuse a large body before reading it; a slow client holds
one worker only until gunicorn's timeout, and never stalls the others."""
import json
from io import BytesIO
import select
import socket
import time

import pytest
import requests

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.services import api_tokens
from tests.conftest import ENGINES, make_app
from tests.factories import Factory
from tests.gunicorn import Gunicorn, memory_kib, module_database

MIB = 1024 * 1024


class Answer:
    def __init__(self, raw: bytes, sent: int, seconds: float) -> None:
        head, _sep, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
        self.headers = {k.strip().lower(): v.strip() for k, _s, v in (line.partition(":") for line in lines[1:])}
        self.sent = sent
        self.seconds = seconds

    def json(self) -> dict:
        return json.loads(self.body)


def send(server: Gunicorn, method: str, path: str, headers: dict, body: bytes, *, chunked: bool,
         declared_length: int | None = None, chunk: int = 64 * 1024, wait: float = 10.0) -> Answer:
    """Send a request as a client that stops sending as soon as the server answers (as a browser does), and
    read the answer. DECLARED_LENGTH announces more bytes than BODY holds (the rest is never sent)."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=wait)
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Connection: close"]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {declared_length or len(body)}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    sent = 0
    try:
        while sent < len(body):
            if select.select([sock], [], [], 0)[0]:
                break   # the server has answered (or closed): stop sending, as a browser would
            piece = body[sent:sent + chunk]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
            sent += len(piece)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    raw = b""
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            if not select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
                break
            data = sock.recv(65536)
            if not data:
                break
            raw += data
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    return Answer(raw, sent, time.monotonic() - started)


@pytest.fixture(scope="module", params=ENGINES)
def server(request, tmp_path_factory):
    """One gunicorn worker on a database of its own with a desk login and its API token, for this module."""
    url = module_database(request, tmp_path_factory, "clubcrm_http_limits")
    app = make_app(url)
    with app.app_context():
        staff = Factory(app).staff("desk")
        with unit_of_work():
            token = api_tokens.issue(db.session.merge(staff))
        email = staff.email
        db.session.remove()
        db.engine.dispose()
    with Gunicorn(url, workers=1) as running:
        running.token, running.email = token, email
        yield running


def test_a_chunked_api_body_over_64_kib_is_refused_while_read_without_growing_the_worker(server):
    api = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    small = json.dumps({"card_code": "NOPE"}).encode()
    for _ in range(3):   # load the code paths once, so the peak below is the body's alone
        warm = send(server, "POST", "/api/v1/checkins", api, small, chunked=True)
        assert warm.status in (403, 404, 422), warm.body
    worker, = server.worker_pids()
    peak_before = memory_kib(worker)
    huge = b'{"card_code": "' + b"x" * (5 * MIB) + b'"}'
    answer = send(server, "POST", "/api/v1/checkins", api, huge, chunked=True)
    peak_after = memory_kib(worker)
    assert answer.status == 413, (answer.status, answer.body[:300])
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["code"] == "too_large"
    # Answered before the client could even push the whole body into the sockets' buffers.
    assert answer.seconds < 5 and answer.sent < len(huge)
    assert peak_after - peak_before < 1024, f"the worker's peak grew by {peak_after - peak_before} KiB"


def test_a_large_body_to_an_anonymous_route_is_refused_before_it_is_read(server):
    assert requests.get(server.url + "/nothing-here", timeout=10).status_code == 404   # the error page, loaded
    multipart = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    start = (b"--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@example.com\r\n"
             b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n\r\n")
    # 200 MB announced, 64 KiB sent: a server that reads it waits for the rest; ours answers at once.
    login = send(server, "POST", "/login", multipart, start + b"x" * (64 * 1024), chunked=False,
                 declared_length=200_000_000, wait=5)
    # Twilio's webhooks are anonymous too: a chunked body is read up to the anonymous budget only.
    hook = send(server, "POST", "/webhooks/twilio/inbound",
                {"Content-Type": "application/x-www-form-urlencoded"}, b"Body=" + b"x" * MIB, chunked=True)
    assert login.status == 413, (login.status, login.body[:300])
    assert login.headers["content-type"].startswith("text/html") and b"413" in login.body
    assert login.seconds < 3
    assert hook.status == 413, (hook.status, hook.body[:300])


def test_gunicorn_answers_carry_the_security_headers(server):
    answers = {path: requests.get(server.url + path, timeout=10)
               for path in ("/login", "/static/js/desk.js", "/api/v1/openapi.json", "/nothing-here")}
    answers["413"] = requests.post(server.url + "/login", data={"email": "x" * 70_000}, timeout=10)
    for what, answer in answers.items():
        assert "frame-ancestors 'none'" in answer.headers.get("Content-Security-Policy", ""), what
        assert (answer.headers.get("X-Frame-Options"), answer.headers.get("X-Content-Type-Options"),
                answer.headers.get("Referrer-Policy")) == ("DENY", "nosniff", "no-referrer"), what
    assert answers["413"].status_code == 413 and answers["/nothing-here"].status_code == 404


def test_a_staff_form_over_1_mib_is_refused_with_an_html_page_chunked_or_not(server):
    email = server.email
    browser = requests.Session()
    logged_in = browser.post(server.url + "/login", data={"email": email, "password": "secret-pass"},
                             allow_redirects=False, timeout=10)
    assert logged_in.status_code == 302, logged_in.text
    # The same browser: its cookie, and its User-Agent (the login's "strong" protection compares it).
    same = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies),
            "User-Agent": browser.headers["User-Agent"]}

    def multipart(size: int) -> bytes:
        return (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n"
                + b"x" * size + b"\r\n--XyZ--\r\n")

    # Under the budget (over the anonymous one, and over Flask's default 500 kB form memory): read, and answered
    # by the form itself.
    fits = browser.post(server.url + "/members/new", data={"first_name": "A", "notes": "n" * 600_000},
                        timeout=10)
    fits_chunked = send(server, "POST", "/members/new",
                        {**same, "Content-Type": "multipart/form-data; boundary=XyZ"}, multipart(200_000),
                        chunked=True)
    too_large = send(server, "POST", "/members/new", {**same, "Content-Type": "multipart/form-data; boundary=XyZ"},
                     multipart(3 * MIB // 2), chunked=False)
    chunked = send(server, "POST", "/members/new", {**same, "Content-Type": "application/x-www-form-urlencoded"},
                   b"first_name=A&notes=" + b"n" * (3 * MIB // 2), chunked=True)
    assert fits.status_code == 422, fits.status_code
    assert fits_chunked.status == 422, (fits_chunked.status, fits_chunked.body[:300])
    for answer in (too_large, chunked):
        assert answer.status == 413, (answer.status, answer.body[:300])
        assert answer.headers["content-type"].startswith("text/html") and b"413" in answer.body


def test_a_slow_client_holds_one_worker_until_the_timeout_and_never_stalls_the_others(tmp_path):
    # No request here reads the database (an anonymous login page): one engine is enough.
    with Gunicorn(f"sqlite:///{tmp_path / 'clubcrm.db'}", workers=2, timeout=2) as server:
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        slow.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        started = time.monotonic()
        dropped_after = None
        page = None
        while dropped_after is None and time.monotonic() - started < 20:
            try:
                slow.sendall(b"e")   # one byte every 0.2 s: the whole body would take 200 s
            except OSError:
                dropped_after = time.monotonic() - started
                break
            if select.select([slow], [], [], 0.2)[0] and not slow.recv(4096):
                dropped_after = time.monotonic() - started
            if page is None and time.monotonic() - started > 0.5:
                asked = time.monotonic()
                page = requests.get(server.url + "/login", timeout=20)
                page_seconds = time.monotonic() - asked
        slow.close()
    # The other worker answered at once; gunicorn's timeout (2 s here, 30 s in gunicorn.conf.py) ended the
    # worker held by the slow client.
    assert page is not None and page.status_code == 200
    assert page_seconds < 2, f"a normal request waited {page_seconds:.1f} s behind a slow client"
    assert dropped_after is not None and dropped_after < 10, dropped_after


@pytest.mark.parametrize("trusted", [0, 1])
def test_the_client_address_comes_from_x_forwarded_for_only_when_a_proxy_is_configured(database_url, trusted):
    app = make_app(database_url, PROXY_FIX_X_FOR=trusted, PROXY_FIX_X_PROTO=trusted, API_RATE_LIMIT_PER_MINUTE=2)
    client = app.test_client()

    def ask(address: str):
        return client.get("/api/v1/members/1", headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})

    # Requests without a token are limited per client address: two each.
    answers = [ask("203.0.113.7").status_code for _ in range(3)] + [ask("198.51.100.9").status_code]
    with app.app_context():
        db.engine.dispose()
    if trusted:   # behind the proxy: each client has its own address and its own limit
        assert answers == [401, 401, 429, 401]
    else:   # no proxy configured: the header is the client's own claim, ignored
        assert answers == [401, 401, 429, 429]


def test_the_import_upload_has_its_file_limit_as_budget_not_the_forms(client, login_as, monkeypatch):
    from clubcrm.imports import jobs

    login_as("manager")
    csv = b"First name;Phone\n" + b"Anna;040 1234567\n" * 90_000   # 1.5 MB: over a form's budget, a fine upload
    fine = client.post("/imports/", data={"file": (BytesIO(csv), "members.csv")}, content_type="multipart/form-data")
    monkeypatch.setattr(jobs, "MAX_BYTES", 100_000)   # the upload's one setting moves its budget too
    over = client.post("/imports/", data={"file": (BytesIO(csv), "members.csv")}, content_type="multipart/form-data")
    assert fine.status_code == 302, fine.status_code
    assert over.status_code == 413 and over.mimetype == "text/html"


def test_a_logged_out_cookie_gets_the_anonymous_budget_not_a_staff_forms(app, client, login_as):
    """The budget asks the login session, not the cookie: a copy kept from before logout sends like a stranger."""
    login_as("desk")
    kept = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", kept)
    body = {"email": "x@example.org", "password": "y" * 200_000}   # 200 KB: a fine staff form, too much for a stranger
    assert thief.post("/login", data=body).status_code == 413


@pytest.mark.parametrize("chunked", [False, True])
def test_the_api_budget_takes_64_kib_exactly_and_refuses_one_byte_more(client, make, chunked):
    token = api_tokens.issue(make.staff("desk"))
    db.session.commit()

    def post(size: int):
        body = b'{"name": "Anna"}'.ljust(size, b" ")   # JSON allows trailing blanks
        if not chunked:
            return client.post("/api/v1/leads", data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
        # As gunicorn hands a chunked body over: no Content-Length, the stream ends where the body ends.
        return client.post("/api/v1/leads", input_stream=BytesIO(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    fits, over = post(64 * 1024), post(64 * 1024 + 1)
    assert fits.status_code in (200, 201), (fits.status_code, fits.json)
    assert over.status_code == 413 and over.json["error"]["code"] == "too_large"
