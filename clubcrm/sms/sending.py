"""Dispatch with the app's settings: the worker's job and `clubcrm sms dispatch` call this."""
from datetime import datetime

from flask import current_app

from clubcrm.sms import dispatch
from clubcrm.sms.client import close_client, make_client, public_base, settings_from


def dispatch_now(now: datetime, limit: int = 200) -> dispatch.Report:
    """Send what is due at NOW with the Twilio settings of the current app (none: messages wait)."""
    settings = settings_from(current_app.config)
    client = make_client(settings) if settings else None
    public = public_base(current_app.config)
    # Delivery reports come back to our status webhook when Twilio can reach us.
    callback = f"{public}/webhooks/twilio/status" if public else None
    try:
        return dispatch.dispatch(now, settings, client, limit=limit, status_callback=callback,
                                 per_second=current_app.config.get("TWILIO_MESSAGES_PER_SECOND"))
    finally:
        if client is not None:
            close_client(client)
