"""Forms for leads and members."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from blueprints.forms import BaseForm, locale_choices
from blueprints.forms.dates import LocaleDateField


class MemberForm(BaseForm):
    first_name = StringField(_l("First name"), validators=[Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    card_code = StringField(_l("Card code"), validators=[Length(max=64)])
    birth_date = LocaleDateField(_l("Birth date"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=locale_choices())
    interest = StringField(_l("Interested in"), validators=[Length(max=120)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])
    sms_consent = BooleanField(_l("Agrees to receive SMS from the club"))

    def values(self) -> dict:
        """Return the submitted values as the members service takes them."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
