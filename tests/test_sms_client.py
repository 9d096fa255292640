"""The Twilio client: the real SDK against the fake server, one HTTP request per send, errors sorted by kind."""
import re
import socket
import time

import pytest
from twilio.http.http_client import TwilioHttpClient

from clubcrm.sms.client import (
    RedirectingHttpClient,
    SendError,
    TwilioSettings,
    close_client,
    make_client,
    send,
    settings_from,
)
from tests.fake_twilio import error, fake_twilio_fixture, num_segments, rate_limited, server_error, slow, timeout  # noqa: F401

TO = "+358401234567"
SERVICE = "MG" + "0123456789abcdef" * 2
CALLBACK = "https://crm.example.org/webhooks/twilio/status"


@pytest.fixture
def connect(fake_twilio):
    """connect(**config overrides) -> (client, settings) for the fake server, through settings_from and make_client."""
    clients = []

    def connect(**overrides):
        settings = settings_from(fake_twilio.config(**overrides))
        client = make_client(settings)
        clients.append(client)
        return client, settings

    yield connect
    for client in clients:
        close_client(client)


def refused(client, settings, to=TO) -> SendError:
    with pytest.raises(SendError) as info:
        send(client, settings, to, "Hello", CALLBACK)
    return info.value


def test_a_message_goes_out_from_the_number(connect, fake_twilio):
    client, settings = connect()
    sent = send(client, settings, TO, "Tervetuloa takaisin!", CALLBACK)
    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.sid) and sent.status == "queued"
    [message] = fake_twilio.received
    assert (message.sid, message.to, message.body, message.from_, message.messaging_service_sid,
            message.status_callback) == (sent.sid, TO, "Tervetuloa takaisin!", "+15005550006", None, CALLBACK)
    assert isinstance(client.http_client, RedirectingHttpClient) and client.http_client.timeout == 2.0
    assert [path for _, path in fake_twilio.requests] == [f"/2010-04-01/Accounts/{settings.account_sid}/Messages.json"]


def test_a_message_goes_out_through_a_messaging_service(connect, fake_twilio):
    client, settings = connect(TWILIO_MESSAGING_SERVICE_SID=SERVICE)
    assert settings.sender == SERVICE and settings.uses_messaging_service
    sent = send(client, settings, TO, "Hei", None)
    [message] = fake_twilio.received
    assert sent.status == "accepted"
    assert (message.messaging_service_sid, message.from_, message.status_callback) == (SERVICE, None, None)
    assert "From" not in message.form and "StatusCallback" not in message.form


@pytest.mark.parametrize("reply, kind, code, http_status, maybe_sent", [
    (error(21610), "opted_out", 21610, 400, False),
    (error(21211), "invalid_number", 21211, 400, False),
    (rate_limited(), "retry", 20429, 429, False),
    (error(21611), "retry", 21611, 400, False),
    (server_error(), "retry", 20500, 500, True),
    (server_error(502, json_body=False), "retry", None, 502, True),
    (error(21614), "final", 21614, 400, False),
], ids=["opted-out", "invalid-number", "rate-limited", "queue-full", "server-error", "bad-gateway-html", "other-4xx"])
def test_refusals_are_sorted_and_never_retried(connect, fake_twilio, reply, kind, code, http_status, maybe_sent):
    client, settings = connect()
    fake_twilio.respond_next(reply)
    failure = refused(client, settings)
    assert (failure.kind, failure.code, failure.http_status, failure.maybe_sent) == (kind, code, http_status,
                                                                                   maybe_sent)
    assert failure.final == (kind != "retry") and failure.message
    # The SDK's exception carries no response headers, so a 429's Retry-After is not visible to us.
    assert failure.retry_after is None
    assert len(fake_twilio.requests) == 1 and len(fake_twilio.received) == 1 and fake_twilio.sent == []


def test_a_timeout_is_retried_later_but_may_have_been_sent(connect, fake_twilio):
    client, settings = connect(TWILIO_TIMEOUT_SECONDS=0.5)
    fake_twilio.respond_next(timeout())
    started = time.monotonic()
    failure = refused(client, settings)
    assert time.monotonic() - started < 2
    assert (failure.kind, failure.code, failure.http_status, failure.maybe_sent) == ("retry", None, None, True)
    assert failure.message.startswith("timeout")
    # Twilio got it and will deliver it: the dispatcher must reconcile before sending again.
    assert len(fake_twilio.requests) == 1 and len(fake_twilio.sent_to(TO)) == 1


