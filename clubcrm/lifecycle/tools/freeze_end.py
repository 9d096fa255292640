"""Freeze ending: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, in_window
from clubcrm.lifecycle.tools.base import IN_CYCLE, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def freeze_ended(rule: Rule, ctx: Context) -> Fired | None:
    for _start, end, freeze_id in ctx.facts.freezes.get(ctx.cycle_id, ()):
        since = (ctx.day - end).days
        if in_window(since, rule.days, rule.window_days):
            return Fired(freeze_id, {"freeze_ended": end.isoformat()})
    return None


TOOL = ToolSpec(
    key="freeze_end",
    name=_l("Freeze ending"),
    effect=0.0,
    rules=(
        DefaultRule("freeze_ended", "freeze_end", "freeze_ended", IN_CYCLE, "sms", 50, days=1, window_days=2,
                    fallback="skip"),
    ),
    rule_names={
        "freeze_ended": _l("Back from a freeze"),
    },
    triggers={
        "freeze_ended": Trigger(freeze_ended, ("days", "window_days"), _l("This many days after a freeze ends.")),
    },
    fact_names={
        "freeze_ended": _l("freeze ended on"),
    },
    texts={
        "freeze_ended": {
            "en": (
                "Welcome back, {first_name}! Your {club} membership is active again and now runs until {end_date}. "
                "Great to have you back!"
            ),
            "de": (
                "Willkommen zurück, {first_name}! Deine Mitgliedschaft bei {club} ist wieder aktiv und läuft bis zum "
                "{end_date}. Schön, dass du wieder da bist!"
            ),
            "ru": (
                "{first_name}, с возвращением! Заморозка закончилась, Ваш абонемент в {club} теперь действует до "
                "{end_date}. Рады снова Вас видеть!"
            ),
            "fi": (
                "Tervetuloa takaisin, {first_name}! Jäädytys on päättynyt, ja jäsenyytesi on voimassa {end_date} asti. "
                "Kiva nähdä taas! Terveisin {club}"
            ),
            "sl": (
                "Dobrodošli nazaj, {first_name}! Zamrznitev je končana, vaše članstvo v {club} zdaj velja do "
                "{end_date}. Veseli nas, da ste spet z nami!"
            ),
            "sk": (
                "Vitajte späť, {first_name}! Pozastavenie skončilo a Vaše členstvo v {club} je opäť aktívne, platí do "
                "{end_date}. Tešíme sa na Vás!"
            ),
        },
    },
)
