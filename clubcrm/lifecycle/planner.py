"""The planner: for each member's cycle, the touchpoints the rules call for today, within the cycle's
budget, by priority, with holdouts, one contact a day and at most one SMS in `sms_gap_days`."""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from clubcrm.lifecycle.facts import BookingFacts, ClubFacts, VisitFacts
from clubcrm.lifecycle.stages import pre_renewal_days, stage_of
from clubcrm.lifecycle.triggers import TRIGGERS, Context, Fired
from clubcrm.models import PROGRAMME, Club, Rule
from clubcrm.models.member import can_text

# Rules whose day is known in advance (the renewal run-up, the win-back after a lapse): the budget keeps
# room for them, so that a busy cycle never loses its renewal offer to a seasonal promotion.
RESERVED_TRIGGERS = ("days_to_end", "days_since_end")
YEAR = 365


@dataclass(frozen=True)
class Planned:
    """One touchpoint the pass plans (or, in a dry run, would plan)."""

    member_id: int
    membership_id: int | None
    rule: RuleView
    occurrence: int
    stage: str
    channel: str
    status: str
    skip_reason: str | None
    facts: dict
    session_id: int | None
    # A lead's cycle (membership_id None), and a task's deadline within its day.
    lead_cycle_id: int | None = None
    due_at: datetime | None = None

    @property
    def tool(self) -> ToolView:
        return self.rule.tool

    def row(self, club_id: int, day: date, now: datetime) -> dict:
        return {
            "club_id": club_id, "member_id": self.member_id, "membership_id": self.membership_id,
            "lead_cycle_id": self.lead_cycle_id, "due_at": self.due_at,
            "tool_id": self.tool.id, "rule_id": self.rule.id, "occurrence": self.occurrence,
            "stage": self.stage, "channel": self.channel, "status": self.status,
            "skip_reason": self.skip_reason, "facts": self.facts, "due_on": day, "planned_at": now,
            "session_id": self.session_id,
            "task_kind": self.rule.task_kind if self.channel == "task" else None,
        }


@dataclass(frozen=True)
class ToolView:
    """A tool's columns as the pass reads them: plain attributes, read thousands of times a pass (an ORM
    attribute read costs a descriptor call each time)."""

    id: int
    key: str
    enabled: bool
    holdout_pct: int


@dataclass(frozen=True)
class RuleView:
    """A rule's columns as plain attributes, with its tool and its stages split once (see ToolView)."""

    id: int
    key: str
    tool: ToolView
    trigger: str
    stage_list: tuple[str, ...]
    channel: str
    fallback: str
    task_kind: str
    priority: int
    days: int
    window_days: int
    threshold: int | None
    season_from: str | None
    season_to: str | None
    enabled: bool
    texts: dict

    @classmethod
    def of(cls, rule: Rule) -> "RuleView":
        tool = rule.tool
        return cls(rule.id, rule.key, ToolView(tool.id, tool.key, tool.enabled, tool.holdout_pct), rule.trigger,
                   rule.stage_list, rule.channel, rule.fallback, rule.task_kind, rule.priority, rule.days,
                   rule.window_days, rule.threshold, rule.season_from, rule.season_to, rule.enabled,
                   dict(rule.texts or {}))


@dataclass(frozen=True)
class Drawn:
    """An arm drawn today for a cycle: of a tool whose trigger fired for the first time in it, or of the whole
    programme (TOOL None) the first day the pass sees the cycle."""

    member_id: int
    membership_id: int | None
    tool: ToolView | None
    held: bool
    share_pct: int
    lead_cycle_id: int | None = None   # a lead's cycle (membership_id None)

    def row(self, club_id: int, day: date, now: datetime) -> dict:
        return {"club_id": club_id, "member_id": self.member_id, "kind": "lead" if self.lead_cycle_id else "member",
                "membership_id": self.membership_id, "lead_cycle_id": self.lead_cycle_id,
                "tool_key": self.tool.key if self.tool else PROGRAMME,
                "tool_id": self.tool.id if self.tool else None, "held": self.held, "share_pct": self.share_pct,
                "first_on": day, "created_at": now}


