"""The token page's form."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length

from clubcrm.services import api_tokens
from blueprints.forms import BaseForm


class TokenForm(BaseForm):
    """A new token's label, so that its owner can tell it from the others."""

    label = StringField(_l("Label (what uses it: turnstile, website form)"),
                        validators=[Length(max=api_tokens.MAX_LABEL)])
