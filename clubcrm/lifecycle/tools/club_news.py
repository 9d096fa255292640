"""Club news: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired
from clubcrm.lifecycle.tools.base import DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def pacing(rule: Rule, ctx: Context) -> Fired | None:
    quiet = (ctx.day - ctx.last_contact).days if ctx.last_contact else ctx.stage.days_since_start
    if ctx.contacts_in_cycle + 1 <= ctx.pacing_target and quiet >= rule.days:
        return Fired(ctx.contacts_in_cycle + 1, {"contacts_in_cycle": ctx.contacts_in_cycle, "days_quiet": quiet})
    return None


TOOL = ToolSpec(
    key="club_news",
    name=_l("Club news"),
    effect=0.0,
    rules=(
        # Keeps the cycle at its minimum of contacts: fires when the cycle is behind its pace and nobody has
        # been in touch for `days` days.
        DefaultRule("keep_in_touch", "club_news", "pacing", "adaptation,active", "sms", 90, days=7),
    ),
    rule_names={
        "keep_in_touch": _l("Keep in touch (club news)"),
    },
    triggers={
        "pacing": Trigger(pacing, ("days",),
            _l("When the cycle is behind its minimum of contacts and nobody was in touch for this many days.")),
    },
    fact_names={
        "contacts_in_cycle": _l("contacts this membership"),
        "days_quiet": _l("days without a contact"),
    },
    texts={
        "keep_in_touch": {
            "en": (
                "Hi {first_name}, there's lots going on at {club} this month: new classes and events! Ask at the desk "
                "or just come by and see. See the classes: {link}"
            ),
            "de": (
                "Hallo {first_name}, diesen Monat gibt's viel Neues bei {club}: neue Kurse und Events! Frag am Empfang "
                "oder schau einfach vorbei. Zu den Kursen: {link}"
            ),
            "ru": (
                "{first_name}, в этом месяце в {club} много нового: новые групповые занятия и мероприятия! Спросите "
                "администратора или просто загляните к нам. Расписание: {link}"
            ),
            "fi": (
                "Hei {first_name}, tässä kuussa meillä on paljon uutta: uusia tunteja ja tapahtumia! Kysy "
                "vastaanotosta tai tule katsomaan. Katso tunnit: {link} Terveisin {club}"
            ),
            "sl": (
                "{first_name}, ta mesec se v {club} dogaja veliko novega: nove vadbe in dogodki! Povprašajte na "
                "recepciji ali se preprosto oglasite. Urnik: {link}"
            ),
            "sk": (
                "{first_name}, tento mesiac sa v {club} deje veľa nového: nové lekcie a podujatia! Opýtajte sa na "
                "recepcii alebo sa jednoducho zastavte. Rozvrh: {link}"
            ),
        },
    },
)
