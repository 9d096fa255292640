"""Lifecycle settings for managers: tools, their rules, holdout shares, texts and the contact budget."""
from flask import Blueprint

bp = Blueprint("lifecycle", __name__, url_prefix="/settings/lifecycle")
