"""Forms for the lifecycle settings: the contact budget, a tool, a rule with its texts.

The ranges live in clubcrm.lifecycle.settings, which names the field it refuses; the forms only read
the values (a number field refuses text)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from blueprints.forms import BaseForm
from blueprints.forms.settings import AmountField
from clubcrm.formatting import to_major
from clubcrm.i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from clubcrm.lifecycle.labels import CHANNEL_NAMES

TEXT_ROWS = {"rows": 3}


class BudgetForm(BaseForm):
    touch_budget_min = IntegerField(_l("Contacts per membership, at least"), validators=[InputRequired()])
    touch_budget_max = IntegerField(_l("Contacts per membership, at most"), validators=[InputRequired()])
    sms_gap_days = IntegerField(_l("Days between two SMS, at least"), validators=[InputRequired()])


class MeasurementForm(BaseForm):
    """How the tools are measured: the ranges live in clubcrm.services.measurement_settings."""
    programme_holdout_pct = IntegerField(_l("Members held out of every tool for the year (%)"),
                                         validators=[InputRequired()])
    call_minutes = IntegerField(_l("Average length of a staff call (minutes)"), validators=[InputRequired()])
    # A missing or unreadable amount is left to the service, which names the field and the range.
    staff_hour_cost = AmountField(_l("Staff cost per hour"), places=None, validators=[Optional()])

    def fill(self, club) -> "MeasurementForm":
        """Show the club's hourly cost in its currency's major unit, as it is typed."""
        if not self.is_submitted():
            self.staff_hour_cost.data = to_major(club.staff_hour_cost_minor, club.currency)
        return self


class ToolForm(BaseForm):
    enabled = BooleanField(_l("On"))
    holdout_pct = IntegerField(_l("Held out (%)"), validators=[InputRequired()])


class RuleForm(BaseForm):
    enabled = BooleanField(_l("On"))
    channel = SelectField(_l("Channel"), choices=[SelectChoice(code, name) for code, name in CHANNEL_NAMES.items()])
    fallback = SelectField(_l("When no SMS can be sent (no consent, or an SMS went out only days ago)"),
                           choices=[SelectChoice("task", _l("a staff task instead")),
                                    SelectChoice("skip", _l("nothing"))])
    priority = IntegerField(_l("Priority (lower comes first and is kept when the budget runs short)"),
                            validators=[Optional()])
    days = IntegerField(_l("Day"), validators=[Optional()])
    window_days = IntegerField(_l("Days it may still fire after that"), validators=[Optional()])
    threshold = IntegerField(_l("Threshold"), validators=[Optional()])
    season_from = StringField(_l("Campaign from (MM-DD)"), validators=[Length(max=10)])
    season_to = StringField(_l("Campaign until (MM-DD)"), validators=[Length(max=10)])
    # One text per language, labelled with the language's own name.
    text_en = TextAreaField(LOCALE_NAMES["en"], render_kw=TEXT_ROWS)
    text_de = TextAreaField(LOCALE_NAMES["de"], render_kw=TEXT_ROWS)
    text_ru = TextAreaField(LOCALE_NAMES["ru"], render_kw=TEXT_ROWS)
    text_fi = TextAreaField(LOCALE_NAMES["fi"], render_kw=TEXT_ROWS)
    text_sl = TextAreaField(LOCALE_NAMES["sl"], render_kw=TEXT_ROWS)
    text_sk = TextAreaField(LOCALE_NAMES["sk"], render_kw=TEXT_ROWS)

    def text_fields(self) -> list:
        """The text areas, one per supported language, in the switcher's order."""
        return [self[f"text_{locale}"] for locale in SUPPORTED_LOCALES]

    def values(self) -> dict:
        """Return the submitted values as clubcrm.lifecycle.settings.update_rule takes them."""
        names = ("enabled", "channel", "fallback", "priority", "days", "window_days", "threshold",
                 "season_from", "season_to")
        return {**{name: self[name].data for name in names},
                "texts": {locale: self[f"text_{locale}"].data for locale in SUPPORTED_LOCALES}}
