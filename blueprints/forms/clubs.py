"""Forms of Settings → Clubs (owners)."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from blueprints.forms import BaseForm, in_date_range, locale_choices
from blueprints.forms.dates import LocaleDateField


class NewClubForm(BaseForm):
    name = StringField(_l("Club name"), validators=[InputRequired(), Length(max=80)])
    timezone = StringField(_l("Time zone"), validators=[InputRequired(), Length(max=64)])
    currency = StringField(_l("Currency"), validators=[InputRequired(), Length(min=3, max=3)])
    country = StringField(_l("Country code for phone numbers"), validators=[InputRequired(), Length(min=2, max=2)])
    default_locale = SelectField(_l("Default language"), choices=locale_choices())
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=32)])


class EditClubForm(NewClubForm):
    sms_window_start = TimeField(_l("SMS go out from"), validators=[InputRequired()])
    sms_window_end = TimeField(_l("SMS go out until"), validators=[InputRequired()])
    sms_day_cap = IntegerField(_l("SMS per member a day at most"), validators=[InputRequired(), NumberRange(1, 10)])
    sms_week_cap = IntegerField(_l("SMS per member a week at most"),
                                validators=[InputRequired(), NumberRange(1, 50)])
    sms_from = StringField(_l("The club's own SMS number (empty: the installation's)"),
                           validators=[Optional(), Length(max=32)])
    sms_messaging_service_sid = StringField(_l("The club's own Twilio messaging service SID (empty: none)"),
                                            validators=[Optional(), Length(max=34)])


class CloseClubForm(BaseForm):
    closed_on = LocaleDateField(_l("Closed from"), validators=[InputRequired(), in_date_range])
