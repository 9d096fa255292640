"""Silence nudge: this tool's default rules, triggers, names and SMS texts."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, in_window, iso
from clubcrm.lifecycle.tools.base import IN_CYCLE, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def silence(rule: Rule, ctx: Context) -> Fired | None:
    silent = ctx.days_silent
    if not in_window(silent, rule.days, rule.window_days):
        return None
    # One per silence spell: the spell is named by the day it began.
    began = ctx.day - timedelta(days=silent)
    return Fired(began.toordinal(), {"days_silent": silent, "last_visit": iso(ctx.visits.last_visit)})


TOOL = ToolSpec(
    key="silence",
    name=_l("Silence nudge"),
    effect=1.5,
    rules=(
        # "At risk" after ~10 days without a visit (PushPress), a staff call after three weeks.
        DefaultRule("silence_sms", "silence", "silence", IN_CYCLE, "sms", 30, days=10, window_days=6),
        DefaultRule("silence_call", "silence", "silence", IN_CYCLE, "task", 31, days=21, window_days=7),
    ),
    rule_names={
        "silence_sms": _l("No visits for a while: SMS"),
        "silence_call": _l("No visits for longer: staff call"),
    },
    triggers={
        "silence": Trigger(silence, ("days", "window_days"), _l("After this many days without a visit.")),
    },
    fact_names={
        "days_silent": _l("days without a visit"),
        "last_visit": _l("last visit"),
    },
    texts={
        "silence_sms": {
            "en": (
                "Hi {first_name}, it's been {days} days since your last visit to {club}. We miss you! Even a short "
                "workout counts. Hope to see you soon."
            ),
            "de": (
                "Hallo {first_name}, seit {days} Tagen haben wir dich nicht bei {club} gesehen - wir vermissen dich! "
                "Auch ein kurzes Training zählt. Bis bald!"
            ),
            "ru": (
                "{first_name}, Вас не было в {club} уже {days} дн. Мы скучаем! Даже короткая тренировка идёт на "
                "пользу. Ждём Вас!"
            ),
            "fi": (
                "Hei {first_name}! Edellisestä käynnistäsi on kulunut {days} päivää, ja meillä on ikävä! Lyhytkin "
                "treeni kannattaa. Terveisin {club}"
            ),
            "sl": (
                "{first_name}, v {club} vas nismo videli že {days} dni. Pogrešamo vas! Tudi kratka vadba šteje. "
                "Veselimo se vašega obiska."
            ),
            "sk": (
                "{first_name}, v {club} sme Vás nevideli už {days} dní. Chýbate nám! Aj krátky tréning sa počíta. "
                "Tešíme sa na Vás."
            ),
        },
    },
)
