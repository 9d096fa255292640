"""The JSON API's renewals report carries the page's verdict lines: a `programme` object first and a row per tool,
each with the verdict, the interval it reads, the time to a verdict, the held-out share and its alarm, the
break-even and the cost per extra renewal; the OpenAPI document describes every field and the answer fits it."""
import jsonschema_rs

from clubcrm import api_schema
from clubcrm.models import PROGRAMME
from tests import verdict_data
from tests.report_snapshots import compute_all, until_computed
from tests.test_api import bearer, issue
from tests.test_renewals_page import consistent

NEW_FIELDS = {"verdict", "low", "high", "months_to_verdict", "held_share", "srm_alarm", "break_even",
              "cost_per_extra_renewal", "cost_low", "cost_high"}
KEPT_COUNTS = {"assigned", "assigned_rate", "held", "held_rate", "naive_rate", "holdout_pct", "sms_sent",
               "sms_delivered", "sms_opened", "segments", "cost_minor", "calls", "replies", "bookings"}


def answer_schema() -> dict:
    """RenewalsAnswer with the document's components, as a JSON Schema validator reads it."""
    document = api_schema.document()
    return {"$defs": document["components"]["schemas"],
            **_rebased(document["components"]["schemas"]["RenewalsAnswer"])}


def _rebased(node):
    if isinstance(node, dict):
        return {k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else _rebased(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rebased(v) for v in node]
    return node


def test_the_openapi_document_describes_the_new_fields():
    schemas = api_schema.document()["components"]["schemas"]
    row = schemas["ToolRow"]["properties"]
    assert NEW_FIELDS | KEPT_COUNTS <= set(row) and "more_needed" not in row
    assert set(api_schema.VERDICTS) >= {"helps", "hurts", "no_effect", "no_evidence", "not_measured", "no_holdout"}
    assert all(row[name].get("description") for name in NEW_FIELDS - {"verdict"} | {"verdict"})
    answer = schemas["RenewalsAnswer"]
    assert answer["properties"]["programme"]["$ref"] == "#/components/schemas/ToolRow"
    assert {"programme", "tools", "family"} <= set(answer["required"])


def test_the_api_gives_the_page_s_lines_with_the_programme_first(web, make):
    verdict_data.build(make)
    compute_all()   # the API reads the renewal figures the worker stored
    manager = make.staff("manager")
    since, until = verdict_data.PERIOD
    report = until_computed(web.get, f"/api/v1/reports/renewals?from={since}&to={until}",
                            headers=bearer(issue(manager)))
    assert report.status_code == 200, report.json
    body = report.json
    jsonschema_rs.validator_for(answer_schema()).validate(body)
    programme, tools = body["programme"], body["tools"]
    assert programme["key"] == PROGRAMME and set(programme) == set(tools[0])
    assert "more_needed" not in programme and NEW_FIELDS <= set(programme)
    assert body["family"] == 14
    assert programme["verdict"] == "helps" and programme["low"] > 0
    by_key = {row["key"]: row for row in tools}
    for row in [programme, *tools]:
        if row["low"] is not None:
            assert consistent(row["verdict"], str(row["low"]), str(row["high"])), row
    silence = by_key["silence"]
    assert (silence["assigned"], silence["assigned_renewed"], silence["held"], silence["held_renewed"]) == (
        300, 240, 40, 12)
    assert silence["months_to_verdict"] == 0 and silence["srm_alarm"] is False
    # Its 60 calls of 10 minutes at 20.00 an hour: money in whole cents, with its range.
    assert isinstance(silence["cost_per_extra_renewal"], int)
    assert silence["cost_low"] <= silence["cost_per_extra_renewal"] <= silence["cost_high"]
    assert silence["break_even"] > 0 and silence["calls"] == 60   # calls with a conversation in the period
    assert by_key["welcome"]["srm_alarm"] is True
    assert by_key["welcome"]["held_share"] == 0.5 and by_key["welcome"]["expected_share"] == 0.1
    assert by_key["birthday"]["verdict"] == "not_measured" and by_key["birthday"]["cost_per_extra_renewal"] is None
    # The same lines as the page shows.
    login = make.staff("manager")
    web.post("/login", data={"email": login.email, "password": "secret-pass"})
    page = until_computed(web.get, f"/reports/renewals?{verdict_data.QUERY}")
    shown = [(f["key"], f["verdict"], f["low"], f["high"]) for f in verdict_data.page_lines(page.text)]
    assert shown[0][0] == PROGRAMME
    assert [(r["key"], r["verdict"]) for r in [programme, *tools]] == [(k, v) for k, v, _lo, _hi in shown]
