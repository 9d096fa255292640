"""The planner: for each member's cycle, the touchpoints the rules call for today, within the cycle's
budget, by priority, with holdouts, one contact a day and at most one SMS in `sms_gap_days`."""
import hashlib
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from clubcrm.lifecycle.facts import BookingFacts, ClubFacts, VisitFacts
from clubcrm.lifecycle.stages import pre_renewal_days, stage_of
from clubcrm.lifecycle.triggers import TRIGGERS, Context, Fired
from clubcrm.models import Club, Rule, Tool
from clubcrm.models.member import can_text

# Rules whose day is known in advance (the renewal run-up, the win-back after a lapse): the budget keeps
# room for them, so that a busy cycle never loses its renewal offer to a seasonal promotion.
RESERVED_TRIGGERS = ("days_to_end", "days_since_end")
YEAR = 365


@dataclass(frozen=True)
class Planned:
    """One touchpoint the pass plans (or, in a dry run, would plan)."""

    member_id: int
    membership_id: int
    rule: Rule
    occurrence: int
    stage: str
    channel: str
    status: str
    skip_reason: str | None
    facts: dict
    session_id: int | None

    @property
    def tool(self) -> Tool:
        return self.rule.tool

    def row(self, club_id: int, day: date, now: datetime) -> dict:
        return {
            "club_id": club_id, "member_id": self.member_id, "membership_id": self.membership_id,
            "tool_id": self.tool.id, "rule_id": self.rule.id, "occurrence": self.occurrence,
            "stage": self.stage, "channel": self.channel, "status": self.status,
            "skip_reason": self.skip_reason, "facts": self.facts, "due_on": day, "planned_at": now,
            "session_id": self.session_id,
            "task_kind": self.rule.task_kind if self.channel == "task" else None,
        }


def held_out(member_id: int, tool: Tool, membership_id: int) -> bool:
    """Decide by a stable hash of (member, tool, cycle) whether this cycle is kept from the tool."""
    if tool.holdout_pct <= 0:
        return False
    digest = hashlib.blake2b(f"{member_id}:{tool.key}:{membership_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 < tool.holdout_pct * 100


def plan_club(club: Club, rules: list[Rule], facts: ClubFacts) -> list[Planned]:
    """Plan the touchpoints of one club for FACTS.day."""
    day = facts.day
    rules = sorted((r for r in rules if r.enabled and r.tool.enabled and r.trigger in TRIGGERS),
                   key=lambda r: (r.priority, r.id))
    stages = {r.id: r.stage_list for r in rules}   # split once, not once per member
    reserved_rules = [r for r in rules if r.trigger in RESERVED_TRIGGERS]
    offered: dict[int, int] = {}
    planned: list[Planned] = []
    for member_id in sorted(facts.contracts):
        member = facts.members.get(member_id)
        if member is None:
            continue
        stage = stage_of(not member.converted, facts.contracts[member_id], facts.freezes, day,
                         facts.first_start.get(member_id))
        if stage.cycle is None or stage.name == "frozen":
            continue
        cycle_id = stage.cycle.id
        fired = set(facts.fired.get(cycle_id, ()))
        contacts, contacted_today = facts.cycle_contacts.get(cycle_id, (0, False))
        if contacted_today:
            continue  # one contact a day; an hourly rerun finds today's already planned
        ctx = Context(day, stage, member, facts.visits.get(member_id) or VisitFacts(),
                      facts.bookings.get(member_id) or BookingFacts(), facts,
                      contacts_in_cycle=contacts, last_contact=facts.last_contact.get(member_id),
                      sessions_offered=offered)
        reserve = 0 if stage.renewed else sum(
            1 for r in reserved_rules if (r.id, 0) not in fired
            and (r.trigger == "days_since_end" or stage.name != "lapsed"))
        ctx.pacing_target = pacing_target(club, stage, reserve, unseen_days(stage))
        last_sms = facts.last_sms.get(member_id)
        for rule in rules:
            if stage.name not in stages[rule.id]:
                continue
            fire = TRIGGERS[rule.trigger](rule, ctx)
            if fire is None or (rule.id, fire.occurrence) in fired:
                continue
            outcome = decide(club, rule, fire, ctx, reserve, last_sms)
            if outcome is None:
                continue  # not today (the SMS gap): tried again tomorrow while the window lasts
            channel, status, reason = outcome
            session_id = fire.session.id if fire.session and status == "planned" else None
            facts_matched = fire.facts
            if channel != rule.channel:   # a call instead of an SMS: say why
                facts_matched = {**fire.facts, "instead_of_sms": reason}
            planned.append(Planned(member_id, cycle_id, rule, fire.occurrence, stage.name, channel, status,
                                   reason if status == "skipped" else None, facts_matched, session_id))
            fired.add((rule.id, fire.occurrence))
            if status != "planned":
                continue
            if session_id:
                offered[session_id] = offered.get(session_id, 0) + 1
            break  # one contact a day
    return planned


def decide(club: Club, rule: Rule, fire: Fired, ctx: Context, reserve: int,
           last_sms: date | None) -> tuple[str, str, str | None] | None:
    """Say how a fired rule lands: (channel, status, reason), or None to wait for another day. The reason is
    why it was skipped, or why a call replaces its SMS (no_consent, sms_cap)."""
    channel = rule.channel
    if held_out(ctx.member.id, rule.tool, ctx.cycle_id):
        return channel, "held_out", None
    room = club.touch_budget_max - ctx.contacts_in_cycle
    if rule.trigger not in RESERVED_TRIGGERS:
        room -= reserve
    if room <= 0:
        return channel, "skipped", "budget"
    reason = None
    if channel == "sms":
        if not can_text(ctx.member):
            reason = "no_consent"
        elif last_sms is not None and (ctx.day - last_sms).days < club.sms_gap_days:
            if not last_chance(rule, ctx):
                return None
            reason = "sms_cap"
        else:
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
