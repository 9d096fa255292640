"""Twilio plumbing: settings from the app config, the real SDK client (pointable at another host) and one send.

`send` makes exactly one HTTP request and never retries: backoff, idempotency and reconciliation belong to the
dispatcher, which reads `SendError.kind` (and `maybe_sent` for outcomes where Twilio may have taken the message).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

DEFAULT_TIMEOUT_SECONDS = 10.0
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")

# Twilio error codes that decide what happens next.
OPTED_OUT = 21610           # Attempt to send to unsubscribed recipient
INVALID_NUMBER = 21211      # Invalid 'To' phone number
TOO_MANY_REQUESTS = 20429   # Too Many Requests
QUEUE_OVERFLOW = 21611      # This 'From' number has exceeded the maximum number of queued messages

KINDS = ("opted_out", "invalid_number", "retry", "final")


class RedirectingHttpClient(TwilioHttpClient):
    """The SDK's HTTP client with every request sent to BASE_URL instead of *.twilio.com.

    Scheme and host (and port) are replaced; the SDK's path and query are kept, after BASE_URL's own path if it has
    one. The SDK has no base-URL setting, so this is how TWILIO_API_BASE points it at a fake server or a proxy."""

    def __init__(self, base_url: str, timeout: float | None = None, **kwargs):
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"TWILIO_API_BASE must be an http(s) URL with a host, not {base_url!r}")
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url
        self._base = base

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((self._base.scheme, self._base.netloc, self._base.path.rstrip("/") + parts.path,
                           parts.query, parts.fragment))

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.rewrite(url), *args, **kwargs)


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    sender: str  # a phone number ("+...", or a short code / alphanumeric ID) or a Messaging Service SID ("MG...")
    api_base: str | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def uses_messaging_service(self) -> bool:
        return MESSAGING_SERVICE_SID.fullmatch(self.sender) is not None


def _text(config: Mapping, key: str) -> str:
    value = config.get(key)
    return str(value).strip() if value is not None else ""


def settings_from(config: Mapping) -> TwilioSettings | None:
    """Twilio settings from a Flask config mapping, or None when SMS is not configured (SID, token or sender missing).

    TWILIO_MESSAGING_SERVICE_SID wins over TWILIO_FROM when both are set. A present but malformed value (a messaging
    service SID that is not "MG" + 32 hex, an API base that is not an http(s) URL, a timeout that is not a positive
    number) raises ValueError: a typo must not look like "not configured"."""
    account_sid, auth_token = _text(config, "TWILIO_ACCOUNT_SID"), _text(config, "TWILIO_AUTH_TOKEN")
    service, from_ = _text(config, "TWILIO_MESSAGING_SERVICE_SID"), _text(config, "TWILIO_FROM")
    if service and not MESSAGING_SERVICE_SID.fullmatch(service):
        raise ValueError(f"TWILIO_MESSAGING_SERVICE_SID must be 'MG' and 32 hex digits, not {service!r}")
    sender = service or from_
    if not (account_sid and auth_token and sender):
        return None
    api_base = _text(config, "TWILIO_API_BASE") or None
    if api_base is not None:
        base = urlsplit(api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"TWILIO_API_BASE must be an http(s) URL with a host, not {api_base!r}")
    raw_timeout = config.get("TWILIO_TIMEOUT_SECONDS")
    try:
        timeout = DEFAULT_TIMEOUT_SECONDS if raw_timeout in (None, "") else float(raw_timeout)
    except (TypeError, ValueError):
        raise ValueError(f"TWILIO_TIMEOUT_SECONDS must be a number of seconds, not {raw_timeout!r}") from None
    if not timeout > 0:
        raise ValueError(f"TWILIO_TIMEOUT_SECONDS must be positive, not {raw_timeout!r}")
    return TwilioSettings(account_sid, auth_token, sender, api_base, timeout)


def public_base(config: Mapping) -> str:
    """The site's address as Twilio reaches it (PUBLIC_URL, no trailing slash), or "" when it is not public."""
    return _text(config, "PUBLIC_URL").rstrip("/")


