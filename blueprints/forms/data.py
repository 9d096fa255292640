"""The data page's forms: the visits export's period and the erasure's confirmation."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Optional

from blueprints.forms import BaseForm, in_date_range
from blueprints.forms.dates import LocaleDateField


class VisitsPeriodForm(BaseForm):
    """The visits export's optional period (GET parameters: nothing changes, no CSRF token)."""

    class Meta(BaseForm.Meta):
        csrf = False

    start = LocaleDateField(_l("From"), validators=[Optional(), in_date_range])
    end = LocaleDateField(_l("To"), validators=[Optional(), in_date_range])


class EraseForm(BaseForm):
    """The confirmation an erasure needs: ERASE or the member's full name, typed."""

    confirmation = StringField(_l("Type ERASE or the member's full name"))
