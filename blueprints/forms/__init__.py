"""Flask-WTF forms, and how a DomainError lands on the field it names."""
from datetime import date

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, ValidationError

from clubcrm.errors import DomainError
from clubcrm.i18n import LOCALE_NAMES


class BaseForm(FlaskForm):
    """Every form of ours: WTForms' messages come from our catalogs where we translate them."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            from blueprints.forms.messages import translations

            return translations


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def in_date_range(form, field) -> None:
    """Refuse a date no report or export can mean (a typo such as 0202 or 20266)."""
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


def locale_choices() -> list[SelectChoice]:
    """The six languages, each named in itself."""
    return [SelectChoice(code, name) for code, name in LOCALE_NAMES.items()]


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put ERROR under its field, or flash it when the form has no such field; each of several errors (a service
    that checks every field, InvalidInputs) goes to its own field."""
    for each in getattr(error, "errors", None) or ():
        _show_one(form, each)
    if not getattr(error, "errors", None):
        _show_one(form, error)


def _show_one(form: FlaskForm, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(error.message))
    else:
        flash(str(error.message), "danger")
