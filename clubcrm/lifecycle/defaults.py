"""The tools and rules every club starts with, chosen from the research in RETENTION.md."""
from dataclasses import dataclass

from sqlalchemy import select

from clubcrm.extensions import db
from clubcrm.lifecycle.texts import DEFAULT_TEXTS
from clubcrm.models import Club, Rule, Tool

EARLY = "adaptation"
IN_CYCLE = "adaptation,active,pre_renewal"
IN_CYCLE_OR_LAPSED = "adaptation,active,pre_renewal,lapsed"

# Tools in the order managers see them.
TOOLS = (
    "welcome", "first_visit_call", "trial_session", "adaptation_check", "class_invitation", "silence",
    "milestone", "birthday", "seasonal", "package_offer", "renewal_offer", "freeze_end", "win_back",
    "club_news", "reply",
)


@dataclass(frozen=True)
class DefaultRule:
    key: str
    tool: str
    trigger: str
    stages: str
    channel: str
    priority: int
    days: int = 0
    window_days: int = 0
    threshold: int | None = None
    fallback: str = "task"
    task_kind: str = "call_back"
    season_from: str | None = None
    season_to: str | None = None


RULES = (
    # Welcome in the first days; a call if there is no first visit by day 7 (a first visit later than
    # two weeks predicts failure), a trial session in weeks 1-2, adaptation checks at days 14 and 30.
    DefaultRule("welcome", "welcome", "days_since_start", EARLY, "sms", 10, days=0, window_days=2),
    DefaultRule("no_first_visit", "first_visit_call", "no_first_visit", EARLY, "task", 15, days=7, window_days=6),
    DefaultRule("trial_invite", "trial_session", "trial_invite", EARLY, "sms", 20, days=2, window_days=12,
                task_kind="invite"),
    DefaultRule("adaptation_14", "adaptation_check", "adaptation_check", EARLY, "task", 25, days=14,
                window_days=3, threshold=4),
    DefaultRule("adaptation_30", "adaptation_check", "adaptation_check", EARLY, "task", 26, days=30,
                window_days=3, threshold=8),
    # Gym-only members cancel 56% more often than class-goers: no class for `threshold` days → invite.
    DefaultRule("class_invite", "class_invitation", "gym_only", "adaptation,active", "sms", 40, days=21,
                window_days=60, threshold=60, task_kind="invite"),
    # "At risk" after ~10 days without a visit (PushPress), a staff call after three weeks.
    DefaultRule("silence_sms", "silence", "silence", IN_CYCLE, "sms", 30, days=10, window_days=6),
    DefaultRule("silence_call", "silence", "silence", IN_CYCLE, "task", 31, days=21, window_days=7),
    DefaultRule("milestone_10", "milestone", "visits_milestone", IN_CYCLE, "sms", 60, threshold=10,
                window_days=14, task_kind="congratulate"),
    DefaultRule("milestone_50", "milestone", "visits_milestone", IN_CYCLE, "sms", 61, threshold=50,
                window_days=14, task_kind="congratulate"),
    DefaultRule("milestone_100", "milestone", "visits_milestone", IN_CYCLE, "sms", 62, threshold=100,
                window_days=14, task_kind="congratulate"),
    DefaultRule("birthday", "birthday", "birthday", IN_CYCLE_OR_LAPSED, "sms", 35, task_kind="congratulate"),
    DefaultRule("season_newyear", "seasonal", "season", IN_CYCLE_OR_LAPSED, "sms", 70, fallback="skip",
                season_from="01-08", season_to="01-21"),
    DefaultRule("season_spring", "seasonal", "season", IN_CYCLE_OR_LAPSED, "sms", 71, fallback="skip",
                season_from="04-15", season_to="04-28"),
    DefaultRule("season_autumn", "seasonal", "season", IN_CYCLE_OR_LAPSED, "sms", 72, fallback="skip",
                season_from="09-01", season_to="09-14"),
    DefaultRule("low_balance", "package_offer", "low_balance", IN_CYCLE, "sms", 45, threshold=2),
    DefaultRule("package_expiring", "package_offer", "package_expiring", IN_CYCLE, "sms", 46, days=14,
                window_days=14),
    # Renewal offer 45 days before the end, a reminder at 14, a staff call at 3.
    DefaultRule("renewal_45", "renewal_offer", "days_to_end", "pre_renewal", "sms", 5, days=45, window_days=30,
                task_kind="offer_renewal"),
    DefaultRule("renewal_14", "renewal_offer", "days_to_end", "pre_renewal", "sms", 6, days=14, window_days=10,
                task_kind="offer_renewal"),
    DefaultRule("renewal_call_3", "renewal_offer", "days_to_end", "pre_renewal", "task", 7, days=3, window_days=3,
                task_kind="offer_renewal"),
    DefaultRule("freeze_ended", "freeze_end", "freeze_ended", IN_CYCLE, "sms", 50, days=1, window_days=2,
                fallback="skip"),
    DefaultRule("win_back_7", "win_back", "days_since_end", "lapsed", "sms", 8, days=7, window_days=3,
                task_kind="offer_renewal"),
    DefaultRule("win_back_30", "win_back", "days_since_end", "lapsed", "task", 9, days=30, window_days=5,
                task_kind="offer_renewal"),
    # Keeps the cycle at its minimum of contacts: fires when the cycle is behind its pace and nobody has
    # been in touch for `days` days.
    DefaultRule("keep_in_touch", "club_news", "pacing", "adaptation,active", "sms", 90, days=7),
    # A member's SMS that is no keyword becomes a staff task (clubcrm.sms.inbound): its trigger is no planner
    # trigger, so the engine never fires it; it is a rule so that the task shows on Today like any other.
    DefaultRule("member_replied", "reply", "member_replied", "adaptation,active,pre_renewal,frozen,lapsed,lost",
                "task", 1),
)


def ensure(club: Club) -> None:
    """Give CLUB every default tool and rule it lacks (new defaults reach existing clubs too)."""
    tools = {t.key: t for t in db.session.scalars(select(Tool).where(Tool.club_id == club.id))}
    have = set(db.session.scalars(select(Rule.key).where(Rule.club_id == club.id)))
    for key in TOOLS:
        if key not in tools:
            tools[key] = Tool(club_id=club.id, key=key, enabled=True, holdout_pct=10)
            db.session.add(tools[key])
    db.session.flush()
    for spec in RULES:
        if spec.key in have:
            continue
        db.session.add(Rule(
            club_id=club.id, tool_id=tools[spec.tool].id, key=spec.key, trigger=spec.trigger,
            stages=spec.stages, channel=spec.channel, fallback=spec.fallback, task_kind=spec.task_kind,
            priority=spec.priority, days=spec.days, window_days=spec.window_days, threshold=spec.threshold,
            season_from=spec.season_from, season_to=spec.season_to, enabled=True,
            texts=dict(DEFAULT_TEXTS.get(spec.key, {})),
        ))
    db.session.flush()
