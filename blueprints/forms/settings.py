"""Forms for the club's settings."""
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DecimalField, EmailField, IntegerField, PasswordField, SelectChoice, SelectField,
                     StringField)
from wtforms.widgets import TextInput
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from blueprints.forms import BaseForm, locale_choices
from clubcrm.services.settings import CANCEL_MINUTES_REFUSED, MOST_CANCEL_MINUTES


class AmountField(DecimalField):
    """A decimal amount typed as text: "39,90" and "39.90" both mean 39.90; NaN and infinities are refused."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            text = valuelist[0].strip().replace("\u00a0", "").replace(" ", "")
            if text.count(",") == 1 and "." not in text:
                text = text.replace(",", ".")
            valuelist = [text]
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            super().process_formdata(["not a number"])  # WTForms' own "Not a valid decimal value."


class ClubForm(BaseForm):
    name = StringField(_l("Club name"), validators=[InputRequired(), Length(max=80)])
    timezone = StringField(_l("Time zone"), validators=[InputRequired(), Length(max=64)])
    currency = StringField(_l("Currency"), validators=[InputRequired(), Length(min=3, max=3)])
    country = StringField(_l("Country code for phone numbers"),
                          validators=[InputRequired(), Length(min=2, max=2)])
    default_locale = SelectField(_l("Default language"), choices=locale_choices())
    usual_stay_minutes = IntegerField(_l("Usual stay in the club (minutes): who counts as in the club now"),
                                      validators=[Optional(), NumberRange(10, 720)])


class MemberPageForm(BaseForm):
    """The member page's switch and how late a member may cancel a booking there (managers)."""
    member_page_enabled = BooleanField(_l("Member page: on"))
    booking_cancel_minutes = IntegerField(_l("Members may cancel a booking until this many minutes before it starts"),
                                          validators=[InputRequired(CANCEL_MINUTES_REFUSED),
                                                      NumberRange(0, MOST_CANCEL_MINUTES, CANCEL_MINUTES_REFUSED)])


class PlanForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=80)])
    duration_days = IntegerField(_l("Days"), validators=[InputRequired(), NumberRange(1, 3660)])
    visit_limit = IntegerField(_l("Visit limit (empty: unlimited)"), validators=[Optional(), NumberRange(1, 10000)])
    price = AmountField(_l("Price"), places=None, validators=[InputRequired(), NumberRange(0, 10**7)])
    chain_wide = BooleanField(_l("Valid in every club of the chain"))


class PlanPriceForm(BaseForm):
    price = AmountField(_l("New price"), places=None, validators=[InputRequired(), NumberRange(0, 10**7)])


class ServiceForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=80)])
    package_units = IntegerField(_l("Units per package"), validators=[InputRequired(), NumberRange(1, 1000)])
    price = AmountField(_l("Price"), places=None, validators=[InputRequired(), NumberRange(0, 10**7)])
    valid_days = IntegerField(_l("Valid for days (empty: no limit)"), validators=[Optional(), NumberRange(1, 3660)])


class StaffForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("desk", _l("desk")),
                                                SelectChoice("manager", _l("manager"))])
    # Length and the common-password list are checked by services/passwords.py, which names the reason.
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    is_trainer = BooleanField(_l("Trainer (leads sessions in the timetable)"))


class StaffPasswordForm(BaseForm):
    # Checked by services/passwords.py, as at creation; the person must change it at the next login.
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=200)])


class SmsTestForm(BaseForm):
    """A test SMS to a staff phone, from the settings page's SMS section."""
    phone = StringField(_l("Staff phone for a test message"), validators=[InputRequired(), Length(max=40)])


class OpeningHoursForm(BaseForm):
    """The club's opening hours: for each weekday N (0 = Monday) opens_N and closes_N as HH:MM, or closed_N.
    The times are plain text, not <input type=time>, so that a club open round the clock can close at 24:00, and
    without a numeric keypad, which lacks the colon on some phones. The service reads and refuses them
    (services/opening_hours.py), naming the field."""

    def rows(self) -> list[tuple]:
        """(weekday, opens, closes, closed) fields for each weekday, Monday first."""
        return [(day, self[f"opens_{day}"], self[f"closes_{day}"], self[f"closed_{day}"]) for day in range(7)]


for _day in range(7):
    setattr(OpeningHoursForm, f"opens_{_day}",
            StringField(_l("Opens"), render_kw={"placeholder": "HH:MM", "size": 5}))
    setattr(OpeningHoursForm, f"closes_{_day}",
            StringField(_l("Closes"), render_kw={"placeholder": "HH:MM", "size": 5}))
    setattr(OpeningHoursForm, f"closed_{_day}", BooleanField(_l("Closed")))
del _day


class LostReasonForm(BaseForm):
    label = StringField(_l("A reason of the club's own"), validators=[InputRequired(), Length(max=80)])
