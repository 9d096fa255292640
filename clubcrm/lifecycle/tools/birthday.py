"""Birthday greeting: this tool's default rules, triggers, names and SMS texts."""
from datetime import date

from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired
from clubcrm.lifecycle.tools.base import IN_CYCLE_OR_LAPSED, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def is_birthday(birth: date | None, today: date) -> bool:
    """Tell whether TODAY is the birthday (29 February is celebrated on 28 February in other years)."""
    if birth is None:
        return False
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def birthday(rule: Rule, ctx: Context) -> Fired | None:
    if is_birthday(ctx.member.birth_date, ctx.day):
        return Fired(ctx.day.year, {"birthday": ctx.day.isoformat()})
    return None


TOOL = ToolSpec(
    key="birthday",
    name=_l("Birthday greeting"),
    effect=0.0,
    rules=(
        DefaultRule("birthday", "birthday", "birthday", IN_CYCLE_OR_LAPSED, "sms", 35, task_kind="congratulate"),
    ),
    rule_names={
        "birthday": _l("Birthday"),
    },
    triggers={
        "birthday": Trigger(birthday, (), _l("On the member's birthday.")),
    },
    fact_names={
        "birthday": _l("birthday"),
    },
    texts={
        "birthday": {
            "en": (
                "Happy birthday, {first_name}! Everyone at {club} wishes you a fantastic day and a healthy, strong "
                "year ahead."
            ),
            "de": (
                "Alles Gute zum Geburtstag, {first_name}! Das ganze Team von {club} wünscht dir einen tollen Tag und "
                "ein gesundes, starkes neues Lebensjahr."
            ),
            "ru": "{first_name}, с днём рождения! Команда {club} желает Вам здоровья, энергии и отличного настроения!",
            "fi": (
                "Hyvää syntymäpäivää, {first_name}! Toivotamme sinulle upeaa päivää sekä terveyttä ja voimaa tulevaan "
                "vuoteen. Terveisin {club}"
            ),
            "sl": (
                "Vse najboljše za rojstni dan, {first_name}! Ekipa {club} vam želi čudovit dan ter veliko zdravja, "
                "moči in dobre volje."
            ),
            "sk": (
                "Všetko najlepšie k narodeninám, {first_name}! Tím {club} Vám praje krásny deň a veľa zdravia, sily a "
                "dobrej nálady."
            ),
        },
    },
)
