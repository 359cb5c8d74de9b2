"""The OpenAPI 3.1 document: valid, public, and describing every route of the API."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from idp.api.problems import PROBLEM_TYPES
from tests.api.conftest import MELCCFP_SCOPES, openapi_document


def test_the_document_is_valid_openapi_3_1(client):
    document = openapi_document(client)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://localhost/api/v1"}]


def test_it_is_served_without_a_token_as_json_with_fixed_headers(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "public, max-age=3600"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Set-Cookie" not in answer.headers


def test_every_route_of_the_api_is_documented_with_its_methods(app, client):
    document = openapi_document(client)
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        # Flask's <converter(args):name> is OpenAPI's {name}.
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        path = path.replace("{registration_id}", "{id}")
        routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed


def test_the_token_url_and_every_ministry_scope_are_given(client):
    flow = openapi_document(client)["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flow["clientCredentials"]["tokenUrl"] == "http://localhost/oidc/token"
    scopes = flow["clientCredentials"]["scopes"]
    assert set(MELCCFP_SCOPES) <= set(scopes)
    assert "management:amf:audit" in scopes


def test_every_problem_type_is_in_the_problem_schema(client):
    schema = openapi_document(client)["components"]["schemas"]["Problem"]
    types = set(schema["properties"]["type"]["enum"])
    assert {f"tag:clicsequr.quebec,2026:api:problem:{code}" for code in PROBLEM_TYPES} <= types
