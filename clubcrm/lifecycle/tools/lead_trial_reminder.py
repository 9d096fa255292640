"""Lead trial reminder: "your trial is tomorrow", the day before a lead's booked trial session."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Fired
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def lead_trial_soon(rule: Rule, ctx) -> Fired | None:
    """RULE.days before the day of the lead's next booked trial session (one reminder per session)."""
    trial = ctx.trial_next
    if trial is None or (ctx.local_day(trial.starts_at) - ctx.day).days != rule.days:
        return None
    return Fired(trial.id, {"trial_on": ctx.local_day(trial.starts_at).isoformat()}, trial)


TOOL = ToolSpec(
    key="lead_trial_reminder",
    name=_l("Lead: trial reminder"),
    effect=3.0,
    rules=(
        DefaultRule("lead_trial_reminder", "lead_trial_reminder", "lead_trial_soon", LEAD, "sms", 8, days=1),
    ),
    rule_names={
        "lead_trial_reminder": _l("Lead's trial session tomorrow: reminder"),
    },
    triggers={
        "lead_trial_soon": Trigger(lead_trial_soon, ("days",),
            _l("Fires this many days before the day of the lead's booked trial session.")),
    },
    fact_names={
        "trial_on": _l("trial session day"),
    },
    texts={
        "lead_trial_reminder": {
            "en": "Hi {first_name}, see you tomorrow at {club}: {session}, {when}. Bring sports shoes and water!",
            "de": "Hallo {first_name}, bis morgen bei {club}: {session}, {when}. Bring Sportschuhe und Wasser mit!",
            "ru": "{first_name}, ждём Вас завтра в {club}: {session}, {when}. Возьмите спортивную обувь и воду!",
            "fi": "Hei {first_name}, nähdään huomenna {club}: {session}, {when}. Ota mukaan sisäkengät ja vettä!",
            "sl": "{first_name}, vidimo se jutri v {club}: {session}, {when}. Prinesite športne copate in vodo!",
            "sk": "{first_name}, tešíme sa na Vás zajtra v {club}: {session}, {when}. Vezmite si športovú obuv a vodu!",
        },
    },
)
