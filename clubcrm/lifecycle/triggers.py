"""Triggers: does a rule fire for a member today, which occurrence, and on which facts. Each trigger lives with
its tool (clubcrm/lifecycle/tools/); this is their index by name, as rules name them."""
from collections.abc import Callable

from clubcrm.lifecycle.firing import Context, Fired
from clubcrm.lifecycle.tools import TRIGGER_SPECS
from clubcrm.models import Rule

TRIGGERS: dict[str, Callable[[Rule, Context], Fired | None]] = {
    name: spec.fire for name, spec in TRIGGER_SPECS.items() if spec.fire is not None}

__all__ = ["TRIGGERS", "Context", "Fired"]
