"""Which sender a club's SMS go out from: the club's own number or messaging service when it has one, else the
installation's TWILIO_FROM / TWILIO_MESSAGING_SERVICE_SID."""
from dataclasses import replace

from clubcrm.models import Club
from clubcrm.sms.client import TwilioSettings


def own_sender(club: Club) -> str | None:
    """The club's own sender, None if it has none; its messaging service wins over its number, as the
    installation's settings do."""
    return club.sms_messaging_service_sid or club.sms_from or None


def with_sender(settings: TwilioSettings, sender: str | None) -> TwilioSettings:
    """SETTINGS sending from SENDER when one is given (the account and token stay the installation's)."""
    return replace(settings, sender=sender) if sender else settings
