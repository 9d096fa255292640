"""The import page's forms: the upload, and the preview's columns and mode."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import FieldList, RadioField, SelectChoice, SelectField

from blueprints.forms import BaseForm


class UploadForm(BaseForm):
    """The spreadsheet to preview, and what it holds."""

    kind = SelectField(_l("The file holds"), default="members", choices=[
        SelectChoice("members", _l("Members")),
        SelectChoice("memberships", _l("Memberships (current and past)")),
        SelectChoice("balances", _l("Package balances")),
        SelectChoice("visits", _l("Visit history"))])
    file = FileField(_l("Spreadsheet (CSV)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "txt", "tsv"], _l("Upload a CSV file (in Excel: Save as → CSV).")),
    ])


class PreviewForm(BaseForm):
    """The member field of each column (one select a column) and what to do with refused rows."""

    fields = FieldList(SelectField(validate_choice=False), min_entries=0)
    mode = RadioField(_l("If a row is refused"), default="all", choices=[
        SelectChoice("all", _l("Import nothing (all or nothing)")), SelectChoice("valid", _l("Import the valid rows"))])
