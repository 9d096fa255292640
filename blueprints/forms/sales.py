"""Forms for sales, freezes, cancellations and package units."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


def _int_or_none(value):
    """Read a chosen row id; anything that is not a plausible id becomes None (refused by the service)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**31 - 1 else None


class SellForm(FlaskForm):
    plan_id = SelectField(_l("Plan"), coerce=_int_or_none, validate_choice=False)
    starts_on = DateField(_l("Starts on"), validators=[Optional()])


class PackageSaleForm(FlaskForm):
    service_id = SelectField(_l("Package"), coerce=_int_or_none, validate_choice=False)


class FreezeForm(FlaskForm):
    membership_id = SelectField(_l("Membership"), coerce=_int_or_none, validate_choice=False)
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])


class CancelForm(FlaskForm):
    membership_id = SelectField(_l("Membership"), coerce=_int_or_none, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=200)])


class UnitsForm(FlaskForm):
    service_id = SelectField(_l("Service"), coerce=_int_or_none, validate_choice=False)
    units = IntegerField(_l("Units"), default=1, validators=[InputRequired(), NumberRange(1, 1000)])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])
