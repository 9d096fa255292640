"""The login and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from blueprints.forms import BaseForm


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])


class PasswordForm(BaseForm):
    # Lengths and the common-password list are the service's (clubcrm/services/passwords.py): one rule for the
    # CLI, the staff settings and this page.
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=200)])
    repeat_password = PasswordField(_l("New password again"), validators=[InputRequired(), Length(max=200)])
