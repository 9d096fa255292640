"""The lifecycle engine: stages, set-based facts, rules with defaults, the planner and one pass (engine.run)."""
