"""A fake Twilio Messages API on 127.0.0.1 that the real SDK talks to through TWILIO_API_BASE.

    from tests.fake_twilio import error, fake_twilio_fixture, rate_limited  # noqa: F401  (fixture "fake_twilio")

    def test_something(fake_twilio):
        app = make_app(url, **fake_twilio.config())
        fake_twilio.respond_for("+358401234567", error(21610))   # every message to this number
        fake_twilio.respond_next(rate_limited(), "ok")           # the next two messages, whoever they go to
        ...
        assert len(fake_twilio.sent_to("+358401111111")) <= 1

A reply is chosen from the queue of next replies first, then the per-number mapping, then "ok". Replies: ok(),
error(code, http_status=400), rate_limited(retry_after=1), server_error(http_status=500, json_body=True,
took_it=False) (took_it: a 5xx although Twilio took the message), timeout(seconds=30) (answers only after the
client gave up, or never when the server stops first) and slow(seconds). The names "ok", "rate_limited",
"server_error" and "timeout" are accepted as strings too.

`received` lists every POST to the Messages endpoint that passed authentication, whatever the reply; `sent` is the
subset that Twilio would deliver (ok, slow, timeout and took_it: a timed-out request still created the message).
`requests` lists every HTTP request (method, path), including refused ones. GET of one message and of the message
list (To, From and PageSize filters, a single page, newest first) are served from `sent` so reconciliation can be
tested.

Knobs for fault tests: `delay` (seconds) holds every "ok" answer to a create, after the message is recorded (a
slow Twilio that has already taken the message); `on_create(received)` and `on_lookup(path, query)` are called in
the request's thread, on a create as soon as it is recorded and on a GET before it is answered (a test moves its
clock there, or makes a race happen at that exact point).
"""
from __future__ import annotations

import base64
import json
import math
import re
import secrets
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

API = "/2010-04-01"
DEFAULT_FROM = "+15005550006"
MESSAGES = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json")
MESSAGES_TEXT = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "The 'From' number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21614: "'To' number is not a valid mobile number",
}

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """How many SMS segments Twilio would bill BODY as (GSM-7 when it fits, UCS-2 otherwise)."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in body):
        length = sum(2 if c in GSM7_EXTENDED else 1 for c in body)
        return 1 if length <= 160 else math.ceil(length / 153)
    length = len(body.encode("utf-16-le")) // 2
    return 1 if length <= 70 else math.ceil(length / 67)


@dataclass(frozen=True)
class Reply:
    kind: str  # ok, error, rate_limited, server_error, timeout, slow
    code: int | None = None
    http_status: int = 201
    seconds: float = 0.0
    retry_after: int | None = None
    json_body: bool = True
    took_it: bool = False   # a server error after Twilio had taken the message

    @property
    def accepts(self) -> bool:
        """Whether Twilio takes the message (and will deliver it) with this reply."""
        return self.kind in ("ok", "slow", "timeout") or self.took_it


def ok() -> Reply:
    return Reply("ok")


def error(code: int, http_status: int = 400) -> Reply:
    return Reply("error", code=code, http_status=http_status)


def rate_limited(retry_after: int = 1) -> Reply:
    return Reply("rate_limited", code=20429, http_status=429, retry_after=retry_after)


def server_error(http_status: int = 500, json_body: bool = True, took_it: bool = False) -> Reply:
    return Reply("server_error", code=20500 if json_body else None, http_status=http_status, json_body=json_body,
                 took_it=took_it)


def timeout(seconds: float = 30.0) -> Reply:
    return Reply("timeout", seconds=seconds)


def slow(seconds: float) -> Reply:
    return Reply("slow", seconds=seconds)


NAMED = {"ok": ok, "rate_limited": rate_limited, "server_error": server_error, "timeout": timeout}


def _reply(reply: Reply | str) -> Reply:
    return reply if isinstance(reply, Reply) else NAMED[reply]()


@dataclass(frozen=True)
class Received:
    sid: str
    account_sid: str
    to: str | None
    from_: str | None
    messaging_service_sid: str | None
    body: str | None
    status_callback: str | None
    form: dict[str, list[str]]
    reply: Reply
    created: datetime = field(compare=False)

    @property
    def accepted(self) -> bool:
        return self.reply.accepts


class FakeTwilio:
    """The server; start() it, read base_url, script replies, stop() it (the fixture does both)."""

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None):
        self.account_sid = account_sid or "AC" + uuid.uuid4().hex
        self.auth_token = auth_token or secrets.token_hex(16)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._next: list[Reply] = []
        self._for: dict[str, Reply] = {}
        self._received: list[Received] = []
        self._requests: list[tuple[str, str]] = []
        self._errors: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.delay = 0.0
        self.on_create: Callable[[Received], None] | None = None
        self.on_lookup: Callable[[str, dict[str, list[str]]], None] | None = None

    # Life cycle -------------------------------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping replies, join every request thread and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # joins the request threads (daemon_threads is off)
            self._thread.join()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def config(self, **overrides) -> dict:
        """Flask config keys that point the app's Twilio client at this server."""
        return {"TWILIO_ACCOUNT_SID": self.account_sid, "TWILIO_AUTH_TOKEN": self.auth_token,
                "TWILIO_FROM": DEFAULT_FROM, "TWILIO_API_BASE": self.base_url, "TWILIO_TIMEOUT_SECONDS": 2,
                **overrides}

    # Scripting --------------------------------------------------------------------------------------------------
    def respond_next(self, *replies: Reply | str) -> None:
        """Queue replies for the next messages, whoever they go to (before any per-number reply)."""
        with self._lock:
            self._next.extend(_reply(r) for r in replies)

    def respond_for(self, number: str, reply: Reply | str | None) -> None:
        """Answer every message to NUMBER with REPLY (None: back to ok)."""
        with self._lock:
            if reply is None:
                self._for.pop(number, None)
            else:
                self._for[number] = _reply(reply)

    def _choose(self, to: str | None) -> Reply:
        with self._lock:
            if self._next:
                return self._next.pop(0)
            return self._for.get(to or "", Reply("ok"))

    # Records ----------------------------------------------------------------------------------------------------
    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def sent(self) -> list[Received]:
        return [m for m in self.received if m.accepted]

    def sent_to(self, number: str) -> list[Received]:
        return [m for m in self.sent if m.to == number]

    @property
    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of the fake's own failures (a bug in the fake, not a client error)."""
        with self._lock:
            return list(self._errors)

    def _record(self, item) -> None:
        with self._lock:
            if isinstance(item, Received):
                self._received.append(item)
            else:
                self._requests.append(item)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins them: no thread outlives the test
    block_on_close = True
    fake: FakeTwilio

    def handle_error(self, request, client_address):
        exc = traceback.format_exc()
        # A client that gave up (timeout) closes its socket; writing the late answer then fails. That is expected.
        if not any(name in exc for name in ("BrokenPipeError", "ConnectionResetError", "ConnectionAbortedError")):
            self.fake._record_error(exc)


