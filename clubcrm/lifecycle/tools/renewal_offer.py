"""Renewal offer: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, scaled
from clubcrm.lifecycle.stages import last_day
from clubcrm.lifecycle.tools.base import DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def days_to_end(rule: Rule, ctx: Context) -> Fired | None:
    left = ctx.stage.days_to_end
    start, window = scaled(rule.days, ctx.stage), scaled(rule.window_days, ctx.stage)
    if start - window <= left <= start:
        return Fired(0, {"days_to_end": left, "ends_on": last_day(ctx.stage.cycle).isoformat()})
    return None


TOOL = ToolSpec(
    key="renewal_offer",
    name=_l("Renewal offer"),
    effect=3.0,
    rules=(
        # Renewal offer 45 days before the end, a reminder at 14, a staff call at 3.
        DefaultRule("renewal_45", "renewal_offer", "days_to_end", "pre_renewal", "sms", 5, days=45, window_days=30,
                    task_kind="offer_renewal"),
        DefaultRule("renewal_14", "renewal_offer", "days_to_end", "pre_renewal", "sms", 6, days=14, window_days=10,
                    task_kind="offer_renewal"),
        DefaultRule("renewal_call_3", "renewal_offer", "days_to_end", "pre_renewal", "task", 7, days=3, window_days=3,
                    task_kind="offer_renewal"),
    ),
    rule_names={
        "renewal_45": _l("Renewal offer"),
        "renewal_14": _l("Renewal reminder"),
        "renewal_call_3": _l("Renewal call"),
    },
    triggers={
        "days_to_end": Trigger(days_to_end, ("days", "window_days"),
                               _l("This many days before the membership ends, if no renewal is sold.")),
    },
    fact_names={
        "days_to_end": _l("days until the membership ends"),
        "ends_on": _l("membership ends on"),
    },
    texts={
        "renewal_45": {
            "en": (
                "Hi {first_name}, your {club} membership ends on {end_date}. Renew early and keep your rhythm - ask at "
                "the desk about our renewal offer. Your offer: {link}"
            ),
            "de": (
                "Hallo {first_name}, deine Mitgliedschaft bei {club} endet am {end_date}. Verlängere früh und bleib im "
                "Rhythmus - am Empfang gibt's ein Angebot dafür. Dein Angebot: {link}"
            ),
            "ru": (
                "{first_name}, Ваш абонемент в {club} заканчивается {end_date}. Продлите заранее, чтобы не сбиться с "
                "ритма, — узнайте у администратора о выгодных условиях. Ваше предложение: {link}"
            ),
            "fi": (
                "Hei {first_name}, jäsenyytesi päättyy {end_date}. Uusi se ajoissa, niin treenirytmi ei katkea - kysy "
                "vastaanotosta jatkotarjousta! Tarjouksesi: {link} Terveisin {club}"
            ),
            "sl": (
                "{first_name}, vaše članstvo v {club} poteče {end_date}. Podaljšajte ga pravočasno in ohranite ritem – "
                "na recepciji vas čaka ponudba za podaljšanje. Vaša ponudba: {link}"
            ),
            "sk": (
                "{first_name}, Vaše členstvo v {club} končí {end_date}. Predĺžte si ho včas a udržte si rytmus – na "
                "recepcii sa opýtajte na ponuku na predĺženie. Vaša ponuka: {link}"
            ),
        },
        "renewal_14": {
            "en": (
                "Hi {first_name}, a quick reminder: your {club} membership ends on {end_date}. You can renew at the "
                "desk on your next visit. Your membership: {link}"
            ),
            "de": (
                "Hallo {first_name}, kurze Erinnerung: Deine Mitgliedschaft bei {club} endet am {end_date}. Verlängern "
                "kannst du beim nächsten Besuch am Empfang. Deine Mitgliedschaft: {link}"
            ),
            "ru": (
                "{first_name}, напоминаем: Ваш абонемент в {club} заканчивается {end_date}. Продлить его можно у "
                "администратора при следующем визите. Ваш абонемент: {link}"
            ),
            "fi": (
                "Hei {first_name}, muistutus: jäsenyytesi päättyy {end_date}. Voit uusia sen vastaanotossa seuraavalla "
                "käynnilläsi. Jäsenyytesi: {link} Terveisin {club}"
            ),
            "sl": (
                "{first_name}, opomnik: vaše članstvo v {club} poteče {end_date}. Podaljšate ga lahko na recepciji ob "
                "naslednjem obisku. Vaše članstvo: {link}"
            ),
            "sk": (
                "{first_name}, pripomíname, že Vaše členstvo v {club} končí {end_date}. Predĺžiť si ho môžete na "
                "recepcii pri najbližšej návšteve. Vaše členstvo: {link}"
            ),
        },
    },
)
