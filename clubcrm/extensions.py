"""Flask extensions, created unbound and bound to the app by create_app."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from clubcrm.models.base import db

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
