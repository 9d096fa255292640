"""Have the worker compute the reports' stored figures, as its report_refresh job does every minute: the report
pages and the API read only those (a test that opens them with figures calls this first)."""
from clubcrm import clock, worker
from clubcrm.db import unit_of_work
from clubcrm.reports import refresh


def compute_all(force: bool = True) -> str:
    """Run the worker's report_refresh job and commit; FORCE: ask for every offered scope first (data changed)."""
    with unit_of_work():
        if force:
            for club_ids in refresh.offered_scopes():
                refresh.request(club_ids, clock.utcnow())
        return worker.report_refresh()