def make_client(settings: TwilioSettings) -> Client:
    """The real SDK client; its requests go to settings.api_base when set and time out after settings.timeout."""
    if settings.api_base:
        http_client: TwilioHttpClient = RedirectingHttpClient(settings.api_base, timeout=settings.timeout)
    else:
        http_client = TwilioHttpClient(timeout=settings.timeout)
    return Client(settings.account_sid, settings.auth_token, http_client=http_client)


def close_client(client: Client) -> None:
    """Close the client's pooled connections."""
    session = getattr(client.http_client, "session", None)
    if session is not None:
        session.close()


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class SendError(Exception):
    """A send that Twilio refused or that did not complete.

    kind: "opted_out" and "invalid_number" (final, and the number should be marked), "retry" (back off and try
    again), "final" (any other refusal). code is Twilio's error code, None when there is none (timeouts, connection
    errors, a body without one); http_status is None when no response came. maybe_sent is True when Twilio may have
    accepted the message anyway (no response, a 5xx, an unreadable success): resend only after reconciling.
    retry_after is always None: the SDK's exceptions do not carry response headers, so Retry-After is not visible."""

    def __init__(self, code: int | None, http_status: int | None, message: str, kind: str,
                 retry_after: float | None = None, maybe_sent: bool = False):
        if kind not in KINDS:
            raise ValueError(kind)
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.message = message
        self.kind = kind
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent

    @property
    def final(self) -> bool:
        return self.kind != "retry"

    def __repr__(self) -> str:
        return (f"SendError(code={self.code!r}, http_status={self.http_status!r}, kind={self.kind!r}, "
                f"maybe_sent={self.maybe_sent!r}, message={self.message!r})")


def classify(code: int | None, http_status: int | None) -> str:
    """The kind of a Twilio error response: opted_out, invalid_number, retry or final."""
    if code == OPTED_OUT:
        return "opted_out"
    if code == INVALID_NUMBER:
        return "invalid_number"
    if http_status == 429 or code in (TOO_MANY_REQUESTS, QUEUE_OVERFLOW):
        return "retry"
    if http_status is not None and http_status >= 500:
        return "retry"
    return "final"


def _error_from_response(code, http_status: int, message: str) -> SendError:
    # Without a "code" in the body the SDK puts the HTTP status there; that is no Twilio error code.
    code = code if isinstance(code, int) and code != http_status else None
    return SendError(code, http_status, message, classify(code, http_status), maybe_sent=http_status >= 500)


def _reached_twilio(exc: requests.RequestException) -> bool:
    """False when the request certainly never left (no connection, no TLS); True when it may have arrived."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        return not isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return True


def send(client: Client, settings: TwilioSettings, to: str, body: str, status_callback: str | None = None) -> Sent:
    """Send one SMS with one API call (no retries here); raise SendError when it is not accepted."""
    params: dict[str, str] = {"to": to, "body": body}
    if settings.uses_messaging_service:
        params["messaging_service_sid"] = settings.sender
    else:
        params["from_"] = settings.sender
    if status_callback:
        params["status_callback"] = status_callback
    try:
        message = client.messages.create(**params)
    except TwilioRestException as exc:
        raise _error_from_response(exc.code, exc.status, exc.msg) from exc
    except TwilioServiceException as exc:
        raise _error_from_response(exc.code, exc.status, exc.detail or exc.title) from exc
    except requests.RequestException as exc:
        kind = "timeout" if isinstance(exc, requests.exceptions.Timeout) else "connection error"
        raise SendError(None, None, f"{kind}: {exc}", "retry", maybe_sent=_reached_twilio(exc)) from exc
    except json.JSONDecodeError as exc:
        raise SendError(None, None, f"unreadable success response: {exc}", "retry", maybe_sent=True) from exc
    return Sent(sid=message.sid, status=str(message.status))
