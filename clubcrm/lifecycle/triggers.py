"""Triggers: does a rule fire for a member today, which occurrence, and on which facts."""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from clubcrm.lifecycle.facts import BookingFacts, ClubFacts, MemberRow, OpenSession, VisitFacts
from clubcrm.lifecycle.stages import PRE_RENEWAL_DAYS, Stage, last_day, pre_renewal_days
from clubcrm.models import Rule
from clubcrm.services.cards import is_birthday


@dataclass
class Context:
    """What the triggers know of one member on one day."""

    day: date
    stage: Stage
    member: MemberRow
    visits: VisitFacts
    bookings: BookingFacts
    facts: ClubFacts
    contacts_in_cycle: int = 0
    pacing_target: float = 0.0
    last_contact: date | None = None
    sessions_offered: dict[int, int] = field(default_factory=dict)

    @property
    def cycle_id(self) -> int:
        return self.stage.cycle.id

    @property
    def visits_cycle(self) -> int:
        return self.visits.by_membership.get(self.cycle_id, 0)

    @property
    def days_silent(self) -> int:
        """Days since the last visit, the cycle's start or the end of its last freeze, whichever is latest."""
        anchor = self.stage.cycle.starts_on
        if self.visits.last_visit is not None:
            anchor = max(anchor, self.visits.last_visit)
        for _start, end, _id in self.facts.freezes.get(self.cycle_id, ()):
            if end < self.day:
                anchor = max(anchor, end + timedelta(days=1))
        return (self.day - anchor).days


@dataclass(frozen=True)
class Fired:
    occurrence: int
    facts: dict
    session: OpenSession | None = None


def in_window(value: int, start: int, window: int) -> bool:
    return start <= value <= start + window


def scaled(days: int, stage: Stage) -> int:
    """Renewal timing scaled to contracts too short for the full 45-day run-up."""
    run_up = pre_renewal_days(stage.length)
    return days if run_up >= PRE_RENEWAL_DAYS else days * run_up // PRE_RENEWAL_DAYS


def free_session(ctx: Context, kinds: tuple[str, ...]) -> OpenSession | None:
    for session in ctx.facts.sessions:
        if session.kind in kinds and session.free - ctx.sessions_offered.get(session.id, 0) > 0:
            return session
    ctx.facts.waiting.add(ctx.member.id)   # a place that frees later in the day serves this member then
    return None


