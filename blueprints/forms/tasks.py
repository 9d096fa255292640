"""Forms for staff tasks and contacts: what came of a call or talk with a member."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from blueprints.forms import BaseForm
from clubcrm.lifecycle.labels import OUTCOME_NAMES
from clubcrm.models import OUTCOMES
from clubcrm.services.tasks import NOTE_MAX


def outcome_choices() -> list[tuple[str, str]]:
    """List the outcomes of a contact in the reader's language, after an empty choice."""
    return [("", str(_l("Choose…")))] + [(code, str(OUTCOME_NAMES[code])) for code in OUTCOMES]


class ContactForm(BaseForm):
    """A contact logged from the member card."""

    # Any value reaches the service, which names the field when it refuses one.
    outcome = SelectField(_l("Outcome"), choices=outcome_choices, validate_choice=False)
    note = StringField(_l("Note"), validators=[Length(max=NOTE_MAX)])


class OutcomeForm(ContactForm):
    """A one-click outcome of an open task; NEXT is where to go back to (this site only)."""

    next = HiddenField()


class CallForm(BaseForm):
    """How a call about a cancelled or moved session went (one click)."""

    outcome = SelectField(_l("Outcome"), choices=outcome_choices, validate_choice=False)


class SmsForm(BaseForm):
    """An SMS a staff member writes to the member from the card."""

    body = TextAreaField(_l("Message"))
