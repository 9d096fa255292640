"""Trial session: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired, free_session, in_window
from clubcrm.lifecycle.tools.base import EARLY, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def trial_invite(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if not in_window(days, rule.days, rule.window_days):
        return None
    if ctx.bookings.last_trial is not None and ctx.bookings.last_trial >= ctx.stage.cycle.starts_on:
        return None
    session = free_session(ctx, ("trial",))
    return Fired(0, {"days_since_start": days, "trial_booked": False}, session) if session else None


TOOL = ToolSpec(
    key="trial_session",
    name=_l("Trial session"),
    effect=1.5,
    rules=(
        DefaultRule("trial_invite", "trial_session", "trial_invite", EARLY, "sms", 20, days=2, window_days=12,
                    task_kind="invite"),
    ),
    rule_names={
        "trial_invite": _l("Trial session invitation in weeks 1–2"),
    },
    triggers={
        "trial_invite": Trigger(trial_invite, ("days", "window_days"),
            _l("From this day after the start, if no trial session is booked and one has free places.")),
    },
    fact_names={
        "trial_booked": _l("trial session booked"),
    },
    texts={
        "trial_invite": {
            "en": (
                "Hi {first_name}, as a new member you get a free session with a trainer: {session}, {when}. Want to "
                "join? Reply YES to book it. Or book here: {link}"
            ),
            "de": (
                "Hallo {first_name}, als neues Mitglied bekommst du ein kostenloses Training mit Trainer: {session}, "
                "{when}. Antworte mit JA, um es zu buchen. Oder hier buchen: {link}"
            ),
            "ru": (
                "{first_name}, Вас ждёт бесплатное занятие с тренером: {session}, {when}. Ответьте ДА, чтобы "
                "записаться. Или по ссылке: {link}"
            ),
            "fi": (
                "Hei {first_name}! Uutena jäsenenä saat maksuttoman treenin valmentajan kanssa: {session}, {when}. "
                "Varaa paikkasi vastaamalla KYLLÄ. Tai varaa tästä: {link}"
            ),
            "sl": (
                "{first_name}, vabimo vas na brezplačen trening s trenerjem: {session}, {when}. Za rezervacijo "
                "odgovorite DA. Ali rezervirajte tu: {link}"
            ),
            "sk": (
                "{first_name}, pozývame Vás na bezplatný tréning s trénerom: {session}, {when}. Ak si ho chcete "
                "rezervovať, odpovedzte ÁNO. Alebo cez odkaz: {link}"
            ),
        },
    },
)
