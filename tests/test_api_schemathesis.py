"""Schemathesis against /api/v1/openapi.json with every check (`st run --checks all`): its engine runs the examples,
coverage, fuzzing and stateful phases against the app served over HTTP on 127.0.0.1, and every answer must be one
the document describes: no 5xx, what the document allows is accepted (positive_data_acceptance), what it refuses is
refused (negative_data_rejection), no answer without the token (ignored_auth), 405 with Allow for other methods, a
created lead found at its Location (ensure_resource_availability)... On SQLite and PostgreSQL."""
import contextvars
import os
import threading
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.formats import unregister_string_format
from werkzeug.serving import make_server

from clubcrm import api_schema
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.services import api_tokens, packages
from tests.conftest import TODAY, make_app
from tests.report_snapshots import compute_all

# Generated requests per operation and phase, after Schemathesis' deterministic coverage cases: about 30 s per
# engine on a loaded machine. Hunt with more, and at random: API_FUZZ_EXAMPLES=300 API_FUZZ_RANDOM=1 .venv/bin/python
# -m pytest tests/test_api_schemathesis.py
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
DETERMINISTIC = not os.environ.get("API_FUZZ_RANDOM")
# The `phone` format (a number valid in the club's country, Finland here; empty means none) in the forms people type.
PHONES = st.sampled_from(["", "040 123 4567", "+358 40 765 4321", "0401112223", "00358451234567", "(09) 123 4567",
                          "+358-50-987-6543"])


@pytest.fixture
def app(database_url):
    """The app with a rate limit that a bounded Schemathesis run cannot reach (test_api checks the limit)."""
    app = make_app(database_url, API_RATE_LIMIT_PER_MINUTE=1_000_000)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def served(app):
    """The app served over HTTP on a free port of 127.0.0.1 (a thread of this process); its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=contextvars.Context().run, args=(server.serve_forever,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


# The `email-address` format (what email-validator accepts; empty means none), as clients write it.
EMAILS = st.sampled_from(["", "  ", "anna@example.com", " Anna.Lind@Example.FI ", "irina+gym@example.fi",
                          "jürgen@beispiel.de", "o'brien@example.co.uk"])


@pytest.fixture
def phone_format():
    """Teach Schemathesis the document's `phone` and `email-address` formats, as a client would read their
    descriptions."""
    schemathesis.openapi.format(api_schema.PHONE_FORMAT, PHONES)
    schemathesis.openapi.format(api_schema.EMAIL_FORMAT, EMAILS)
    yield
    unregister_string_format(api_schema.PHONE_FORMAT)
    unregister_string_format(api_schema.EMAIL_FORMAT)


def failures_of(event) -> list[str]:
    """The failed checks of a finished scenario, one line each: check, operation, title, request, answer."""
    lines = []
    recorder = event.recorder
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.failure_info is None:
                continue
            failure = node.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            sent = answer = ""
            if interaction is not None:
                request = interaction.request
                sent = f"{request.method} {request.uri} {(request.body or b'')[:300]!r}"
                if interaction.response is not None:
                    answer = f"{interaction.response.status_code} {interaction.response.content[:300]!r}"
            lines.append(f"{node.name} {recorder.label}: {failure.title}: {failure.message[:300]} | {sent} -> {answer}")
    return lines


@pytest.mark.filterwarnings("ignore:Generating overly large repr")   # Hypothesis' note on a long generated value
def test_the_api_answers_as_its_openapi_document_says_with_every_check(app, make, served, phone_format):
    manager = make.staff("manager")
    member = make.member(card_code="SCHEMA1", email="anna@example.com")
    make.membership(member)
    expired = make.member(card_code="SCHEMA2")
    make.membership(expired, today=TODAY - timedelta(days=90))
    with unit_of_work():
        packages.grant(manager, member, make.service(), 10, TODAY, "sale")
        token = api_tokens.issue(manager, "schemathesis")
    ids = {"member": member.id, "expired": expired.id}
    db.session.remove()
    auth = {"Authorization": f"Bearer {token}"}

    config = SchemathesisConfig.from_dict({
        "headers": auth, "workers": 1,
        "generation": {"max-examples": EXAMPLES, "deterministic": DETERMINISTIC, "database": "none"},
        "checks": {"enabled": True},   # every check, as `st run --checks all`
        "phases": {"enabled": True},
    })
    schema = schemathesis.openapi.from_url(f"{served}/api/v1/openapi.json", config=config)
    # (Schemathesis leaves out the document's own path.)
    assert {result.ok().label for result in schema.get_all_operations()} == {
        "POST /leads", "POST /checkins", "GET /members", "GET /members/{member_id}", "GET /reports/renewals"}

    # Real paths first: a check-in that succeeds and its repeat, a refusal, a lead and its duplicate, a member,
    # a search and the report, each answer checked against the document by every check.
    by_label = {result.ok().label: result.ok() for result in schema.get_all_operations()}
    # The report before the worker computed its figures: 202 and Retry-After, as documented; then computed.
    case = by_label["GET /reports/renewals"].Case(query={"from": "2025-03-11", "to": "2026-03-10"})
    response = case.call(headers=auth)
    case.validate_response(response, headers=auth)
    assert response.status_code == 202 and response.headers["retry-after"] == ["60"], response.text
    compute_all()
    db.session.remove()
    real = [
        ("POST /checkins", {"body": {"card_code": "SCHEMA1"}}, 201),
        ("POST /checkins", {"body": {"member_id": ids["member"]}}, 200),
        ("POST /checkins", {"body": {"member_id": ids["expired"]}}, 403),
        ("POST /leads", {"body": {"name": "Web Lead", "phone": "040 555 0101", "consent": True}}, 201),
        ("POST /leads", {"body": {"name": "Anna again", "email": "ANNA@example.com"}}, 200),
        ("GET /members/{member_id}", {"path_parameters": {"member_id": ids["member"]}}, 200),
        ("GET /members", {"query": {"q": "member"}}, 200),
        ("GET /reports/renewals", {"query": {"from": "2025-03-11", "to": "2026-03-10"}}, 200),
    ]
    for label, data, status in real:
        case = by_label[label].Case(**data)
        response = case.call(headers=auth)
        case.validate_response(response, headers=auth)
        assert response.status_code == status, (label, data, response.text)

    load_all_checks()
    every_check = set(CHECKS.get_all_names())
    ran: set[str] = set()
    found: list[str] = []
    scenarios = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            scenarios += 1
            ran.update(node.name for nodes in event.recorder.checks.values() for node in nodes)
            found += failures_of(event)
        elif isinstance(event, events.NonFatalError):
            found.append(f"error in {event.label}: {event.info.title}: {event.info.message[:300]}")
        elif isinstance(event, events.FatalError):
            found.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            assert event.stop_reason == "completed", event.stop_reason
    assert not found, "\n".join(dict.fromkeys(found))
    assert ran == every_check, every_check - ran
    assert scenarios >= 5
