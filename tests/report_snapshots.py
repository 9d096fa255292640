"""Have the worker compute the reports' stored figures, as its report_refresh job does every minute: the KPI page
reads only those (a test that opens it with figures calls this first)."""
from clubcrm import worker
from clubcrm.db import unit_of_work


def compute_all() -> str:
    """Recompute every due scope (every club and the chain, the first time) and commit."""
    with unit_of_work():
        return worker.report_refresh()