def message_json(m: Received, status: str) -> dict:
    uri = f"{API}/Accounts/{m.account_sid}/Messages/{m.sid}.json"
    date = format_datetime(m.created)
    return {
        "account_sid": m.account_sid, "api_version": "2010-04-01", "body": m.body or "",
        "date_created": date, "date_sent": None, "date_updated": date, "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": m.from_, "messaging_service_sid": m.messaging_service_sid,
        "num_media": "0", "num_segments": str(num_segments(m.body or "")), "price": None, "price_unit": "USD",
        "sid": m.sid, "status": status, "to": m.to, "uri": uri,
        "subresource_uris": {"media": uri.replace(".json", "/Media.json"),
                             "feedback": uri.replace(".json", "/Feedback.json")},
    }


def initial_status(m: Received) -> str:
    # Twilio answers "accepted" when a Messaging Service will pick the sender, "queued" otherwise.
    return "accepted" if m.messaging_service_sid and not m.from_ else "queued"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive thread at shutdown
    server_version = "FakeTwilio/1.0"

    def log_message(self, format, *args):  # quiet
        pass

    @property
    def fake(self) -> FakeTwilio:
        return self.server.fake

    # HTTP -------------------------------------------------------------------------------------------------------
    def do_POST(self):
        self._handle("POST")

    def do_GET(self):
        self._handle("GET")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        self.fake._record((method, url.path))
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True) if length else {}
        if not self._authenticated():
            self._send_error(20003, 401, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
            return
        match = MESSAGES.fullmatch(url.path)
        if match is None or match["account"] != self.fake.account_sid:
            self._send_error(20404, 404)
        elif method == "POST" and match["sid"] is None:
            self._create(form)
        elif method == "GET":
            if self.fake.on_lookup is not None:
                self.fake.on_lookup(url.path, parse_qs(url.query))
            if match["sid"] is None:
                self._list(parse_qs(url.query))
            else:
                self._fetch(match["sid"])
        else:
            self._send_error(20404, 404)

    def _authenticated(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return (secrets.compare_digest(user, self.fake.account_sid)
                and secrets.compare_digest(password, self.fake.auth_token))

    # Messages ---------------------------------------------------------------------------------------------------
    def _create(self, form: dict[str, list[str]]) -> None:
        def one(key):
            return form[key][-1] if key in form else None

        to, from_, service, body = one("To"), one("From"), one("MessagingServiceSid"), one("Body")
        missing = 21604 if not to else 21602 if not body else 21603 if not (from_ or service) else None
        reply = error(missing) if missing else self.fake._choose(to)
        message = Received(sid="SM" + uuid.uuid4().hex, account_sid=self.fake.account_sid, to=to, from_=from_,
                           messaging_service_sid=service, body=body, status_callback=one("StatusCallback"),
                           form=form, reply=reply, created=datetime.now(UTC))
        self.fake._record(message)
        if self.fake.on_create is not None:
            self.fake.on_create(message)
        wait = reply.seconds if reply.kind in ("timeout", "slow") else self.fake.delay if reply.kind == "ok" else 0.0
        if wait and self.fake._stopping.wait(wait):
            return  # the server is stopping: close without an answer
        if reply.accepts and reply.kind != "server_error":
            self._send_json(201, message_json(message, initial_status(message)))
        elif reply.kind == "rate_limited":
            self._send_error(reply.code, 429, headers={"Retry-After": str(reply.retry_after)})
        elif reply.kind == "server_error" and not reply.json_body:
            self._send(reply.http_status, b"<html><body>Bad Gateway</body></html>", "text/html")
        else:
            self._send_error(reply.code, reply.http_status)

    def _fetch(self, sid: str) -> None:
        for m in self.fake.sent:
            if m.sid == sid:
                self._send_json(200, message_json(m, initial_status(m)))
                return
        self._send_error(20404, 404)

    def _list(self, query: dict[str, list[str]]) -> None:
        messages = [m for m in reversed(self.fake.sent)
                    if m.to == query.get("To", [m.to])[0] and m.from_ == query.get("From", [m.from_])[0]]
        page_size = int(query.get("PageSize", ["50"])[0])
        uri = f"{API}/Accounts/{self.fake.account_sid}/Messages.json?PageSize={page_size}&Page=0"
        self._send_json(200, {
            "messages": [message_json(m, initial_status(m)) for m in messages[:page_size]],
            "end": max(min(len(messages), page_size) - 1, 0), "first_page_uri": uri, "next_page_uri": None,
            "page": 0, "page_size": page_size, "previous_page_uri": None, "start": 0, "uri": uri,
        })

    # Answers ----------------------------------------------------------------------------------------------------
    def _send_error(self, code: int, http_status: int, headers: dict | None = None) -> None:
        self._send_json(http_status, {"code": code, "message": MESSAGES_TEXT.get(code, f"Error {code}"),
                                      "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                      "status": http_status}, headers)

    def _send_json(self, http_status: int, payload: dict, headers: dict | None = None) -> None:
        self._send(http_status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, http_status: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(http_status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def dispatch_through(fake: "FakeTwilio", now):
    """Run the SMS dispatcher once at NOW through the real SDK against FAKE; return its report."""
    from clubcrm.sms import dispatch as dispatching
    from clubcrm.sms.client import close_client, make_client, settings_from

    settings = settings_from(fake.config())
    client = make_client(settings)
    try:
        return dispatching.dispatch(now, settings, client)
    finally:
        close_client(client)


@pytest.fixture(name="fake_twilio")
def fake_twilio_fixture():
    """A started FakeTwilio, stopped after the test; a failure inside the fake fails the test."""
    server = FakeTwilio().start()
    try:
        yield server
    finally:
        server.stop()
    assert server.errors == [], "the fake Twilio server failed:\n" + "\n".join(server.errors)


@pytest.fixture(name="twilio")
def twilio_fixture(fake_twilio):
    """(the fake, the SDK's settings for it, a real twilio Client talking to it) for tests that send; the client is
    closed after the test."""
    from clubcrm.sms.client import close_client, make_client, settings_from

    settings = settings_from(fake_twilio.config(TWILIO_TIMEOUT_SECONDS=0.5))
    client = make_client(settings)
    yield fake_twilio, settings, client
    close_client(client)


# The same fixture under the name it registers, for tests that import it as fake_twilio (ruff then reports F811
# wherever a test takes it as an argument; importing fake_twilio_fixture avoids that).
fake_twilio = fake_twilio_fixture
