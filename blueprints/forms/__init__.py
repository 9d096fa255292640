"""Flask-WTF forms, and how a DomainError lands on the field it names."""
from flask import flash
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from clubcrm.errors import DomainError
from clubcrm.i18n import LOCALE_NAMES


class BaseForm(FlaskForm):
    """Every form of ours: WTForms' messages come from our catalogs where we translate them."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            from blueprints.forms.messages import translations

            return translations


def locale_choices() -> list[SelectChoice]:
    """The six languages, each named in itself."""
    return [SelectChoice(code, name) for code, name in LOCALE_NAMES.items()]


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put ERROR under its field, or flash it when the form has no such field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(error.message))
    else:
        flash(str(error.message), "danger")
