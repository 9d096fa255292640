"""Lifecycle settings managers change: the contact budget, each tool's switch and holdout share, each
rule's timing, channel, threshold and texts. Services flush; the caller commits."""
import re
import string
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from clubcrm.lifecycle import defaults
from clubcrm.lifecycle.texts import BASIC_PLACEHOLDERS, PLACEHOLDERS
from clubcrm.lifecycle.tools import TRIGGER_SPECS
from clubcrm.models import Club, Rule, Staff, Tool
from clubcrm.models.lifecycle import CHANNELS, FALLBACKS
from clubcrm.services import audit, member_links
from clubcrm.services.settings import whole

BUDGET_MAX = 50
SMS_GAP_MAX = 30
HOLDOUT_MAX = 50  # the table's check constraint says the same
PRIORITY = (1, 999)
DAYS_MAX = 730
WINDOW_MAX = 365
THRESHOLD_MAX = 1000
TEXT_MAX = 480
# The numbers each trigger reads (each tool's module says). A number a trigger does not read is not asked for;
# days and window are still checked when given, threshold and season are then ignored.
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {name: spec.fields for name, spec in TRIGGER_SPECS.items()}
MONTH_DAY = re.compile(r"\d\d-\d\d")


def fields_of(rule: Rule) -> tuple[str, ...]:
    """The timing fields RULE's trigger reads (days and window for a trigger we do not know)."""
    return TRIGGER_FIELDS.get(rule.trigger, ("days", "window_days"))


def placeholders_of(rule: Rule) -> tuple[str, ...]:
    """The placeholders RULE's texts may use, sorted."""
    return tuple(sorted(PLACEHOLDERS.get(rule.key, BASIC_PLACEHOLDERS)))


def as_counted(text: str, club: Club) -> str:
    """TEXT as the rule editor counts its segments: {link} as long as the link it becomes (the masked one has the
    real one's length), or its sentence left out where CLUB's texts carry no links."""
    if member_links.links_on(club):
        return text.replace(member_links.PLACEHOLDER, member_links.masked_link())
    return member_links.without_link_sentence(text)


def club_tools(club: Club) -> list[Tool]:
    """The club's tools in the order managers see them, each with its rules by priority."""
    tools = db.session.scalars(select(Tool).where(Tool.club_id == club.id).options(selectinload(Tool.rules)))
    order = {key: n for n, key in enumerate(defaults.TOOLS)}
    return sorted(tools, key=lambda t: (order.get(t.key, len(order)), t.key))


def tool_of(club: Club, tool_id: int) -> Tool:
    """The club's tool TOOL_ID; another club's or a missing one is not found."""
    tool = db.session.get(Tool, tool_id)
    if tool is None or tool.club_id != club.id:
        raise NotFound("tool_id")
    return tool


def rule_of(club: Club, rule_id: int) -> Rule:
    """The club's rule RULE_ID; another club's or a missing one is not found."""
    rule = db.session.get(Rule, rule_id)
    if rule is None or rule.club_id != club.id:
        raise NotFound("rule_id")
    return rule


