"""Win-back: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, in_window
from clubcrm.lifecycle.tools.base import DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def days_since_end(rule: Rule, ctx: Context) -> Fired | None:
    since = -ctx.stage.days_to_end
    if in_window(since, rule.days, rule.window_days):
        return Fired(0, {"days_since_end": since})
    return None


TOOL = ToolSpec(
    key="win_back",
    name=_l("Win-back"),
    effect=2.0,
    rules=(
        DefaultRule("win_back_7", "win_back", "days_since_end", "lapsed", "sms", 8, days=7, window_days=3,
                    task_kind="offer_renewal"),
        DefaultRule("win_back_30", "win_back", "days_since_end", "lapsed", "task", 9, days=30, window_days=5,
                    task_kind="offer_renewal"),
    ),
    rule_names={
        "win_back_7": _l("Win-back a week after the end"),
        "win_back_30": _l("Win-back call a month after the end"),
    },
    triggers={
        "days_since_end": Trigger(days_since_end, ("days", "window_days"),
                                  _l("This many days after the membership ended, if it was not renewed.")),
    },
    fact_names={
        "days_since_end": _l("days since the end"),
    },
    texts={
        "win_back_7": {
            "en": (
                "Hi {first_name}, your {club} membership ended a week ago and we miss you! Come by and ask about our "
                "comeback offer - we'd love to have you back. Your offer: {link}"
            ),
            "de": (
                "Hallo {first_name}, deine Mitgliedschaft bei {club} ist vor einer Woche ausgelaufen - wir vermissen "
                "dich! Komm vorbei und frag nach dem Comeback-Angebot. Dein Angebot: {link}"
            ),
            "ru": (
                "{first_name}, неделю назад закончился Ваш абонемент в {club}, и нам Вас не хватает! Загляните к нам — "
                "расскажем о предложении для возвращения. Ваше предложение: {link}"
            ),
            "fi": (
                "Hei {first_name}, jäsenyytesi päättyi viikko sitten, ja meillä on jo ikävä! Tule käymään ja kysy "
                "paluutarjouksestamme. Tarjouksesi: {link} Terveisin {club}"
            ),
            "sl": (
                "{first_name}, vaše članstvo v {club} se je izteklo pred tednom dni in pogrešamo vas! Oglasite se pri "
                "nas in povprašajte po ponudbi za vrnitev. Vaša ponudba: {link}"
            ),
            "sk": (
                "{first_name}, Vaše členstvo v {club} skončilo pred týždňom a chýbate nám! Zastavte sa u nás a "
                "opýtajte sa na ponuku na návrat. Vaša ponuka: {link}"
            ),
        },
    },
)
