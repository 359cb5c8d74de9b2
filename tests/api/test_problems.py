"""Every refusal is an RFC 9457 problem, whatever the input: never a page, never a 500."""

from __future__ import annotations

import io
import json
import random

import pytest

from tests.api.conftest import access_token, assert_problem, bearer, openapi_document

DECISION = "/api/v1/ministries/melccfp/registrations/1/decision"
MESSAGES = "/api/v1/ministries/melccfp/enterprises/1140000001/messages"


@pytest.fixture
def token(client, client_secrets):
    return bearer(access_token(client, client_secrets))


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_415(client, token, content_type):
    headers = dict(token)
    if content_type:
        headers["Content-Type"] = content_type
    answer = client.post(DECISION, data="decision=activate", headers=headers)
    assert_problem(answer, 415, "unsupported_media_type", openapi_document(client))


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"",
        b'{"decision": "activate",}',
        b"\xff\xfe{}",
        # Nested past the json module's recursion limit, within the size limit.
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a": ' * 5_000 + b"1" + b"}" * 5_000,
    ],
)
def test_a_body_that_does_not_parse_is_400(client, token, raw):
    answer = client.post(DECISION, data=raw, content_type="application/json", headers=token)
    assert_problem(answer, 400, "malformed_request", openapi_document(client))


@pytest.mark.parametrize("value", [[], "activate", 1, None, True, "NaN"])
def test_json_that_is_not_an_object_is_422(client, token, value):
    raw = value if value == "NaN" else json.dumps(value)
    answer = client.post(DECISION, data=raw, content_type="application/json", headers=token)
    assert_problem(answer, 422, "invalid_body")


def test_a_huge_body_is_413_before_it_is_read(client, token):
    huge = json.dumps({"decision": "refuse", "reason": "x" * 70_000})
    for path in (DECISION, MESSAGES):
        answer = client.post(path, data=huge, content_type="application/json", headers=token)
        assert_problem(answer, 413, "payload_too_large", openapi_document(client))


def test_a_chunked_body_past_the_limit_is_413(client, token):
    body = json.dumps({"decision": "refuse", "reason": "x" * 70_000}).encode()
    answer = client.post(
        DECISION,
        input_stream=io.BytesIO(body),
        headers={**token, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # What a WSGI server says of a chunked body it hands on (gunicorn does).
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(answer, 413, "payload_too_large")


def test_an_unknown_api_path_or_method_is_a_problem_and_other_pages_stay_pages(client, token):
    assert_problem(client.get("/api/v1/nothing-here", headers=token), 404, "not_found")
    assert_problem(client.get("/api/v1/ministries/melccfp", headers=token), 404, "not_found")
    answer = client.get(DECISION, headers=token)
    assert_problem(answer, 405, "method_not_allowed", openapi_document(client))
    assert "POST" in answer.headers["Allow"]
    page = client.get("/page-that-does-not-exist")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ministries/melccfp/registrations?status=%00",
        "/api/v1/ministries/melccfp/audit-events?since=%00",
        "/api/v1/ministries/melccfp/registrations/99999999999999999999/decision",
        "/api/v1/ministries/" + "m" * 33 + "/registrations",
        "/api/v1/ministries/mel%00ccfp/registrations",
    ],
)
def test_hostile_paths_and_parameters_are_4xx_problems(client, token, path):
    answer = client.open(path, method="POST" if path.endswith("decision") else "GET", headers=token)
    assert 400 <= answer.status_code < 500
    assert answer.mimetype == "application/problem+json"


def test_random_bodies_never_give_a_500(client, token, runtime, factory):
    """Seeded random JSON and bytes at both writing routes: a 4xx problem each time."""
    rng = random.Random(19)
    values = [None, True, 0, -1, 2**70, 1.5, "", "x" * 300, "\u0000", "\ud800", [], {}, {"fr": 1}]
    for _ in range(60):
        body = {
            rng.choice(["decision", "reason", "subject", "body", "fr", "en", "?"]): rng.choice(
                values
            )
            for _ in range(rng.randint(0, 4))
        }
        for path in (DECISION, MESSAGES):
            answer = client.post(path, json=body, headers=token)
            assert 400 <= answer.status_code < 500, (body, answer.status_code)
            assert answer.mimetype == "application/problem+json"
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        answer = client.post(DECISION, data=raw, content_type="application/json", headers=token)
        assert 400 <= answer.status_code < 500


def test_a_database_that_does_not_answer_is_503_with_a_delay(app_config, client, token, clock):
    """The same provider on a database nobody listens on: a problem to retry, not a 500."""
    from idp import create_app

    broken = create_app(
        {**app_config, "database_url": "postgresql://nobody@127.0.0.1:1/none"}, clock=clock
    )
    answer = broken.test_client().get("/api/v1/ministries/melccfp/registrations", headers=token)
    assert_problem(answer, 503, "unavailable")
    assert answer.headers["Retry-After"] == "5"


def test_a_large_form_body_is_never_parsed_only_refused(client, token):
    """The API reads JSON only: a form body, however large, is a 415 before anything reads it."""
    answer = client.post(
        "/api/v1/ministries/melccfp/registrations/1/decision",
        data={"decision": "x" * 2_000_000},
        headers=token,
    )
    assert_problem(answer, 415, "unsupported_media_type")