def days_since_start(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    return Fired(0, {"days_since_start": days}) if in_window(days, rule.days, rule.window_days) else None


def no_first_visit(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if in_window(days, rule.days, rule.window_days) and ctx.visits_cycle == 0:
        return Fired(0, {"days_since_start": days, "visits_cycle": 0})
    return None


def trial_invite(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if not in_window(days, rule.days, rule.window_days):
        return None
    if ctx.bookings.last_trial is not None and ctx.bookings.last_trial >= ctx.stage.cycle.starts_on:
        return None
    session = free_session(ctx, ("trial",))
    return Fired(0, {"days_since_start": days, "trial_booked": False}, session) if session else None


def adaptation_check(rule: Rule, ctx: Context) -> Fired | None:
    days = ctx.stage.days_since_start
    if in_window(days, rule.days, rule.window_days) and ctx.visits_cycle < (rule.threshold or 0):
        return Fired(0, {"days_since_start": days, "visits_cycle": ctx.visits_cycle})
    return None


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


def silence(rule: Rule, ctx: Context) -> Fired | None:
    silent = ctx.days_silent
    if not in_window(silent, rule.days, rule.window_days):
        return None
    # One per silence spell: the spell is named by the day it began.
    began = ctx.day - timedelta(days=silent)
    return Fired(began.toordinal(), {"days_silent": silent, "last_visit": _iso(ctx.visits.last_visit)})


def visits_milestone(rule: Rule, ctx: Context) -> Fired | None:
    """The visit that reached the goal came within the window (7, 14 or 30 days): congratulate then,
    not months later when a member long past the goal first meets the engine."""
    goal = rule.threshold or 0
    window = rule.window_days
    recent = ctx.visits.last_7 if window <= 7 else ctx.visits.last_14 if window <= 14 else ctx.visits.last_30
    if goal and ctx.visits_cycle - recent < goal <= ctx.visits_cycle:
        return Fired(goal, {"visits_cycle": ctx.visits_cycle})
    return None


def birthday(rule: Rule, ctx: Context) -> Fired | None:
    if is_birthday(ctx.member.birth_date, ctx.day):
        return Fired(ctx.day.year, {"birthday": ctx.day.isoformat()})
    return None


def season(rule: Rule, ctx: Context) -> Fired | None:
    if not (rule.season_from and rule.season_to):
        return None
    today = f"{ctx.day.month:02d}-{ctx.day.day:02d}"
    inside = (rule.season_from <= today <= rule.season_to if rule.season_from <= rule.season_to
              else today >= rule.season_from or today <= rule.season_to)
    return Fired(ctx.day.year, {"season": f"{rule.season_from}…{rule.season_to}"}) if inside else None


def low_balance(rule: Rule, ctx: Context) -> Fired | None:
    for package in ctx.facts.packages.get(ctx.member.id, ()):
        if package.balance <= (rule.threshold or 0):
            return Fired(package.id, {"service": package.service, "balance": package.balance})
    return None


def package_expiring(rule: Rule, ctx: Context) -> Fired | None:
    for package in ctx.facts.packages.get(ctx.member.id, ()):
        if package.expires_on is None:
            continue
        left = (package.expires_on - ctx.day).days
        if left <= rule.days and left >= rule.days - rule.window_days:
            return Fired(package.expires_on.toordinal(), {
                "service": package.service, "balance": package.balance, "expires_on": package.expires_on.isoformat(),
            })
    return None


def days_to_end(rule: Rule, ctx: Context) -> Fired | None:
    left = ctx.stage.days_to_end
    start, window = scaled(rule.days, ctx.stage), scaled(rule.window_days, ctx.stage)
    if start - window <= left <= start:
        return Fired(0, {"days_to_end": left, "ends_on": last_day(ctx.stage.cycle).isoformat()})
    return None


def freeze_ended(rule: Rule, ctx: Context) -> Fired | None:
    for _start, end, freeze_id in ctx.facts.freezes.get(ctx.cycle_id, ()):
        since = (ctx.day - end).days
        if in_window(since, rule.days, rule.window_days):
            return Fired(freeze_id, {"freeze_ended": end.isoformat()})
    return None


def days_since_end(rule: Rule, ctx: Context) -> Fired | None:
    since = -ctx.stage.days_to_end
    if in_window(since, rule.days, rule.window_days):
        return Fired(0, {"days_since_end": since})
    return None


def pacing(rule: Rule, ctx: Context) -> Fired | None:
    quiet = (ctx.day - ctx.last_contact).days if ctx.last_contact else ctx.stage.days_since_start
    if ctx.contacts_in_cycle + 1 <= ctx.pacing_target and quiet >= rule.days:
        return Fired(ctx.contacts_in_cycle + 1, {"contacts_in_cycle": ctx.contacts_in_cycle, "days_quiet": quiet})
    return None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


TRIGGERS: dict[str, Callable[[Rule, Context], Fired | None]] = {
    "days_since_start": days_since_start,
    "no_first_visit": no_first_visit,
    "trial_invite": trial_invite,
    "adaptation_check": adaptation_check,
    "gym_only": gym_only,
    "silence": silence,
    "visits_milestone": visits_milestone,
    "birthday": birthday,
    "season": season,
    "low_balance": low_balance,
    "package_expiring": package_expiring,
    "days_to_end": days_to_end,
    "freeze_ended": freeze_ended,
    "days_since_end": days_since_end,
    "pacing": pacing,
}
