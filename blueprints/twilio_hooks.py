"""Twilio's webhooks: delivery status callbacks and inbound SMS. No login and no CSRF token: every request must
carry a valid X-Twilio-Signature for PUBLIC_URL + its path, or it is refused with 403 and changes nothing. A valid
signature does not make a request fresh: clubcrm.sms.inbound acts once per MessageSid (and sid + status)."""
import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from clubcrm.db import unit_of_work
from clubcrm.extensions import csrf
from clubcrm.sms import inbound as sms_inbound
from clubcrm.sms.client import public_base

bp = Blueprint("twilio_hooks", __name__, url_prefix="/webhooks/twilio")
log = logging.getLogger(__name__)


def public_url() -> str | None:
    """The URL Twilio requested: PUBLIC_URL (the site's address as Twilio sees it) + path + query string."""
    base = public_base(current_app.config)
    if not base:
        return None
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def verify() -> None:
    """Refuse (403) a request whose signature is missing or wrong, or when the settings to check it are missing."""
    token = str(current_app.config.get("TWILIO_AUTH_TOKEN") or "").strip()
    url = public_url()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (token and url and signature):
        abort(403)
    try:
        valid = RequestValidator(token).validate(url, request.form, signature)
    except (ValueError, TypeError, UnicodeError):
        valid = False
    if not valid:
        log.warning("Twilio webhook with a bad signature refused: %s", request.path)
        abort(403)


def _field(name: str) -> str:
    return request.form.get(name, "")


@bp.post("/status")
@csrf.exempt
def status():
    """Record a delivery status Twilio reports (once per sid and status)."""
    verify()
    with unit_of_work():
        sms_inbound.record_status(_field("MessageSid"), _field("MessageStatus"), _field("ErrorCode"))
    return Response(status=204)


@bp.post("/inbound")
@csrf.exempt
def inbound():
    """Act on a member's SMS (once per MessageSid) and answer with TwiML: the reply, or nothing."""
    verify()
    with unit_of_work():
        text = sms_inbound.receive(_field("MessageSid"), _field("From"), _field("To"), _field("Body"))
    twiml = MessagingResponse()
    if text:
        twiml.message(text)
    return Response(str(twiml), mimetype="application/xml")
