"""Each lifecycle tool has one home (clubcrm/lifecycle/tools/<tool>.py) and the rest of the code reads the tools
through the registry: a tool module that is not registered, a rule that does not fit its tool, or a name defined by
two tools is caught."""
import pkgutil
from dataclasses import replace

import pytest

from clubcrm.lifecycle import tools
from clubcrm.lifecycle.tools import ALL, check, index
from clubcrm.lifecycle.tools import silence as silence_tool


def test_every_tool_module_is_registered_once_in_the_order_managers_see():
    modules = {m.name for m in pkgutil.iter_modules(tools.__path__)} - {"base"}
    assert sorted(t.key for t in ALL) == sorted(modules)
    assert tools.TOOLS[0] == "welcome" and tools.TOOLS[-1] == "reply"


def test_the_indexes_hold_every_tools_parts():
    for tool in ALL:
        assert tools.TOOL_NAMES[tool.key] is tool.name
        for rule in tool.rules:
            assert rule in tools.RULES and rule.key in tools.RULE_NAMES
            assert tools.TRIGGER_SPECS[rule.trigger] is tool.triggers[rule.trigger]
        assert set(tool.texts) <= set(tools.DEFAULT_TEXTS)
    assert set(tools.EFFECTS) == {t.key for t in ALL} - {"reply"}   # replies are staff tasks, not simulated


def test_a_rule_that_does_not_fit_its_tool_is_refused():
    tool = silence_tool.TOOL
    wrong_trigger = replace(tool, rules=(replace(tool.rules[0], trigger="birthday"),))
    wrong_tool = replace(tool, rules=(replace(tool.rules[0], tool="welcome"),))
    unnamed = replace(tool, rule_names={})
    stray_text = replace(tool, texts={**tool.texts, "birthday": {"en": "Hi"}})
    for bad in (wrong_trigger, wrong_tool, unnamed, stray_text):
        with pytest.raises(ValueError, match="tools:"):
            check((bad,))
    with pytest.raises(ValueError, match="used twice"):
        check((tool, tool))
    check((tool,))


def test_a_name_two_tools_define_is_refused():
    tool = silence_tool.TOOL
    with pytest.raises(ValueError, match="defined twice"):
        index((tool, replace(tool, key="other")), "fact_names")
