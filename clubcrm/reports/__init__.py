"""Managers' reports: set-based SQL aggregates over one club or a chain, and the holdout statistics."""