@dataclass
class DayPlan:
    """What the planner decided for one club's day: the touchpoints, and the arms it drew."""

    planned: list[Planned] = field(default_factory=list)
    drawn: list[Drawn] = field(default_factory=list)


def drawn_below(text: str, share_pct: int) -> bool:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 < share_pct * 100


def held_out(member_id: int, tool, membership_id: int) -> bool:
    """Decide by a stable hash of (member, tool, cycle) whether this cycle is kept from the tool."""
    return tool.holdout_pct > 0 and drawn_below(f"{member_id}:{tool.key}:{membership_id}", tool.holdout_pct)


def programme_held(member_id: int, year: int, share_pct: int) -> bool:
    """Decide by a stable hash of (member, calendar year) whether the member gets no contact from the engine's
    tools that year (the programme holdout). Independent of every tool's draw (another hash input)."""
    return share_pct > 0 and drawn_below(f"programme:{member_id}:{year}", share_pct)


def plan_club(club: Club, rules: list[Rule], facts: ClubFacts) -> DayPlan:
    """Plan the touchpoints of one club for FACTS.day, and draw the arms of the tools whose trigger fires for
    the first time in a cycle.

    The draw is logged before anything else decides about the contact (the SMS gap, a recent staff talk, the
    budget, one contact a day), for both arms alike: a member who comes back on their own while their SMS
    waits stays in the arm they were drawn into (intention to treat)."""
    day = facts.day
    rules = sorted((RuleView.of(r) for r in rules if r.enabled and r.tool.enabled and r.trigger in TRIGGERS),
                   key=lambda r: (r.priority, r.id))
    reserved_rules = [r for r in rules if r.trigger in RESERVED_TRIGGERS]
    offered: dict[int, int] = {}
    result = DayPlan()
    programme_pct = club.programme_holdout_pct
    for member_id in sorted(facts.contracts):
        member = facts.members.get(member_id)
        if member is None:
            continue
        stage = stage_of(not member.converted, facts.contracts[member_id], facts.freezes, day,
                         facts.first_start.get(member_id))
        if stage.cycle is None:
            continue
        cycle_id = stage.cycle.id
        arms = facts.assigned.get(cycle_id, {})
        if PROGRAMME not in arms:
            held = programme_held(member_id, day.year, programme_pct)
            result.drawn.append(Drawn(member_id, cycle_id, None, held, programme_pct))
            arms = {**arms, PROGRAMME: held}
        if arms[PROGRAMME] or stage.name == "frozen":
            continue   # held out of the programme: no contact from the engine's tools (nor a draw of them)
        fired = set(facts.fired.get(cycle_id, ()))
        contacts, contacted_today = facts.cycle_contacts.get(cycle_id, (0, False))
        ctx = Context(day, stage, member, facts.visits.get(member_id) or VisitFacts(),
                      facts.bookings.get(member_id) or BookingFacts(), facts,
                      contacts_in_cycle=contacts, last_contact=facts.last_contact.get(member_id),
                      sessions_offered=offered)
        reserve = 0 if stage.renewed else sum(
            1 for r in reserved_rules if (r.id, 0) not in fired
            and (r.trigger == "days_since_end" or stage.name != "lapsed"))
        ctx.pacing_target = pacing_target(club, stage, reserve, unseen_days(stage))
        last_sms = facts.last_sms.get(member_id)
        busy = contacted_today   # one contact a day: once it is planned, later rules only get their draw
        for rule in rules:
            tool = rule.tool
            if busy and tool.key in arms:
                continue
            if stage.name not in rule.stage_list:
                continue
            fire = TRIGGERS[rule.trigger](rule, ctx)
            if fire is None:
                continue
            held = arms.get(tool.key)
            if held is None:
                held = held_out(member_id, tool, cycle_id)
                result.drawn.append(Drawn(member_id, cycle_id, tool, held, tool.holdout_pct))
                arms = {**arms, tool.key: held}
            if busy or (rule.id, fire.occurrence) in fired:
                continue
            outcome = ((rule.channel, "held_out", None) if held
                       else decide(club, rule, fire, ctx, reserve, last_sms))
            if outcome is None:
                continue  # not today (the SMS gap): tried again tomorrow while the window lasts
            channel, status, reason = outcome
            session_id = fire.session.id if fire.session and status == "planned" else None
            facts_matched = fire.facts
            if channel != rule.channel:   # a call instead of an SMS: say why
                facts_matched = {**fire.facts, "instead_of_sms": reason}
            result.planned.append(Planned(member_id, cycle_id, rule, fire.occurrence, stage.name, channel, status,
                                          reason if status == "skipped" else None, facts_matched, session_id))
            fired.add((rule.id, fire.occurrence))
            if status != "planned":
                continue
            if session_id:
                offered[session_id] = offered.get(session_id, 0) + 1
            busy = True
    return result


