"""Repeat guards: the same request again within moments (a double click, two desks, a client's retry) answers
what the first one did instead of doing it twice.

Each guard runs under the lock that serialises its writers (locks.lock_member, locks.lock_club_leads): the
second request waits there for the first to commit, and then finds the first's row here."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select

from clubcrm.clock import utcnow
from clubcrm.extensions import db


def latest_within(query: Select, at, setting: str):
    """The newest row of QUERY whose AT column lies within the last SETTING seconds (a config key); None when
    there is none or the setting is 0 (the guard is off)."""
    since = window_start(setting)
    if since is None:
        return None
    return db.session.scalar(query.where(at >= since).order_by(at.desc()).limit(1))


def window_start(setting: str):
    """The instant the repeat window of SETTING seconds (a config key) opened; None when the guard is off."""
    seconds = current_app.config[setting]
    return utcnow() - timedelta(seconds=seconds) if seconds > 0 else None
