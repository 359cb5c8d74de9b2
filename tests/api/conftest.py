"""The Management API's world: the OIDC tests' relying parties plus ministry back-ends with
management scopes, a token helper, and the OpenAPI document's schemas to check answers by.

Registered besides tests/oidc/conftest.py's clients:

- ``melccfp-manager``: MELCCFP back-end, ``client_secret_basic``, every MELCCFP management scope;
- ``melccfp-jwt-manager``: the same with ``private_key_jwt`` (the key of ``iqea-jwt``);
- ``amf-manager``: AMF back-end with the AMF management scopes.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from jsonschema import Draft202012Validator, FormatChecker

from idp.accounts.models import Account
from idp.extensions import db, limiter
from idp.ministries.services import submit_registration
from tests.oidc.conftest import (  # noqa: F401 (fixtures, used by name)
    Secrets,
    basic_auth,
    browser,
    client_key,
    client_secrets,
    operator_person,
    write_client,
    write_relying_parties,
)
from tests.proxies.conftest import ANSWERS, world  # noqa: F401 (a fixture, used by name)

TOKEN_PATH = "/oidc/token"
MELCCFP_SCOPES = [
    "management:melccfp:registrations",
    "management:melccfp:mailbox",
    "management:melccfp:audit",
]
AMF_SCOPES = ["management:amf:registrations", "management:amf:mailbox", "management:amf:audit"]


@pytest.fixture
def relying_parties(tmp_path: Path, client_secrets: Secrets) -> Path:  # noqa: F811
    directory = write_relying_parties(tmp_path, client_secrets)
    manager = {
        "kind": "oidc",
        "ministry": "melccfp",
        "name_fr": "Gestion des inscriptions",
        "name_en": "Registration management",
        "grant_types": ["client_credentials"],
        "scopes": [],
    }
    for client_id, ministry, scopes in (
        ("melccfp-manager", "melccfp", MELCCFP_SCOPES),
        ("amf-manager", "amf", AMF_SCOPES),
    ):
        write_client(
            directory,
            {
                **manager,
                "client_id": client_id,
                "ministry": ministry,
                "token_endpoint_auth_method": "client_secret_basic",
                "client_secret_sha256": _secret(client_secrets, client_id),
                "management_scopes": scopes,
            },
        )
    write_client(
        directory,
        {
            **manager,
            "client_id": "melccfp-jwt-manager",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_file": "iqea-jwt.jwks.json",
            "management_scopes": MELCCFP_SCOPES,
        },
    )
    return directory


def _secret(secrets: Secrets, client_id: str) -> str:
    from idp.relying_parties import new_client_secret

    value, digest = new_client_secret()
    secrets.values[client_id] = value
    return digest


@pytest.fixture
def app_config(app_config: dict[str, Any], relying_parties: Path) -> dict[str, Any]:
    app_config["relying_parties_dir"] = relying_parties
    return app_config


@pytest.fixture(autouse=True)
def _fresh_limits(app: Any) -> None:
    """Counts per client id: on a shared Redis, an earlier test's requests would count too."""
    limiter.reset()


def token_response(
    client: Any, secrets: Secrets, client_id: str = "melccfp-manager", scope: str = ""
) -> Any:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return client.post(TOKEN_PATH, data=data, headers=basic_auth(client_id, secrets[client_id]))


def access_token(
    client: Any,
    secrets: Secrets,
    client_id: str = "melccfp-manager",
    scope: str | None = None,
) -> str:
    """A back-end's token; every scope of its registration unless ``scope`` says less."""
    if scope is None:
        scope = " ".join(AMF_SCOPES if client_id.startswith("amf") else MELCCFP_SCOPES)
    answer = token_response(client, secrets, client_id, scope)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["access_token"])


def jwt_manager_token(client: Any, clock: Any, scope: str) -> str:
    """``melccfp-jwt-manager``'s token, its client authenticated by a signed assertion."""
    now = int(clock().timestamp())
    assertion = jwt.encode(
        {"alg": "RS256", "kid": client_key().kid},
        {
            "iss": "melccfp-jwt-manager",
            "sub": "melccfp-jwt-manager",
            "aud": "http://localhost/oidc/token",
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 60,
        },
        client_key(),
    )
    answer = client.post(
        TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pending_registration(runtime: Any, esm: Account, ministry: str = "melccfp") -> Any:
    """The ESM's enterprise asks ``ministry`` for its services (committed, pending)."""
    registration = submit_registration(
        db.session,
        runtime,
        esm,
        enterprise_id=esm.enterprise_id,
        ministry_key=ministry,
        answers=ANSWERS[ministry],
    )
    db.session.commit()
    return registration


# -- the document's schemas ---------------------------------------------------------------------


def openapi_document(client: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return dict(answer.get_json())


def assert_matches(document: dict[str, Any], schema: str, instance: Any) -> None:
    """The instance follows ``#/components/schemas/<schema>`` of the document."""
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]},
        format_checker=FormatChecker(),
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def assert_problem(
    response: Any, status: int, code: str, document: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An RFC 9457 answer of this status and problem type (and the document's schema)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["type"] == f"tag:clicsequr.quebec,2026:api:problem:{code}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if document is not None:
        assert_matches(document, "Problem", body)
    return dict(body)