def decide(club: Club, rule: Rule, fire: Fired, ctx: Context, reserve: int,
           last_sms: date | None) -> tuple[str, str, str | None] | None:
    """Say how a fired rule of a tool the cycle was not held out of lands: (channel, status, reason), or None to
    wait for another day. The reason is why it was skipped, or why a call replaces its SMS (no_consent,
    sms_cap)."""
    channel = rule.channel
    room = club.touch_budget_max - ctx.contacts_in_cycle
    if rule.trigger not in RESERVED_TRIGGERS:
        room -= reserve
    if room <= 0:
        return channel, "skipped", "budget"
    reason = None
    if channel == "sms":
        reason = why_no_sms(club, ctx, last_sms, lambda: last_chance(rule, ctx))
        if reason is WAIT:
            return None
        if reason is None:
            return channel, "planned", None
        if rule.fallback != "task":
            return "sms", "skipped", reason
        channel = "task"
    if ctx.member.id in ctx.facts.talked_lately:
        # A staff call waits while a conversation is recent; on the trigger's last day it is recorded as
        # skipped, so that the assigned arm keeps every cycle the trigger reached, as the held-out arm does.
        if last_chance(rule, ctx):
            return channel, "skipped", "talked"
        return None
    return channel, "planned", reason


# why_no_sms's answer for an SMS that may still go on a later day of its window.
WAIT = "wait"


def why_no_sms(club: Club, ctx, last_sms: date | None, closing: Callable[[], bool]) -> str | None:
    """Why a fired rule's SMS cannot go to CTX.member today: no_consent; sms_cap, an SMS went out within the club's
    gap and the rule's window closes today (CLOSING()); WAIT, the same but the window goes on; None: it can go. The
    members' planner and the leads' share it."""
    if not can_text(ctx.member):
        return "no_consent"
    if last_sms is not None and (ctx.day - last_sms).days < club.sms_gap_days:
        return "sms_cap" if closing() else WAIT
    return None


def last_chance(rule: Rule, ctx: Context) -> bool:
    """Tell whether a rule that fires today would no longer fire tomorrow (its window closes)."""
    tomorrow = ctx.day + timedelta(days=1)
    later = replace(ctx, day=tomorrow, stage=replace(ctx.stage, day=tomorrow))
    return TRIGGERS[rule.trigger](rule, later) is None


def unseen_days(stage) -> int:
    """The days of the cycle that passed before ClubCRM learned of it (an imported contract), 0 for a sale."""
    imported_on = getattr(stage.cycle, "imported_on", None)
    return max(0, (imported_on - stage.cycle.starts_on).days) if imported_on else 0


def pacing_target(club: Club, stage, reserve: int, unseen: int = 0) -> float:
    """How many contacts the cycle should have had by now to reach its minimum by its end.

    The minimum applies to a year; a shorter contract gets its share of it. Contacts the budget keeps
    for the renewal run-up come on top, so the pace aims at the minimum less those. The pace of the
    UNSEEN days (a contract imported that far into its cycle) is not owed: nobody could have made those
    contacts, and catching up on them would fire months of contacts at a member who just moved in.
    """
    length = stage.length
    minimum = math.ceil(club.touch_budget_min * min(1.0, length / YEAR)) - reserve
    run = length - (pre_renewal_days(length) if reserve else 0)
    if minimum <= 0 or run <= 0:
        return 0.0
    return minimum * (min(1.0, (stage.days_since_start + 1) / run) - min(1.0, unseen / run))
