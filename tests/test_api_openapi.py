# ruff: noqa: F811 -- fixtures from tests.api_support are imported, then used as arguments
"""The OpenAPI document: valid, complete, rendered for people from vendored assets, and true:
a schemathesis run against it in-process finds no server error and no answer off the document."""
import itertools
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from models import Pin, Ticket, db
from services import accounts, documents, tickets
from tests.api_support import people  # noqa: F401

EXAMPLES = 40  # per operation: enough to find a 500, short enough for every CI run
DESIGN_ROUTES = {
    ("get", "/api/v1/tickets"), ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{number}"), ("patch", "/api/v1/tickets/{number}"),
    ("post", "/api/v1/tickets/{number}/comments"), ("post", "/api/v1/tickets/{number}/escalate"),
    ("post", "/api/v1/tickets/{number}/take"), ("post", "/api/v1/tickets/{number}/link"),
    ("delete", "/api/v1/tickets/{number}/link"), ("get", "/api/v1/me"),
    ("get", "/api/v1/documents/sla"), ("get", "/api/v1/documents/service-catalog"),
}


def test_the_document_is_valid_openapi_with_every_route_of_the_design(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    routes = {(method, path) for path, item in document["paths"].items()
              for method in item if method != "parameters"}
    assert routes == DESIGN_ROUTES
    ticket = document["components"]["schemas"]["Ticket"]["properties"]
    assert set(ticket) >= {"number", "title", "description", "type", "status", "impact",
                           "urgency", "priority", "level", "assignee", "customer", "created_at",
                           "updated_at", "parent"}


def test_the_rendering_for_people_loads_only_vendored_assets(app, client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    html = response.get_data(as_text=True)
    assert 'src="/static/vendor/redoc/redoc.standalone.js"' in html and "//" not in html.split(
        "<body>")[1]
    assert (Path(app.static_folder) / "vendor/redoc/redoc.standalone.js").stat().st_size > 100_000


@pytest.fixture
def next_caller(people):
    """Headers of a customer, the assigned supporter and an admin in turn; tickets to act on:
    #1..#3 assigned (#1 with an internal note), #4 waiting in the queue (to take), #5 another
    customer's (a parent to link to); and the pinned documents."""
    anna, admin = people["owner"], people["admin"]
    for title in ("Printer", "Screen", "Network"):
        tickets.submit(anna, title, "It is broken.")
    level_one = [people["l1"], people["l1b"]]
    for supporter in level_one:
        supporter.away = True
    tickets.submit(anna, "Queued", "Nobody was in.")
    for supporter in level_one:
        supporter.away = False
    tickets.submit(people["other"], "All printers", "Down everywhere.")
    db.session.commit()
    tickets.add_comment(admin, db.session.get(Ticket, 1), "Internal", internal=True)
    for pin, title in ((Pin.SLA, "SLA"), (Pin.CATALOG, "Service Catalog")):
        documents.pin(admin, documents.save(admin, None, title, f"# {title}"), pin)
    headers = [{"Authorization": f"Bearer {accounts.create_token(user, 'schemathesis')}"}
               for user in (anna, people["l1"], admin)]
    db.session.commit()
    return itertools.cycle(headers).__next__


@pytest.mark.slow
@pytest.mark.parametrize("method, path", sorted(DESIGN_ROUTES))
def test_generated_requests_get_no_server_error_and_answers_match_the_document(
        app, next_caller, method, path):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    # Valid requests reach the rules; invalid ones probe the refusals.
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        if isinstance((case.path_parameters or {}).get("number"), int):
            # Mostly tickets that exist (#1..#5), sometimes one that does not (#0).
            case.path_parameters["number"] %= 6
        if isinstance(case.body, dict) and type(case.body.get("parent")) is int:
            case.body["parent"] %= 6
        response = case.call(headers=next_caller())
        case.validate_response(response, checks=[
            not_a_server_error, response_schema_conformance, content_type_conformance])

    check()
