"""Forms of the lead list: a one-click outcome, an assignment, the merge of two records of one person."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField

from blueprints.forms import BaseForm


class LeadOutcomeForm(BaseForm):
    """A one-click outcome of a call to a lead (reached, no answer); the service names a value it refuses."""

    outcome = SelectField(_l("Outcome"), choices=[], validate_choice=False)


class AssignForm(BaseForm):
    """Assign a lead to one of the club's staff, or to nobody (empty)."""

    staff_id = SelectField(_l("Assigned to"), choices=[], validate_choice=False)


class MergeForm(BaseForm):
    """Two records of one person: the one to keep and the one whose rows move to it (card code, phone or id)."""

    keep = StringField(_l("Keep this record"))
    drop = StringField(_l("Merge this record into it"))
    confirm = HiddenField()