def test_a_slow_answer_within_the_timeout_is_a_success(connect, fake_twilio):
    client, settings = connect(TWILIO_TIMEOUT_SECONDS=0.5)
    fake_twilio.respond_next(slow(0.2))
    sent = send(client, settings, TO, "Hello", CALLBACK)
    assert [m.sid for m in fake_twilio.sent] == [sent.sid]


def test_a_wrong_token_is_final(connect, fake_twilio):
    client, settings = connect(TWILIO_AUTH_TOKEN="wrong")
    failure = refused(client, settings)
    assert (failure.kind, failure.code, failure.http_status, failure.maybe_sent) == ("final", 20003, 401, False)
    assert len(fake_twilio.requests) == 1 and fake_twilio.received == []


def test_no_server_is_a_retry_that_certainly_did_not_send():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = TwilioSettings("AC" + "0" * 32, "token", "+15005550006", f"http://127.0.0.1:{port}", 0.5)
    client = make_client(settings)
    try:
        failure = refused(client, settings)
    finally:
        close_client(client)
    assert (failure.kind, failure.http_status, failure.maybe_sent) == ("retry", None, False)


def test_replies_per_number_and_the_queue_first(connect, fake_twilio):
    client, settings = connect()
    fake_twilio.respond_for("+358400000001", error(21610))
    assert refused(client, settings, "+358400000001").kind == "opted_out"
    send(client, settings, "+358400000002", "Hello")
    fake_twilio.respond_next("ok")
    send(client, settings, "+358400000001", "Hello")
    assert refused(client, settings, "+358400000001").kind == "opted_out"
    assert [m.to for m in fake_twilio.sent] == ["+358400000002", "+358400000001"]


def test_sent_messages_can_be_found_again(connect, fake_twilio):
    client, settings = connect()
    first = send(client, settings, TO, "One")
    send(client, settings, "+358400000002", "Two")
    assert [m.sid for m in client.messages.list(to=TO)] == [first.sid]
    assert client.messages(first.sid).fetch().body == "One"


def test_the_fake_refuses_what_twilio_refuses(connect, fake_twilio):
    client, settings = connect()
    assert refused(client, settings, to="").code == 21604
    with pytest.raises(SendError) as info:
        send(client, settings, TO, "", None)
    assert info.value.code == 21602 and info.value.kind == "final"


@pytest.mark.parametrize("config", [
    {},
    {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},
    {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_FROM": "+15005550006"},
    {"TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"},
    {"TWILIO_ACCOUNT_SID": " ", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"},
    {"TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None, "TWILIO_FROM": None, "TWILIO_API_BASE": None},
])
def test_without_credentials_sms_is_not_configured(config):
    assert settings_from(config) is None


def test_settings_read_the_config():
    base = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "secret", "TWILIO_FROM": "+15005550006"}
    settings = settings_from(base)
    assert settings == TwilioSettings("AC1", "secret", "+15005550006", None, 10.0)
    assert not settings.uses_messaging_service and "secret" not in repr(settings)
    assert settings_from({**base, "TWILIO_MESSAGING_SERVICE_SID": SERVICE, "TWILIO_TIMEOUT_SECONDS": "2.5",
                          "TWILIO_API_BASE": "http://127.0.0.1:9"}) == TwilioSettings(
        "AC1", "secret", SERVICE, "http://127.0.0.1:9", 2.5)
    # An alphanumeric sender ID that starts with MG is still a sender, not a service.
    assert not settings_from({**base, "TWILIO_FROM": "MGYMCLUB"}).uses_messaging_service
    for bad in ({"TWILIO_TIMEOUT_SECONDS": "0"}, {"TWILIO_TIMEOUT_SECONDS": "soon"},
                {"TWILIO_MESSAGING_SERVICE_SID": "MG1"}, {"TWILIO_API_BASE": "127.0.0.1:9"}):
        with pytest.raises(ValueError):
            settings_from({**base, **bad})


def test_without_an_api_base_the_sdk_client_goes_to_twilio_with_the_timeout():
    client = make_client(TwilioSettings("AC1", "t", "+15005550006", None, 3.0))
    assert type(client.http_client) is TwilioHttpClient and client.http_client.timeout == 3.0
    close_client(client)


def test_the_redirect_keeps_path_and_query():
    http = RedirectingHttpClient("http://127.0.0.1:8080/prefix/", timeout=1)
    assert http.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=20") == (
        "http://127.0.0.1:8080/prefix/2010-04-01/Accounts/AC1/Messages.json?PageSize=20")
    with pytest.raises(ValueError):
        RedirectingHttpClient("127.0.0.1:8080")
    http.session.close()


@pytest.mark.parametrize("body, segments", [("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("Привет" * 12, 2)])
def test_the_fake_counts_segments(body, segments):
    assert num_segments(body) == segments
