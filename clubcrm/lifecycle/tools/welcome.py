"""Welcome: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, in_window
from clubcrm.lifecycle.tools.base import EARLY, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def days_since_start(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    return Fired(0, {"days_since_start": days}) if in_window(days, rule.days, rule.window_days) else None


TOOL = ToolSpec(
    key="welcome",
    name=_l("Welcome"),
    effect=0.5,
    rules=(
        # Welcome in the first days; a call if there is no first visit by day 7 (a first visit later than
        # two weeks predicts failure), a trial session in weeks 1-2, adaptation checks at days 14 and 30.
        DefaultRule("welcome", "welcome", "days_since_start", EARLY, "sms", 10, days=0, window_days=2),
    ),
    rule_names={
        "welcome": _l("Welcome message after the start"),
    },
    triggers={
        "days_since_start": Trigger(days_since_start, ("days", "window_days"),
                                    _l("Fires on this day after the start, or within the window after it.")),
    },
    texts={
        "welcome": {
            "en": (
                "Hi {first_name}, welcome to {club}! We're so glad you joined. Any questions about classes or "
                "training? Just ask us at the desk."
            ),
            "de": (
                "Hallo {first_name}, willkommen bei {club}! Schön, dass du dabei bist. Fragen zu Kursen oder Training? "
                "Sprich uns einfach am Empfang an."
            ),
            "ru": (
                "{first_name}, добро пожаловать в {club}! Рады, что Вы с нами. Если появятся вопросы о занятиях, "
                "обращайтесь к администратору."
            ),
            "fi": (
                "Hei {first_name}, tervetuloa jäseneksi! Kiva, että olet mukana. Kysy rohkeasti meiltä vastaanotossa "
                "tunneista ja treenistä. Terveisin {club}"
            ),
            "sl": (
                "{first_name}, dobrodošli v {club}! Veseli nas, da ste z nami. Če imate vprašanja o vadbah ali "
                "treningih, smo vam na voljo na recepciji."
            ),
            "sk": (
                "{first_name}, vitajte v {club}! Teší nás, že ste s nami. Ak máte otázky k lekciám či tréningu, radi "
                "Vám poradíme na recepcii."
            ),
        },
    },
)
