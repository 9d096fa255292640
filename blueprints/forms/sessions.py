"""Forms for sessions: schedule one, book a member into one, the trainers page's period."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from blueprints.forms import BaseForm
from blueprints.forms.dates import LocaleDateField, LocaleDateTimeField
from blueprints.forms.sales import _int_or_none
from blueprints.forms.settings import AmountField


def kind_choices() -> list[tuple[str, str]]:
    """The kinds of session, in the reader's language."""
    return [("class", str(_l("Class"))), ("trial", str(_l("Trial session"))), ("event", str(_l("Club event")))]


class ScheduleForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices, validate_choice=False)
    title = StringField(_l("Title"), validators=[Length(max=80)])
    activity = StringField(_l("Activity"), validators=[Length(max=60)])
    starts_at = LocaleDateTimeField(_l("Starts at"), validators=[Optional()])
    ends_at = LocaleDateTimeField(_l("Ends at"), validators=[Optional()])
    capacity = IntegerField(_l("Places"), validators=[Optional()])
    trainer_id = SelectField(_l("Trainer"), coerce=_int_or_none, validate_choice=False)
    room = StringField(_l("Room"), validators=[Length(max=40)])
    price = AmountField(_l("Price (empty: included)"), places=None, validators=[Optional(), NumberRange(0, 10**7)])
    service_id = SelectField(_l("Or paid with a package of"), coerce=_int_or_none, validate_choice=False)
    weekly_until = LocaleDateField(_l("Every week until (empty: once)"), validators=[Optional()])

    def values(self) -> dict:
        """Return the submitted values as the sessions service takes them."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class EditSessionForm(ScheduleForm):
    weekly_until = None
    following = BooleanField(_l("Also change the later sessions of this weekly class"))


class BookForm(FlaskForm):
    member = StringField(_l("Name, card code, phone or member id"), validators=[Length(max=100)])


class TrainerPeriodForm(BaseForm):
    """The trainers page's period, ?from=&to= (GET: nothing changes, no CSRF token); the view reads leniently."""

    class Meta(BaseForm.Meta):
        csrf = False

    start = LocaleDateField(_l("From"), name="from")
    end = LocaleDateField(_l("To"), name="to")
