"""Class and event invitation: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, free_session, in_window
from clubcrm.lifecycle.tools.base import DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def gym_only(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if not in_window(days, rule.days, rule.window_days):
        return None
    last = ctx.bookings.last_class
    if ctx.bookings.upcoming or (last is not None and (ctx.day - last).days <= (rule.threshold or 0)):
        return None
    session = free_session(ctx, ("class", "event"))
    if session is None:
        return None
    since = (ctx.day - last).days if last else None
    return Fired(0, {"days_since_class": since, "visits_30": ctx.visits.last_30}, session)


TOOL = ToolSpec(
    key="class_invitation",
    name=_l("Class and event invitation"),
    effect=0.5,
    rules=(
        # Gym-only members cancel 56% more often than class-goers: no class for `threshold` days → invite.
        DefaultRule("class_invite", "class_invitation", "gym_only", "adaptation,active", "sms", 40, days=21,
                    window_days=60, threshold=60, task_kind="invite"),
    ),
    rule_names={
        "class_invite": _l("Gym-only member: class or event invitation"),
    },
    triggers={
        "gym_only": Trigger(gym_only, ("days", "window_days", "threshold"),
            _l("From this day after the start, if the member booked no class or event for threshold days.")),
    },
    fact_names={
        "days_since_class": _l("days since the last class"),
        "visits_30": _l("visits in 30 days"),
    },
    texts={
        "class_invite": {
            "en": (
                "Hi {first_name}, fancy a change from your usual workout? Try something new with us: {session}, "
                "{when}. Reply YES to book your spot. Or book here: {link}"
            ),
            "de": (
                "Hallo {first_name}, Lust auf Abwechslung im Training? Probier mal was Neues aus: {session}, {when}. "
                "Antworte mit JA, um dir einen Platz zu sichern. Oder hier buchen: {link}"
            ),
            "ru": (
                "{first_name}, хотите разнообразить тренировки? Попробуйте что-то новое: {session}, {when}. Ответьте "
                "ДА, чтобы забронировать место. Или по ссылке: {link}"
            ),
            "fi": (
                "Hei {first_name}! Kaipaatko vaihtelua treeniin? Tule kokeilemaan jotain uutta: {session}, {when}. "
                "Varaa paikkasi vastaamalla KYLLÄ. Tai varaa tästä: {link}"
            ),
            "sl": (
                "{first_name}, vas mika kaj novega? Popestrite vadbo in se nam pridružite: {session}, {when}. Za "
                "rezervacijo mesta odgovorite DA. Ali rezervirajte tu: {link}"
            ),
            "sk": (
                "{first_name}, máte chuť na zmenu? Vyskúšajte niečo nové: {session}, {when}. Ak si chcete rezervovať "
                "miesto, odpovedzte ÁNO. Alebo cez odkaz: {link}"
            ),
        },
    },
)
