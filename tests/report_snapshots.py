"""Have the worker compute the reports' stored figures, as its report_refresh job does every minute: the report
pages and the API read only those (a test that opens them with figures calls this first)."""
from datetime import date

from clubcrm import clock, worker
from clubcrm.db import unit_of_work
from clubcrm.reports import refresh, tool_tables
from clubcrm.reports.scope import Scope


def compute_all(force: bool = True) -> str:
    """Run the worker's report_refresh job and commit; FORCE: ask for every offered scope first (data changed)."""
    with unit_of_work():
        if force:
            for club_ids in refresh.offered_scopes():
                refresh.request(club_ids, clock.utcnow())
        return worker.report_refresh()


def until_computed(get, url: str, **kw):
    """GET a report page, CSV or API answer at URL; if part of it was being computed (a period's per-tool table,
    asked for by that very request), run the worker's job as it would within a minute, and get it again."""
    def fetch():
        return get(url, **kw)

    response = fetch()
    if response.status_code == 202 or b"data-tools-computing" in response.data \
            or b"data-report-computing" in response.data:
        compute_all(force=False)
        response = fetch()
    return response


def tools_ready(club_ids: tuple[int, ...], start: str, end: str) -> None:
    """Have the worker compute the per-tool table of CLUB_IDS for START..END (ISO dates), as a page would ask it."""
    stored = refresh.stored(club_ids)
    with unit_of_work():
        tool_tables.ask(Scope(club_ids, date.fromisoformat(start), date.fromisoformat(end), stored.as_of), stored,
                        clock.utcnow())
    compute_all(force=False)
