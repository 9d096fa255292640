"""Forms for sales, freezes, cancellations and package units."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from blueprints.forms import BaseForm
from blueprints.forms.dates import LocaleDateField


def _int_or_none(value):
    """Read a chosen row id; anything that is not a plausible id becomes None (refused by the service)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**31 - 1 else None


class SellForm(BaseForm):
    plan_id = SelectField(_l("Plan"), coerce=_int_or_none, validate_choice=False)
    starts_on = LocaleDateField(_l("Starts on"), validators=[Optional()])
    # Sell and check in, one transaction: offered when a check-in was refused for want of a membership.
    check_in = BooleanField(_l("Check in now"))
    # The renewal call (a Today task) whose "Renewed" outcome this sale records.
    task_id = HiddenField(filters=[_int_or_none])


class OverrideForm(BaseForm):
    """A manager lets a refused member in once, approving on the desk's screen with their own password."""
    approver_email = StringField(_l("Manager's email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Manager's password"), validators=[InputRequired(), Length(max=200)])
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=200)])


class PackageSaleForm(BaseForm):
    service_id = SelectField(_l("Package"), coerce=_int_or_none, validate_choice=False)


class FreezeForm(BaseForm):
    membership_id = SelectField(_l("Membership"), coerce=_int_or_none, validate_choice=False)
    starts_on = LocaleDateField(_l("First day"), validators=[InputRequired()])
    ends_on = LocaleDateField(_l("Last day"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])


class CancelForm(BaseForm):
    membership_id = SelectField(_l("Membership"), coerce=_int_or_none, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=200)])


class UnitsForm(BaseForm):
    service_id = SelectField(_l("Service"), coerce=_int_or_none, validate_choice=False)
    units = IntegerField(_l("Units"), default=1, validators=[InputRequired(), NumberRange(1, 1000)])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])
