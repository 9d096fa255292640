"""The first run's form: the club, its owner login and the setup code."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from blueprints.forms import BaseForm, locale_choices


class SetupForm(BaseForm):
    # The values' rules are the services' (clubs.checked_details, passwords.check_new), as for `clubcrm setup`;
    # the lengths here only keep huge input out.
    club_name = StringField(_l("Club name"), validators=[InputRequired(), Length(max=80)])
    country = StringField(_l("Country code for phone numbers"), validators=[InputRequired(), Length(max=2)],
                          render_kw={"placeholder": "FI", "autocomplete": "off"})
    timezone = StringField(_l("Time zone"), validators=[InputRequired(), Length(max=64)],
                           render_kw={"placeholder": "Europe/Helsinki", "list": "timezones", "autocomplete": "off"})
    currency = StringField(_l("Currency"), validators=[InputRequired(), Length(max=3)],
                           render_kw={"placeholder": "EUR", "list": "currencies", "autocomplete": "off"})
    locale = SelectField(_l("Default language"), choices=locale_choices())
    phone = StringField(_l("The club's phone (optional)"), validators=[Length(max=32)])
    owner_name = StringField(_l("Your name"), validators=[Length(max=120)])
    owner_email = EmailField(_l("Your email (your login)"), validators=[InputRequired(), Length(max=254)])
    owner_password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)],
                                   render_kw={"autocomplete": "new-password"})
    owner_password_repeat = PasswordField(
        _l("Password again"),
        validators=[InputRequired(), EqualTo("owner_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})
    setup_code = StringField(_l("Setup code"), validators=[InputRequired(), Length(max=64)],
                             render_kw={"autocomplete": "off", "spellcheck": "false"})
