"""Lead last offer: before a lead's cycle closes unsold, one last offer (an SMS, or a call without consent)."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Fired
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def lead_closing(rule: Rule, ctx) -> Fired | None:
    left = ctx.days_left
    if not rule.days - rule.window_days <= left <= rule.days:
        return None
    return Fired(0, {"days_left": left})


TOOL = ToolSpec(
    key="lead_last_offer",
    name=_l("Lead: last offer"),
    effect=2.0,
    rules=(
        DefaultRule("lead_last_offer", "lead_last_offer", "lead_closing", LEAD, "sms", 30, days=7, window_days=4),
    ),
    rule_names={
        "lead_last_offer": _l("Lead's cycle about to close: last offer"),
    },
    triggers={
        "lead_closing": Trigger(lead_closing, ("days", "window_days"),
            _l("Fires this many days before the lead's cycle closes without a sale, and while the window lasts.")),
    },
    fact_names={
        "days_left": _l("days left in the lead's cycle"),
    },
    texts={
        "lead_last_offer": {
            "en": "Hi {first_name}, still thinking about {club}? Come in this week and we will find the plan that "
                  "fits you. Reply to this message and we will call you.",
            "de": "Hallo {first_name}, denkst du noch über {club} nach? Komm diese Woche vorbei, wir finden den "
                  "passenden Tarif für dich. Antworte auf diese Nachricht, dann rufen wir dich an.",
            "ru": "{first_name}, всё ещё думаете о {club}? Приходите на этой неделе, подберём Вам подходящий "
                  "абонемент. Ответьте на это сообщение, и мы Вам перезвоним.",
            "fi": "Hei {first_name}, mietitkö vielä {club}-klubia? Tule käymään tällä viikolla, niin löydämme "
                  "sinulle sopivan jäsenyyden. Vastaa tähän viestiin, niin soitamme sinulle.",
            "sl": "{first_name}, še razmišljate o {club}? Oglasite se ta teden in poiskali bomo paket, ki vam "
                  "ustreza. Odgovorite na to sporočilo in poklicali vas bomo.",
            "sk": "{first_name}, ešte rozmýšľate o {club}? Príďte tento týždeň a nájdeme Vám vhodné členstvo. "
                  "Odpovedzte na túto správu a zavoláme Vám.",
        },
    },
)
