"""Seasonal promotion: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired
from clubcrm.lifecycle.tools.base import IN_CYCLE_OR_LAPSED, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def season(rule: Rule, ctx: Context) -> Fired | None:
    if not (rule.season_from and rule.season_to):
        return None
    today = f"{ctx.day.month:02d}-{ctx.day.day:02d}"
    inside = (rule.season_from <= today <= rule.season_to if rule.season_from <= rule.season_to
              else today >= rule.season_from or today <= rule.season_to)
    return Fired(ctx.day.year, {"season": f"{rule.season_from}…{rule.season_to}"}) if inside else None


TOOL = ToolSpec(
    key="seasonal",
    name=_l("Seasonal promotion"),
    effect=0.0,
    rules=(
        DefaultRule("season_newyear", "seasonal", "season", IN_CYCLE_OR_LAPSED, "sms", 70, fallback="skip",
                    season_from="01-08", season_to="01-21"),
        DefaultRule("season_spring", "seasonal", "season", IN_CYCLE_OR_LAPSED, "sms", 71, fallback="skip",
                    season_from="04-15", season_to="04-28"),
        DefaultRule("season_autumn", "seasonal", "season", IN_CYCLE_OR_LAPSED, "sms", 72, fallback="skip",
                    season_from="09-01", season_to="09-14"),
    ),
    rule_names={
        "season_newyear": _l("New year campaign"),
        "season_spring": _l("Spring campaign"),
        "season_autumn": _l("Autumn campaign"),
    },
    triggers={
        "season": Trigger(season, ("season_from", "season_to"), _l("Once a year, inside the campaign window.")),
    },
    fact_names={
        "season": _l("campaign window"),
    },
    texts={
        "season_newyear": {
            "en": (
                "Happy New Year, {first_name}! Goals are easier together: bring a friend to {club} for a free workout "
                "this January."
            ),
            "de": (
                "Frohes neues Jahr, {first_name}! Gemeinsam klappen Vorsätze besser: Im Januar darfst du jemanden "
                "kostenlos mitbringen. Dein Team von {club}"
            ),
            "ru": (
                "{first_name}, с Новым годом! Новые цели легче достигать вместе: в январе приводите друга в {club} на "
                "бесплатную тренировку."
            ),
            "fi": (
                "Hyvää uutta vuotta, {first_name}! Tavoitteet toteutuvat helpommin yhdessä: ota tammikuussa kaveri "
                "ilmaiseksi mukaan treeniin. Terveisin {club}"
            ),
            "sl": (
                "Srečno novo leto, {first_name}! Novoletne cilje je lažje uresničiti v dvoje: januarja lahko "
                "prijatelja brezplačno pripeljete v {club}."
            ),
            "sk": (
                "Šťastný nový rok, {first_name}! Predsavzatia sa ľahšie plnia vo dvojici: v januári si môžete do "
                "{club} zdarma priviesť kamaráta."
            ),
        },
        "season_spring": {
            "en": (
                "Hi {first_name}, summer is coming! Get ready with a free body check and a short consultation with a "
                "trainer at {club}. Ask at the desk."
            ),
            "de": (
                "Hallo {first_name}, der Sommer kommt! Mach dich bereit mit einer kostenlosen Körperanalyse und "
                "Trainingsberatung bei {club}. Frag am Empfang."
            ),
            "ru": (
                "{first_name}, лето уже близко! Приходите в {club} на бесплатный анализ состава тела и консультацию "
                "тренера. Подробности у администратора."
            ),
            "fi": (
                "Hei {first_name}, kesä lähestyy! Valmistaudu maksuttomalla kehonkoostumusmittauksella ja valmentajan "
                "neuvonnalla. Kysy vastaanotosta! Terveisin {club}"
            ),
            "sl": (
                "{first_name}, poletje se bliža! Pripravite se z brezplačno analizo telesne sestave in posvetom s "
                "trenerjem v {club}. Več informacij na recepciji."
            ),
            "sk": (
                "{first_name}, leto sa blíži! Pripravte sa s bezplatnou analýzou zloženia tela a konzultáciou s "
                "trénerom v {club}. Viac informácií na recepcii."
            ),
        },
        "season_autumn": {
            "en": (
                "Hi {first_name}, autumn restart at {club}! Our new class schedule is here - and in September you can "
                "bring a friend for free. See the classes: {link}"
            ),
            "de": (
                "Hallo {first_name}, Herbststart bei {club}! Unser neuer Kursplan ist da - und im September darfst du "
                "jemanden kostenlos mitbringen. Zu den Kursen: {link}"
            ),
            "ru": (
                "{first_name}, осенний старт в {club}! У нас новое расписание групповых занятий, а в сентябре можно "
                "бесплатно привести друга. Расписание: {link}"
            ),
            "fi": (
                "Hei {first_name}, syyskausi alkaa! Uusi ryhmäliikunnan aikataulu on julkaistu, ja syyskuussa voit "
                "tuoda kaverin mukaan ilmaiseksi. Katso tunnit: {link} Terveisin {club}"
            ),
            "sl": (
                "{first_name}, jesen je čas za nov začetek v {club}! Pripravili smo nov urnik skupinskih vadb, "
                "septembra pa lahko brezplačno pripeljete prijatelja. Urnik: {link}"
            ),
            "sk": (
                "{first_name}, na jeseň v {club} štartujeme nanovo! Máme nový rozvrh skupinových lekcií a v septembri "
                "si môžete zdarma priviesť kamaráta. Rozvrh: {link}"
            ),
        },
    },
)
