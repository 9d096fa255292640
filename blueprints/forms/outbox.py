"""The outbox's form: a manager's retry of a failed or unknown message."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from blueprints.forms import BaseForm


class RetryForm(BaseForm):
    """Send a failed message again; CONFIRM is the manager's word that an unknown one did not go out."""

    confirm = BooleanField(_l("Twilio's log shows it was not sent: send it again"))
