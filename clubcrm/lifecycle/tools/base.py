"""What a lifecycle tool is made of. Each tool is one module of this package (registered in tools/__init__.py):
its default rules, the triggers they fire on (with the numbers a manager sets for each and the help shown beside
them), the names people read for the tool, its rules and the facts its triggers record, its rules' default SMS
texts in every language, and the effect the simulator gives it."""
from collections.abc import Callable
from dataclasses import dataclass, field

# The stages a rule plays in (comma-separated, as Rule.stages stores them).
EARLY = "adaptation"
IN_CYCLE = "adaptation,active,pre_renewal"
IN_CYCLE_OR_LAPSED = "adaptation,active,pre_renewal,lapsed"
# A lead tool's rules play in a lead's cycle (first contact to first sale) only.
LEAD = "lead"


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


@dataclass(frozen=True)
class Trigger:
    """FIRE(rule, context) says whether a rule fires for a member today (None: fired outside the planner, as a
    member's reply is); FIELDS are the rule's numbers it reads (the rule form asks for these only); HELP says what
    they mean."""

    fire: Callable | None
    fields: tuple[str, ...]
    help: object


@dataclass(frozen=True)
class ToolSpec:
    key: str
    name: object                                   # a lazy string: the tool's name in the reader's language
    effect: float | None                           # the simulator's mean effect on renewals (points); None: none
    rules: tuple[DefaultRule, ...]
    rule_names: dict[str, object]
    triggers: dict[str, Trigger]
    fact_names: dict[str, object] = field(default_factory=dict)     # the facts its triggers record, named
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # rule key → locale → default SMS text
