"""IDP_API_CLIENT_LIMIT: requests counted per client, whatever address they come from."""

from __future__ import annotations

import pytest

from tests.api.conftest import access_token, assert_problem, bearer, openapi_document

REGISTRATIONS = "/api/v1/ministries/melccfp/registrations"


@pytest.fixture
def app_config(app_config):
    app_config["api_client_limit"] = "3/minute"
    return app_config


def test_past_its_limit_a_client_gets_429_and_another_client_goes_on(client, client_secrets):
    token = bearer(access_token(client, client_secrets))
    assert {client.get(REGISTRATIONS, headers=token).status_code for _ in range(3)} == {200}
    answer = client.get(REGISTRATIONS, headers=token)
    assert_problem(answer, 429, "rate_limited", openapi_document(client))
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    # Per client, not per address: the other ministry's back-end, from the same address, goes on.
    amf = bearer(access_token(client, client_secrets, "amf-manager"))
    assert client.get("/api/v1/ministries/amf/registrations", headers=amf).status_code == 200


def test_a_limit_that_does_not_parse_stops_the_start():
    from pydantic import ValidationError

    from idp.config import load_settings

    with pytest.raises(ValidationError, match="api_client_limit"):
        load_settings(api_client_limit="often")
