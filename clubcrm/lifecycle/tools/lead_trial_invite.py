"""Lead trial invitation: an SMS to a lead who agreed to SMS, offering the next trial session with free places."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Fired, free_session, in_window
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def lead_trial_invite(rule: Rule, ctx) -> Fired | None:
    days = ctx.days_since_start
    if ctx.trial_booked or ctx.trial_attended or not in_window(days, rule.days, rule.window_days):
        return None
    session = free_session(ctx, ("trial",))
    return Fired(0, {"days_since_start": days, "trial_booked": False}, session) if session else None


TOOL = ToolSpec(
    key="lead_trial_invite",
    name=_l("Lead: trial invitation"),
    effect=5.0,
    rules=(
        # A lead without SMS consent gets no call instead: the first call and the follow-ups invite them.
        DefaultRule("lead_trial_invite", "lead_trial_invite", "lead_trial_invite", LEAD, "sms", 10, days=0,
                    window_days=6, fallback="skip", task_kind="invite"),
    ),
    rule_names={
        "lead_trial_invite": _l("New lead: trial session invitation"),
    },
    triggers={
        "lead_trial_invite": Trigger(lead_trial_invite, ("days", "window_days"),
            _l("From this day of the lead's cycle, if no trial session is booked and one has free places.")),
    },
    texts={
        "lead_trial_invite": {
            "en": "Hi {first_name}, thanks for your interest in {club}! Try a free session with a trainer: {session}, "
                  "{when}. Reply YES to book it. Or book here: {link}",
            "de": "Hallo {first_name}, danke für dein Interesse an {club}! Probiere ein kostenloses Training mit "
                  "Trainer: {session}, {when}. Antworte mit JA, um es zu buchen. Oder hier buchen: {link}",
            "ru": "{first_name}, спасибо за интерес к {club}! Приходите на бесплатное занятие с тренером: {session}, "
                  "{when}. Ответьте ДА, чтобы записаться. Или по ссылке: {link}",
            "fi": "Hei {first_name}, kiitos kiinnostuksestasi {club}-klubia kohtaan! Kokeile maksutonta treeniä "
                  "valmentajan kanssa: {session}, {when}. Varaa vastaamalla KYLLÄ. Tai varaa tästä: {link}",
            "sl": "{first_name}, hvala za zanimanje za {club}! Preizkusite brezplačen trening s trenerjem: {session}, "
                  "{when}. Za rezervacijo odgovorite DA. Ali rezervirajte tu: {link}",
            "sk": "{first_name}, ďakujeme za záujem o {club}! Vyskúšajte bezplatný tréning s trénerom: {session}, "
                  "{when}. Ak si ho chcete rezervovať, odpovedzte ÁNO. Alebo cez odkaz: {link}",
        },
    },
)