def _choice(value, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(field, _l("Choose one of the offered values."))
    return value


def update_budget(staff: Staff, club: Club, budget_min, budget_max, sms_gap_days) -> Club:
    """Set how many contacts a membership gets (at least, at most) and the fewest days between two SMS."""
    budget_min = whole(budget_min, "touch_budget_min", 1, BUDGET_MAX)
    budget_max = whole(budget_max, "touch_budget_max", 1, BUDGET_MAX)
    if budget_min > budget_max:
        raise InvalidInput("touch_budget_min", _l("The minimum cannot exceed the maximum (%(max)s).",
                                                  max=budget_max))
    sms_gap_days = whole(sms_gap_days, "sms_gap_days", 0, SMS_GAP_MAX)
    audit.update(staff, "club", club, {"touch_budget_min": budget_min, "touch_budget_max": budget_max,
                                       "sms_gap_days": sms_gap_days}, club_id=club.id)
    return club


def update_tool(staff: Staff, club: Club, tool_id: int, enabled: bool, holdout_pct) -> Tool:
    """Switch a tool on or off and set the share of memberships held out of it."""
    tool = tool_of(club, tool_id)
    holdout_pct = whole(holdout_pct, "holdout_pct", 0, HOLDOUT_MAX)
    before = {"enabled": tool.enabled, "holdout_pct": tool.holdout_pct}
    tool.enabled, tool.holdout_pct = bool(enabled), holdout_pct
    db.session.flush()
    audit.record(staff, "update", "tool", tool.id, club_id=club.id, before=before,
                 after={"key": tool.key, "enabled": tool.enabled, "holdout_pct": tool.holdout_pct})
    return tool


def _month_day(value, field: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if MONTH_DAY.fullmatch(text):
        try:
            date(2000, int(text[:2]), int(text[3:]))  # a leap year: 02-29 is a day of the year
            return text
        except ValueError:
            pass
    raise InvalidInput(field, _l("Enter a day of the year as MM-DD, such as 04-15."))


def _text(value, field: str, allowed: tuple[str, ...]) -> str:
    """A cleaned text (empty if none) that uses only ALLOWED placeholders, or InvalidInput on FIELD."""
    text = (value or "").replace("\r\n", "\n").strip() if isinstance(value, str) else ""
    if len(text) > TEXT_MAX:
        raise InvalidInput(field, _l("Keep the text to at most %(max)s characters (now %(count)s).",
                                     max=TEXT_MAX, count=len(text)))
    names = ", ".join(f"{{{name}}}" for name in allowed)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(field, _l("A brace { or } is not closed. This text may use: %(names)s.",
                                     names=names)) from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise InvalidInput(field, _l("Unknown placeholder %(written)s. This text may use: %(names)s.",
                                         written=written, names=names))
    return text


def update_rule(staff: Staff, club: Club, rule_id: int, data: dict) -> Rule:
    """Change a rule: on or off, channel and fallback, priority, timing, threshold, campaign window, texts.

    DATA["texts"] maps locales to texts; an empty text removes that locale's text (its members get the
    text in the club's default language), a locale left out keeps its text.
    """
    rule = rule_of(club, rule_id)
    uses = fields_of(rule)
    changes: dict = {
        "enabled": bool(data.get("enabled")),
        "channel": _choice(data.get("channel"), "channel", CHANNELS),
        "fallback": _choice(data.get("fallback"), "fallback", FALLBACKS),
        "priority": whole(data.get("priority"), "priority", *PRIORITY),
    }
    for name, high in (("days", DAYS_MAX), ("window_days", WINDOW_MAX)):
        if name in uses or data.get(name) is not None:
            changes[name] = whole(data.get(name), name, 0, high)
    if "threshold" in uses:
        changes["threshold"] = whole(data.get("threshold"), "threshold", 1, THRESHOLD_MAX)
    if "season_from" in uses:
        changes["season_from"] = _month_day(data.get("season_from"), "season_from")
        changes["season_to"] = _month_day(data.get("season_to"), "season_to")
    texts = dict(rule.texts or {})
    allowed = placeholders_of(rule)
    for locale in SUPPORTED_LOCALES:
        if locale not in (data.get("texts") or {}):
            continue
        text = _text(data["texts"][locale], f"text_{locale}", allowed)
        if text:
            texts[locale] = text
        else:
            texts.pop(locale, None)
    if changes["channel"] == "sms" and not texts.get(club.default_locale):
        language = LOCALE_NAMES.get(club.default_locale, club.default_locale)
        raise InvalidInput(f"text_{club.default_locale}",
                           _l("An SMS rule needs a text in %(language)s.", language=language))
    changes["texts"] = texts
    before = {name: getattr(rule, name) for name in changes}
    for name, value in changes.items():
        setattr(rule, name, value)
    db.session.flush()
    audit.record(staff, "update", "rule", rule.id, club_id=club.id, before=before,
                 after={"key": rule.key, **{name: getattr(rule, name) for name in changes}})
    return rule
