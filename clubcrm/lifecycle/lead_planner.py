"""The lead planner: for each open lead cycle, the touchpoints the lead tools' rules call for today, with each
tool's holdout drawn the first time its trigger fires in the cycle (the same log and draw as the members' tools).

Unlike a membership's cycle, a lead's has no contact budget and no "one contact a day": a lead who just came gets
the trial invitation SMS and the first call the same day, by design of the tools. Consent and the SMS gap apply as
for members: a lead without consent gets no SMS (a rule whose fallback is a call gets the call), and an SMS within
the club's `sms_gap_days` of the last waits for another day of its window, then becomes its fallback."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from clubcrm.lifecycle.facts import MemberRow, OpenSession
from clubcrm.lifecycle.lead_facts import LeadFacts, LeadRow, TrialRow, first_call_due
from clubcrm.lifecycle.planner import WAIT, DayPlan, Drawn, Planned, RuleView, drawn_below, why_no_sms
from clubcrm.lifecycle.tools import LEAD
from clubcrm.lifecycle.triggers import TRIGGERS
from sqlalchemy import select, update

from clubcrm.extensions import db
from clubcrm.models import Club, Rule, Touchpoint


@dataclass
class LeadContext:
    """What the lead tools' triggers know of one lead on one day."""

    day: date
    cycle: LeadRow
    member: MemberRow
    facts: LeadFacts
    sessions_offered: dict[int, int] = field(default_factory=dict)

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.facts.zone).date()

    @property
    def days_since_start(self) -> int:
        return (self.day - self.local_day(self.cycle.started_at)).days

    @property
    def days_left(self) -> int:
        """Days until the cycle closes unsold (LEAD_CYCLE_DAYS after it began)."""
        return self.facts.cycle_days - self.days_since_start

    @property
    def reached(self) -> bool:
        return self.cycle.id in self.facts.reached

    @property
    def trial_booked(self) -> bool:
        return self.cycle.id in self.facts.trial_booked

    @property
    def trial_next(self) -> TrialRow | None:
        return self.facts.trial_next.get(self.cycle.id)

    @property
    def trial_attended(self) -> date | None:
        return self.facts.attended.get(self.cycle.id)

    @property
    def first_call_due(self) -> datetime:
        return first_call_due(self.facts, self.cycle.started_at)


def lead_held(member_id: int, tool, cycle_id: int) -> bool:
    """Decide by a stable hash of (member, tool, lead cycle) whether the cycle is kept from the tool (a hash input
    of its own: a lead's draw is independent of the draws of the memberships the person may buy later)."""
    return tool.holdout_pct > 0 and drawn_below(f"{member_id}:{tool.key}:lead:{cycle_id}", tool.holdout_pct)


def lead_rules(rules: list[Rule]) -> list[RuleView]:
    """The club's lead rules that may fire, in the order they are tried."""
    return sorted((RuleView.of(r) for r in rules
                   if r.enabled and r.tool.enabled and r.trigger in TRIGGERS and LEAD in r.stage_list),
                  key=lambda r: (r.priority, r.id))


def plan_leads(club: Club, rules: list[Rule], facts: LeadFacts, offered: dict[int, int] | None = None) -> DayPlan:
    """Plan the touchpoints of CLUB's open lead cycles for FACTS.day and draw the arms of the lead tools whose
    trigger fires for the first time in a cycle (logged before anything else decides, for both arms alike).
    OFFERED: places of sessions the members' plan offered already today (updated)."""
    day = facts.day
    rules_in_order = lead_rules(rules)
    offered = {} if offered is None else offered
    result = DayPlan()
    for cycle in facts.cycles:
        member = facts.members[cycle.member_id]
        ctx = LeadContext(day, cycle, member, facts, offered)
        arms = facts.assigned.get(cycle.id, {})
        fired = set(facts.fired.get(cycle.id, ()))
        last_sms = facts.last_sms.get(member.id)
        for rule in rules_in_order:
            fire = TRIGGERS[rule.trigger](rule, ctx)
            if fire is None:
                continue
            tool = rule.tool
            held = arms.get(tool.key)
            if held is None:
                held = lead_held(member.id, tool, cycle.id)
                result.drawn.append(Drawn(member.id, None, tool, held, tool.holdout_pct, lead_cycle_id=cycle.id))
                arms = {**arms, tool.key: held}
            if (rule.id, fire.occurrence) in fired:
                continue
            outcome = (rule.channel, "held_out", None) if held else decide(club, rule, ctx, last_sms)
            if outcome is None:
                continue   # not today (the SMS gap): tried again tomorrow while the window lasts
            channel, status, reason = outcome
            session_id = fire.session.id if fire.session and status == "planned" else None
            matched = fire.facts if channel == rule.channel else {**fire.facts, "instead_of_sms": reason}
            result.planned.append(Planned(
                member.id, None, rule, fire.occurrence, LEAD, channel, status,
                reason if status == "skipped" else None, matched, session_id, lead_cycle_id=cycle.id,
                due_at=fire.due_at if channel == "task" else None))
            fired.add((rule.id, fire.occurrence))
            if status == "planned" and channel == "sms":
                last_sms = day
            if session_id and not isinstance(fire.session, TrialRow):   # a reminder takes no new place
                offered[session_id] = offered.get(session_id, 0) + 1
    return result


# Calls that are about reaching a lead: once staff reach the lead, those still open are dropped.
REACHING_TRIGGERS = ("lead_new", "lead_not_reached")


def drop_open_calls(cycle_ids, reason: str, triggers: tuple[str, ...] | None = None) -> int:
    """Drop the open staff tasks of the lead cycles CYCLE_IDS (a list, or a select of ids), those of rules firing on
    TRIGGERS only when given: skipped with REASON (reached, lead_closed), one UPDATE. Return how many."""
    which = [Touchpoint.lead_cycle_id.in_(cycle_ids), Touchpoint.channel == "task", Touchpoint.status == "planned"]
    if triggers is not None:
        which.append(Touchpoint.rule_id.in_(select(Rule.id).where(Rule.trigger.in_(triggers))))
    return db.session.execute(update(Touchpoint).where(*which).values(status="skipped", skip_reason=reason)
                              .execution_options(synchronize_session=False)).rowcount


def decide(club: Club, rule: RuleView, ctx: LeadContext, last_sms: date | None) -> tuple[str, str, str | None] | None:
    """How a fired lead rule lands for a lead not held out of its tool: (channel, status, reason), or None to wait
    for another day of its window (see the module's docstring)."""
    if rule.channel != "sms":
        return rule.channel, "planned", None
    reason = why_no_sms(club, ctx, last_sms, lambda: last_chance(rule, ctx))
    if reason is WAIT:
        return None
    if reason is None:
        return "sms", "planned", None
    return ("task", "planned", reason) if rule.fallback == "task" else ("sms", "skipped", reason)


def last_chance(rule: RuleView, ctx: LeadContext) -> bool:
    """Tell whether a rule that fires today would no longer fire tomorrow (its window closes)."""
    return TRIGGERS[rule.trigger](rule, replace(ctx, day=ctx.day + timedelta(days=1))) is None


__all__ = ["LeadContext", "OpenSession", "lead_held", "lead_rules", "plan_leads"]
