"""The protocol steps the production tests repeat: an authorization code for a signed-in person,
the token requests of a relying party's back-end, a client assertion, a signed AuthnRequest."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt

from tests.oidc.conftest import client_key
from tests.production.conftest import RP_CALLBACK, SAML_SP, Person
from tests.production.httpclient import ISSUER, Browser, Connection, Reply, basic_auth, query_params
from tests.saml.test_attacks import authn_request, sign_xml

TOKEN_PATH = "/oidc/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class IssuedCode:
    code: str
    verifier: str
    browser: Browser


def authorization_url(client_id: str, challenge: str, scope: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": RP_CALLBACK,
        "scope": scope,
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "/oidc/authorize?" + urlencode(params)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_code(
    browser: Browser,
    person: Person,
    smtp: Any,
    client_id: str = "prod-rp",
    scope: str = "openid profile email enterprise offline_access",
) -> IssuedCode:
    """Sign ``person`` in through the authorization endpoint and consent: a fresh code."""
    verifier, challenge = pkce_pair()
    callback = browser.authorize(
        authorization_url(client_id, challenge, scope),
        person.user_code,
        person.password,
        lambda: smtp.last_code(person.email),
    )
    assert callback.startswith(RP_CALLBACK + "?"), callback
    params = query_params(callback)
    assert "code" in params, callback
    return IssuedCode(params["code"], verifier, browser)


def exchange(connection: Connection, client_id: str, secret: str, issued: IssuedCode) -> Reply:
    return connection.request(
        "POST",
        TOKEN_PATH,
        form={
            "grant_type": "authorization_code",
            "code": issued.code,
            "redirect_uri": RP_CALLBACK,
            "code_verifier": issued.verifier,
        },
        headers=basic_auth(client_id, secret),
    )


def refresh(connection: Connection, client_id: str, secret: str, refresh_token: str) -> Reply:
    return connection.request(
        "POST",
        TOKEN_PATH,
        form={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=basic_auth(client_id, secret),
    )


def client_credentials(connection: Connection, client_id: str, secret: str) -> Reply:
    return connection.request(
        "POST",
        TOKEN_PATH,
        form={"grant_type": "client_credentials"},
        headers=basic_auth(client_id, secret),
    )


def client_assertion(client_id: str = "prod-jwt", jti: str | None = None) -> str:
    """A ``private_key_jwt`` assertion for the token endpoint, valid one minute."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{ISSUER}{TOKEN_PATH}",
        "iat": now,
        "exp": now + 60,
        "jti": jti or secrets.token_urlsafe(16),
    }
    key = client_key()
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def with_assertion(assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def signed_authn_request(sp_dir: Path, request_id: str) -> str:
    """A signed AuthnRequest of the test SP for the HTTP-POST binding (base64)."""
    xml = authn_request(SAML_SP, ID=request_id, Destination=f"{ISSUER}/saml/sso")
    keys = ((sp_dir / "sp.key").read_bytes(), (sp_dir / "sp.crt").read_bytes())
    return base64.b64encode(sign_xml(xml, keys).encode()).decode("ascii")
