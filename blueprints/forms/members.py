"""Forms for leads and members."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from blueprints.forms import BaseForm, locale_choices
from blueprints.forms.dates import LocaleDateField
from clubcrm.labels import LEAD_SOURCE_NAMES

# The sources a desk registers a lead with (web_form and import come through the API and the import).
DESK_SOURCES = ("walk_in", "phone", "referral", "campaign", "web_form", "other")


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


class NewLeadForm(MemberForm):
    """A new lead at the desk: the member's details and where they came from."""

    source = SelectField(_l("Source"), choices=[SelectChoice(code, LEAD_SOURCE_NAMES[code]) for code in DESK_SOURCES],
                         default="walk_in")
    referrer = StringField(_l("Referred by (card code or phone, for a referral)"), validators=[Length(max=64)])
    campaign = StringField(_l("Campaign (for a campaign)"), validators=[Length(max=80)])


class LostForm(BaseForm):
    """Close a lead's cycle as lost; the view fills the club's reasons."""

    reason = SelectField(_l("Why the lead is lost"), choices=[], validators=[InputRequired()])


def reason_choices(reasons: list[tuple[str, str]]) -> list[SelectChoice]:
    """The club's lost reasons (code, label) as the lost form offers them."""
    return [SelectChoice(code, label) for code, label in reasons]
