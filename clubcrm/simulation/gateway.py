"""The simulated club's SMS gateway: an in-process transport behind the real Twilio SDK, so the simulated club's
SMS go through the product's own dispatch (claim, screen, send, outcome) and the gateway alone says which ones
reached their member.

`GatewayHttpClient` is a `twilio.http.HttpClient`: the SDK's `messages.create` call lands in `request`, which answers
as Twilio's Messages API does (tests/fake_twilio.py shows the shapes), without a socket and without throttling.
The gateway decides each message's fate with its own random draws: a small share refused at once (a final error,
as a number that cannot take SMS), a small share accepted but never delivered, the rest delivered. It keeps the
record of what reached whom; the simulator's truth reads that record, never the message or touchpoint statuses.
"""
from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from email.utils import format_datetime

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from clubcrm import clock
from clubcrm.sms.client import TwilioSettings

ACCOUNT_SID = "AC" + "5" * 32
SENDER = "+15005550006"
# A final refusal that is not an opt-out nor an invalid number: the dispatcher marks the message failed.
UNREACHABLE = 21612
UNDELIVERED = 30003   # Unreachable destination handset (Twilio's code in a status callback)


@dataclass(frozen=True)
class Outcome:
    sid: str
    to: str
    body: str
    accepted: bool      # Twilio took it (201)
    delivered: bool     # ...and the handset got it


@dataclass
class Gateway:
    """The simulated operator: REFUSE_SHARE of messages refused at the API, UNDELIVERED_SHARE of the accepted never
    delivered. `outcomes` lists every create call; `take()` hands the new ones to the simulator once."""

    rng: random.Random
    refuse_share: float = 0.01
    undelivered_share: float = 0.02
    outcomes: list[Outcome] = field(default_factory=list)
    _taken: int = 0
    _next_sid: int = 0

    def settings(self) -> TwilioSettings:
        return TwilioSettings(ACCOUNT_SID, "simulated-token", SENDER)

    def client(self) -> Client:
        """The real SDK client, talking to this gateway in-process."""
        return Client(ACCOUNT_SID, "simulated-token", http_client=GatewayHttpClient(self))

    def take(self) -> list[Outcome]:
        """The outcomes since the last call."""
        new = self.outcomes[self._taken:]
        self._taken = len(self.outcomes)
        return new

    def create(self, form: dict) -> tuple[int, dict]:
        """Answer a Messages API create: (HTTP status, JSON body)."""
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        self._next_sid += 1
        sid = f"SM{self._next_sid:032x}"
        if self.rng.random() < self.refuse_share:
            self.outcomes.append(Outcome(sid, to, body, False, False))
            return 400, {"code": UNREACHABLE, "message": "The 'To' phone number is not currently reachable via SMS",
                         "more_info": f"https://www.twilio.com/docs/errors/{UNREACHABLE}", "status": 400}
        delivered = self.rng.random() >= self.undelivered_share
        self.outcomes.append(Outcome(sid, to, body, True, delivered))
        uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json"
        created = format_datetime(clock.utcnow())
        return 201, {
            "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": body, "date_created": created,
            "date_sent": None, "date_updated": created, "direction": "outbound-api", "error_code": None,
            "error_message": None, "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
            "to": to, "uri": uri, "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }


class GatewayHttpClient(HttpClient):
    """The SDK's transport, answered by a Gateway in-process: creates of messages only (the dispatcher asks Twilio
    about a message only after a crash or a maybe-sent error, which the gateway never produces)."""

    def __init__(self, gateway: Gateway):
        super().__init__(logging.getLogger("clubcrm.simulation.gateway"), is_async=False)
        self.gateway = gateway

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> Response:
        if method.upper() == "POST" and uri.endswith("/Messages.json"):
            status, payload = self.gateway.create(dict(data or {}))
        else:
            status, payload = 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        return Response(status, json.dumps(payload))
