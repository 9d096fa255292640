"""A manager's test SMS from the settings page: sent at once through Twilio to a staff phone (not queued, not
held for quiet hours: a person is waiting to see it arrive), the answer shown, the attempt audited."""
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from clubcrm.errors import Conflict, InvalidInput
from clubcrm.models import Club, Staff
from clubcrm.phones import to_e164
from clubcrm.services import audit
from clubcrm.sms.client import SendError, close_client, make_client, send, settings_from
from clubcrm.sms.club_sender import own_sender, with_sender


@dataclass(frozen=True)
class Status:
    configured: bool
    sender: str          # what the club's SMS go out from ("" when not configured)
    own_sender: bool     # the club's own number or messaging service, not the installation's
    problem: str = ""    # a malformed setting, in words


def status(club: Club, config: Mapping) -> Status:
    """Whether SMS can go out for CLUB, and from which sender."""
    try:
        settings = settings_from(config)
    except ValueError as error:
        return Status(False, "", False, str(error))
    if settings is None:
        return Status(False, "", False)
    own = own_sender(club)
    return Status(True, own or settings.sender, own is not None)


def send_test(staff: Staff, club: Club, phone: str, config: Mapping) -> str:
    """Send a short test SMS to PHONE (a staff phone, any common format) from CLUB's sender; return Twilio's
    message SID, or raise with Twilio's answer in words."""
    to = to_e164(phone, club.country)   # InvalidInput on "phone"
    try:
        settings = settings_from(config)
    except ValueError as error:
        raise Conflict("phone", _l("The SMS settings are wrong: %(problem)s", problem=str(error))) from None
    if settings is None:
        raise Conflict("phone", _l("SMS is not configured on this installation: nothing can be sent."))
    settings = with_sender(settings, own_sender(club))
    client = make_client(settings)
    body = str(_l("ClubCRM test message from %(club)s: SMS works.", club=club.name))
    try:
        sent = send(client, settings, to, body)
    except SendError as error:
        raise InvalidInput("phone", _l("Twilio refused the test message: %(reason)s",
                                       reason=" ".join(str(p) for p in (error.code, error.message) if p))) from None
    finally:
        close_client(client)
    audit.record(staff, "test_sms", "club", club.id, club_id=club.id, after={"to": to, "sid": sent.sid})
    return sent.sid
