"""Schemathesis against /api/v1/openapi.json: generated valid and invalid requests to every operation get no 5xx,
and every answer (status, content type, body) is one the document describes. On SQLite and PostgreSQL."""
import contextvars
import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.services import api_tokens
from tests.conftest import TODAY, make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Generated requests per operation and generation mode (valid, invalid), after Schemathesis' deterministic
# coverage cases: 5 operations x 2 modes x 25 = 250 per engine, ~40 s for both engines on a loaded machine. Hunt:
# API_FUZZ_EXAMPLES=300 .venv/bin/python -m pytest tests/test_api_schemathesis.py
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def app(database_url):
    """The app with a rate limit that a bounded Schemathesis run cannot reach (test_api checks the limit)."""
    app = make_app(database_url, API_RATE_LIMIT_PER_MINUTE=1_000_000)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run_isolated(func, *args, **kwargs):
    """Call FUNC in a context of its own, so that a request does not share the test's app context and session."""
    return contextvars.Context().run(func, *args, **kwargs)


def test_the_api_answers_as_its_openapi_document_says(app, make):
    club = make.default_club
    manager = make.staff("manager")
    member = make.member(card_code="SCHEMA1", email="anna@example.com")
    make.membership(member)
    expired = make.member(card_code="SCHEMA2")
    make.membership(expired, today=TODAY - timedelta(days=90))
    service = make.service()
    from clubcrm.services import packages

    with unit_of_work():
        packages.grant(manager, member, service, 10, TODAY, "sale")
        token = api_tokens.issue(manager, "schemathesis")
    ids = {"member": member.id, "expired": expired.id, "club": club.id}
    db.session.remove()
    auth = {"Authorization": f"Bearer {token}"}

    schema = run_isolated(schemathesis.openapi.from_wsgi, "/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # (Schemathesis leaves out the document's own path.)
    assert {op.label for op in operations} == {
        "POST /leads", "POST /checkins", "GET /members", "GET /members/{member_id}", "GET /reports/renewals"}

    def call_and_check(case) -> int:
        response = run_isolated(case.call, headers=auth)
        case.validate_response(response, checks=CHECKS, headers=auth)
        return response.status_code

    # Real paths first: a check-in that succeeds and its repeat, a refusal, a lead and its duplicate, a member,
    # a search and the report, each answer checked against the document.
    by_label = {op.label: op for op in operations}
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
        assert call_and_check(by_label[label].Case(**data)) == status, (label, data)

    for operation in operations:
        config = schema.config.generation_for(operation=operation, phase="coverage")
        for case in schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode),
                                               generation_config=config):
            call_and_check(case)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case) -> None:
                call_and_check(case)

            fuzz()
