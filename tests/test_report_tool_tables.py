"""The per-tool table does not add up over days, so the worker stores it whole per scope, period and plan
(clubcrm/reports/tool_tables.py): a request never computes it; a period asked for the first time says "being
computed" and the worker's next run fills it in, equal to the direct computation."""
from datetime import date

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.reports import refresh, tool_tables
from clubcrm.reports.scope import Scope, period
from clubcrm.reports.tools import tool_report
from tests import verdict_data
from tests.report_snapshots import compute_all
from tests.statements import statements


def tool_queries(seen: list[str]) -> list[str]:
    """The statements that read the assignment log or the touchpoints, but the nav's capped count of open tasks."""
    return [sql for sql in seen if ("assignment" in sql or "touchpoint" in sql) and "count(*)" not in sql]


def test_a_period_asked_for_the_first_time_is_computed_by_the_worker_not_the_request(web, login_as, make):
    verdict_data.build(make)
    login_as("manager")
    compute_all()
    url = f"/reports/renewals?{verdict_data.QUERY}"
    with statements() as seen:
        waiting = web.get(url)
    assert waiting.status_code == 200 and "data-tools-computing" in waiting.text
    assert "Renewal rate" in waiting.text   # the stored renewal figures are shown meanwhile
    assert not tool_queries(seen), tool_queries(seen)
    assert "being computed" in web.get(f"/reports/renewals/tools.csv?{verdict_data.QUERY}").text
    assert "tool tables" in compute_all(force=False)
    with statements() as seen:
        ready = web.get(url)
    assert "data-tools-computing" not in ready.text and 'class="v-plot"' in ready.text
    assert not tool_queries(seen), tool_queries(seen)
    assert len(verdict_data.page_lines(ready.text)) > 1


def test_the_stored_table_equals_the_direct_computation_and_is_renewed_with_the_figures(make):
    verdict_data.build(make)
    club_id = make.default_club.id
    compute_all()
    stored = refresh.stored((club_id,))
    start, end = (date.fromisoformat(d) for d in verdict_data.PERIOD)
    scope = Scope((club_id,), start, end, stored.as_of)
    assert tool_tables.stored(scope, stored) is None
    with unit_of_work():
        tool_tables.ask(scope, stored, clock.utcnow())
        tool_tables.ask(scope, stored, clock.utcnow())   # asked twice (two managers): one row
    assert len(tool_tables.due()) == 1
    compute_all(force=False)
    stored = refresh.stored((club_id,))
    assert tool_tables.stored(scope, stored) == tool_report(scope)
    # The figures renewed (the nightly run): this period's table goes, the default period's is computed anew.
    compute_all()
    stored = refresh.stored((club_id,))
    assert tool_tables.stored(scope, stored) is None and not tool_tables.due()
    default = Scope((club_id,), *period(None, None, stored.as_of), stored.as_of)
    assert tool_tables.stored(default, stored) == tool_report(default)
