"""Visit milestones: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired
from clubcrm.lifecycle.tools.base import IN_CYCLE, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def visits_milestone(rule: Rule, ctx: Context) -> Fired | None:
    """The visit that reached the goal came within the window (7, 14 or 30 days): congratulate then,
    not months later when a member long past the goal first meets the engine."""
    goal = rule.threshold or 0
    window = rule.window_days
    recent = ctx.visits.last_7 if window <= 7 else ctx.visits.last_14 if window <= 14 else ctx.visits.last_30
    if goal and ctx.visits_cycle - recent < goal <= ctx.visits_cycle:
        return Fired(goal, {"visits_cycle": ctx.visits_cycle})
    return None


TOOL = ToolSpec(
    key="milestone",
    name=_l("Visit milestones"),
    effect=0.0,
    rules=(
        DefaultRule("milestone_10", "milestone", "visits_milestone", IN_CYCLE, "sms", 60, threshold=10,
                    window_days=14, task_kind="congratulate"),
        DefaultRule("milestone_50", "milestone", "visits_milestone", IN_CYCLE, "sms", 61, threshold=50,
                    window_days=14, task_kind="congratulate"),
        DefaultRule("milestone_100", "milestone", "visits_milestone", IN_CYCLE, "sms", 62, threshold=100,
                    window_days=14, task_kind="congratulate"),
    ),
    rule_names={
        "milestone_10": _l("10th visit"),
        "milestone_50": _l("50th visit"),
        "milestone_100": _l("100th visit"),
    },
    triggers={
        "visits_milestone": Trigger(visits_milestone, ("window_days", "threshold"),
                                    _l("When the visits of this membership reach the threshold.")),
    },
    texts={
        "milestone_10": {
            "en": (
                "Well done, {first_name}! That was your {visits}th visit this membership. You're building a great "
                "habit - keep it up!"
            ),
            "de": (
                "Super, {first_name}! Das war schon dein {visits}. Besuch in dieser Mitgliedschaft. Du bist auf einem "
                "tollen Weg - weiter so!"
            ),
            "ru": (
                "{first_name}, поздравляем! Это уже Ваш {visits}-й визит по текущему абонементу. Отличное начало — так "
                "держать!"
            ),
            "fi": (
                "Hienoa, {first_name}! Tämä oli jo {visits}. käyntisi tämän jäsenyyden aikana. Hyvä tapa on syntymässä "
                "- jatka samaan malliin!"
            ),
            "sl": (
                "Čestitamo, {first_name}! To je že vaš {visits}. obisk s trenutno članarino. Odličen začetek – kar "
                "tako naprej!"
            ),
            "sk": (
                "Gratulujeme, {first_name}! Toto bola už Vaša {visits}. návšteva v rámci aktuálneho členstva. Skvelý "
                "začiatok – len tak ďalej!"
            ),
        },
        "milestone_50": {
            "en": (
                "Congratulations on your {visits}th visit this membership, {first_name}! Your consistency is "
                "impressive - keep going strong!"
            ),
            "de": (
                "Glückwunsch, {first_name}! Schon dein {visits}. Besuch in dieser Mitgliedschaft. Deine Ausdauer "
                "beeindruckt uns - bleib dran!"
            ),
            "ru": (
                "{first_name}, поздравляем с {visits}-м визитом по текущему абонементу! Ваше упорство впечатляет — "
                "продолжайте в том же духе!"
            ),
            "fi": (
                "Onnittelut, {first_name}! Tämä oli jo {visits}. käyntisi tämän jäsenyyden aikana. Sitkeytesi tekee "
                "vaikutuksen - jatka samaan malliin!"
            ),
            "sl": (
                "Čestitamo, {first_name}! Za vami je že {visits}. obisk s trenutno članarino. Vaša vztrajnost je "
                "navdihujoča – kar tako naprej!"
            ),
            "sk": (
                "Gratulujeme, {first_name}! Máte za sebou už {visits}. návštevu v rámci aktuálneho členstva. Vaša "
                "vytrvalosť je obdivuhodná – len tak ďalej!"
            ),
        },
        "milestone_100": {
            "en": (
                "Wow, {first_name}! Your {visits}th visit this membership - that's real dedication. Congratulations "
                "from all of us, we're proud of you!"
            ),
            "de": (
                "Wow, {first_name}! Dein {visits}. Besuch in dieser Mitgliedschaft - das ist echter Einsatz. "
                "Herzlichen Glückwunsch vom ganzen Team!"
            ),
            "ru": (
                "{first_name}, это уже Ваш {visits}-й визит по текущему абонементу! Поздравляем от всей команды — мы "
                "гордимся Вами!"
            ),
            "fi": (
                "Huikeaa, {first_name}! Tämä oli jo {visits}. käyntisi tämän jäsenyyden aikana. Onnittelut koko "
                "tiimiltä - olemme sinusta ylpeitä!"
            ),
            "sl": (
                "Izjemno, {first_name}! To je že vaš {visits}. obisk s trenutno članarino. Iskrene čestitke vse ekipe "
                "– ponosni smo na vas!"
            ),
            "sk": (
                "Úžasné, {first_name}! Toto je už Vaša {visits}. návšteva v rámci aktuálneho členstva. Gratuluje Vám "
                "celý tím – sme na Vás hrdí!"
            ),
        },
    },
)
