"""The lifecycle's tools, one module each, in the order managers see them.

A tool is everything the lifecycle knows of one kind of contact (tools/base.py: ToolSpec): its default rules, the
triggers they fire on, its names, its default SMS texts and its simulated effect. Adding a tool is one module here,
listed in ALL, plus the translations of its names (make translations). The rest of the code reads the tools through
the indexes below: defaults.ensure gives clubs their rules, triggers.TRIGGERS fires them, labels names them, the
rule form asks for each trigger's numbers, the simulator gives each tool its effect."""
from clubcrm.lifecycle.tools import (
    adaptation_check, birthday, class_invitation, club_news, first_visit_call, freeze_end, lead_first_call,
    lead_follow_up, lead_last_offer, lead_post_trial, lead_trial_invite, lead_trial_reminder, milestone, package_offer,
    renewal_offer, reply, seasonal, silence, trial_session, welcome, win_back,
)
from clubcrm.lifecycle.tools.base import LEAD, DefaultRule, ToolSpec, Trigger

ALL: tuple[ToolSpec, ...] = tuple(module.TOOL for module in (
    welcome, first_visit_call, trial_session, adaptation_check, class_invitation, silence, milestone, birthday,
    seasonal, package_offer, renewal_offer, freeze_end, win_back,
    lead_first_call, lead_trial_invite, lead_follow_up, lead_trial_reminder, lead_post_trial, lead_last_offer,
    club_news, reply,
))
# The lead tools: their rules play in a lead's cycle (lifecycle/lead_planner.py), not in a membership's.
LEAD_TOOLS: tuple[str, ...] = tuple(tool.key for tool in ALL if all(rule.stages == LEAD for rule in tool.rules))


def index(tools: tuple[ToolSpec, ...], part: str) -> dict:
    """Every tool's PART (a dict) in one: a key two tools define is a mistake, refused at import."""
    merged: dict = {}
    for tool in tools:
        for key, value in getattr(tool, part).items():
            if key in merged:
                raise ValueError(f"tools: {part} {key!r} is defined twice ({tool.key})")
            merged[key] = value
    return merged


def check(tools: tuple[ToolSpec, ...]) -> None:
    """Each rule belongs to the tool that lists it, fires on one of that tool's triggers and is named; texts are for
    the tool's own rules. Refused at import."""
    keys = [rule.key for tool in tools for rule in tool.rules]
    if len(keys) != len(set(keys)):
        raise ValueError("tools: a rule key is used twice")
    for tool in tools:
        for rule in tool.rules:
            if rule.tool != tool.key or rule.trigger not in tool.triggers or rule.key not in tool.rule_names:
                raise ValueError(f"tools: rule {rule.key!r} does not fit tool {tool.key!r}")
        if set(tool.texts) - {rule.key for rule in tool.rules}:
            raise ValueError(f"tools: {tool.key} has texts for rules it does not have")


check(ALL)
TOOLS: tuple[str, ...] = tuple(tool.key for tool in ALL)
RULES: tuple[DefaultRule, ...] = tuple(rule for tool in ALL for rule in tool.rules)
TRIGGER_SPECS: dict[str, Trigger] = index(ALL, "triggers")
TOOL_NAMES: dict[str, object] = {tool.key: tool.name for tool in ALL}
RULE_NAMES: dict[str, object] = index(ALL, "rule_names")
TOOL_FACT_NAMES: dict[str, object] = index(ALL, "fact_names")
DEFAULT_TEXTS: dict[str, dict[str, str]] = index(ALL, "texts")
EFFECTS: dict[str, float] = {tool.key: tool.effect for tool in ALL if tool.effect is not None}

__all__ = ["ALL", "DEFAULT_TEXTS", "EFFECTS", "LEAD_TOOLS", "RULES", "RULE_NAMES", "TOOLS", "TOOL_FACT_NAMES",
           "TOOL_NAMES", "TRIGGER_SPECS", "DefaultRule", "ToolSpec", "Trigger", "check", "index"]
