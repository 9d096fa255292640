"""The reports' filter: club (owners: one or the whole chain), period and plan, read from the query string."""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, ValidationError
from wtforms.validators import Optional

from blueprints.forms import BaseForm, in_date_range
from blueprints.forms.dates import LocaleDateField
from clubcrm.extensions import db
from clubcrm.models import Plan
from clubcrm.reports import scope
from clubcrm.reports.scope import MAX_PERIOD_DAYS



class ReportFilterForm(BaseForm):
    """GET parameters; no CSRF token (nothing changes). Empty dates mean the 12 months up to today."""

    class Meta(BaseForm.Meta):
        csrf = False

    club = SelectField(_l("Club"), choices=[], validators=[Optional()])
    start = LocaleDateField(_l("From"), validators=[Optional(), in_date_range])
    end = LocaleDateField(_l("To"), validators=[Optional(), in_date_range])
    plan = SelectField(_l("Plan"), choices=[], validators=[Optional()])

    def offer_plans(self, club_ids) -> None:
        """Offer every plan of CLUB_IDS (by name), after "All plans"."""
        plans = db.session.execute(select(Plan.id, Plan.name).where(Plan.club_id.in_(club_ids)).order_by(Plan.name))
        self.plan.choices = [("", _("All plans"))] + [(str(pid), name) for pid, name in plans]

    def period(self, today: date) -> tuple[date, date]:
        """The chosen period; without an end, up to TODAY (or the start, if that is later)."""
        return scope.period(self.start.data, self.end.data, today)

    def validate_end(self, field) -> None:
        if field.data is None or self.start.data is None:
            return
        start, end = self.start.data, field.data
        if start > end:
            raise ValidationError(_l("The end of the period must not be before its start."))
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise ValidationError(_l("A period can be at most three years long."))


class RecomputeForm(BaseForm):
    """The "recompute now" button: nothing but the CSRF token (the scope is the page's query string)."""
