"""Staff tasks: the "Today" list of calls and greetings the lifecycle engine planned, with one-click outcomes."""
from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/today")
