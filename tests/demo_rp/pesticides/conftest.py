"""The pesticide certificate site against a stand-in for the provider.

A citizen's sign-in at the provider is not driven here: :class:`ProviderStandIn` answers, through
``responses``, the provider's discovery document, JWKS, token endpoint and UserInfo, with tokens
signed in the test by a P-256 key (ES256, as the site's registration asks). It checks what the
site sends: PKCE S256 (the verifier matches the challenge of the authorization request) and the
``private_key_jwt`` client assertion, verified with the key the site publishes at its
``jwks_uri``. The ID token's claims can be changed per test (``id_token_changes``) to see the
site refuse a wrong ``nonce``, ``iss``, ``aud``, ``exp``, algorithm or an ``enterprise`` claim.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from authlib.oidc.core.util import create_half_hash
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from requests import PreparedRequest

from demo_rp.pesticides import create_app
from tests.conftest import csrf_token

ISSUER = "https://clicsequr.example"
SITE_URL = "http://localhost:5003"
CLIENT_ID = "pesticides"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ACCESS_TOKEN_LIFETIME_SECONDS = 600

# A citizen as the provider describes them to the MELCCFP (``sub`` is pairwise).
CITIZEN = {
    "sub": "citizen-pairwise-4f2a",
    "name": "Gabrielle Fortin",
    "given_name": "Gabrielle",
    "family_name": "Fortin",
    "email": "gabrielle.fortin@example.com",
    "email_verified": True,
}
OTHER_CITIZEN = {
    "sub": "citizen-pairwise-9b71",
    "name": "Mathieu Pelletier",
    "given_name": "Mathieu",
    "family_name": "Pelletier",
    "email": "mathieu.pelletier@example.com",
    "email_verified": True,
}

_PROVIDER_KEYS: dict[str, Any] = {}


def provider_key() -> ECKey:
    """The stand-in provider's ES256 signing key, made once per run."""
    if "EC" not in _PROVIDER_KEYS:
        key = ECKey.generate_key("P-256", private=True)
        _PROVIDER_KEYS["EC"] = ECKey.import_key(
            key.as_pem(private=True), parameters={"kid": "provider-es256", "use": "sig"}
        )
    found: ECKey = _PROVIDER_KEYS["EC"]
    return found


def provider_rsa_key() -> RSAKey:
    """The provider's RS256 key (for the enterprise services), also published; made once."""
    if "RSA" not in _PROVIDER_KEYS:
        key = RSAKey.generate_key(2048, private=True)
        _PROVIDER_KEYS["RSA"] = RSAKey.import_key(
            key.as_pem(private=True), parameters={"kid": "provider-rs256", "use": "sig"}
        )
    found: RSAKey = _PROVIDER_KEYS["RSA"]
    return found


class SiteClock:
    """The site's clock: the real time, moved forward by the tests."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Authorization:
    """What the site asked for at the authorization endpoint."""

    params: dict[str, str]

    @property
    def state(self) -> str:
        return self.params["state"]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]


@dataclass
class ProviderStandIn:
    """The provider's endpoints the site calls, answered from here (see the module docstring)."""

    site: Flask
    key: ECKey = field(default_factory=provider_key)
    citizen: dict[str, Any] = field(default_factory=lambda: dict(CITIZEN))
    # Changes to the next ID token's claims (None removes a claim) and header.
    id_token_changes: dict[str, Any] = field(default_factory=dict)
    id_token_header: dict[str, Any] = field(default_factory=dict)
    # Extra claims of UserInfo (the next answers).
    userinfo_changes: dict[str, Any] = field(default_factory=dict)
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    authorizations: list[Authorization] = field(default_factory=list)
    codes: dict[str, Authorization] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    refused_refresh: bool = False

    # -- what the provider publishes ------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/oidc/authorize",
            "token_endpoint": f"{ISSUER}/oidc/token",
            "userinfo_endpoint": f"{ISSUER}/oidc/userinfo",
            "end_session_endpoint": f"{ISSUER}/oidc/logout",
            "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        }

    def jwks(self) -> dict[str, Any]:
        """Both keys, as the provider publishes them (it signs for each client with the
        algorithm registered)."""
        published = []
        for key, alg in ((self.key, "ES256"), (provider_rsa_key(), "RS256")):
            public = dict(key.as_dict(private=False))
            public.update({"kid": key.kid, "use": "sig", "alg": alg})
            published.append(public)
        return {"keys": published}

    def install(self, mock: responses.RequestsMock) -> None:
        mock.get(f"{ISSUER}/.well-known/openid-configuration", json=self.metadata())
        mock.get(f"{ISSUER}/.well-known/jwks.json", json=self.jwks())
        mock.add_callback(responses.POST, f"{ISSUER}/oidc/token", callback=self._token)
        mock.add_callback(responses.GET, f"{ISSUER}/oidc/userinfo", callback=self._userinfo)

    # -- tokens ---------------------------------------------------------------------------------

    def sign(self, claims: dict[str, Any], typ: str = "JWT", **header: Any) -> str:
        """Claims (None: left out) signed with ES256 by the provider's key; ``alg="RS256"``
        signs with its RSA key, ``key=`` with another key (a forgery)."""
        alg = header.pop("alg", "ES256")
        own = provider_rsa_key() if alg == "RS256" else self.key
        key = header.pop("key", own)
        full = {"alg": alg, "kid": own.kid, "typ": typ, **header}
        return jwt.encode(full, {k: v for k, v in claims.items() if v is not None}, key)

    def id_token(self, nonce: str, access_token: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now - 5,
            "nonce": nonce,
            "acr": "urn:clicsequr:acr:mfa",
            "amr": ["pwd", "otp"],
            "sid": self.sid,
            "at_hash": create_half_hash(access_token, "ES256").decode(),
            **self.citizen,
        }
        claims.update(self.id_token_changes)
        header = {"alg": "ES256", **self.id_token_header}
        return self.sign(claims, **header)

    def access_token(self) -> str:
        now = int(time.time())
        token = self.sign(
            {
                "iss": ISSUER,
                "aud": CLIENT_ID,
                "client_id": CLIENT_ID,
                "iat": now,
                "exp": now + ACCESS_TOKEN_LIFETIME_SECONDS,
                "jti": secrets.token_urlsafe(16),
                "scope": "openid profile email",
                "sub": self.citizen["sub"],
                "sid": self.sid,
            },
            typ="at+jwt",
        )
        self.access_tokens.add(token)
        return token

    def logout_token(self, **changes: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "sub": self.citizen["sub"],
            "sid": self.sid,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        header = changes.pop("header", {})
        claims.update(changes)
        return self.sign(claims, typ=header.pop("typ", "logout+jwt"), **header)

    # -- the endpoints --------------------------------------------------------------------------

    def _check_client_assertion(self, form: dict[str, str]) -> None:
        """``private_key_jwt`` (RFC 7523, 2.2): signed by the key the site publishes."""
        assert form["client_assertion_type"] == (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
        published = self.site.test_client().get("/.well-known/jwks.json").get_json()
        token = jwt.decode(form["client_assertion"], KeySet.import_key_set(published))
        assert token.header["alg"] == "ES256"
        assert token.header["kid"] == published["keys"][0]["kid"]
        claims = token.claims
        assert claims["iss"] == claims["sub"] == CLIENT_ID
        assert claims["aud"] == f"{ISSUER}/oidc/token"
        assert claims["exp"] - claims["iat"] <= 300
        assert claims["jti"]
        self.assertions.append(claims)

    def _token(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
        self.token_requests.append(form)
        self._check_client_assertion(form)
        if form["grant_type"] == "refresh_token":
            return self._refresh(form)
        authorization = self.codes.pop(form.get("code", ""), None)
        if authorization is None:
            return _json(400, {"error": "invalid_grant"})
        assert form["redirect_uri"] == f"{SITE_URL}/auth/callback"
        challenge = _b64(hashlib.sha256(form["code_verifier"].encode()).digest())
        assert challenge == authorization.params["code_challenge"]  # PKCE S256
        access_token = self.access_token()
        refresh_token = secrets.token_urlsafe(24)
        self.refresh_tokens.add(refresh_token)
        return _json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS,
                "refresh_token": refresh_token,
                "scope": "openid profile email",
                "id_token": self.id_token(authorization.nonce, access_token),
            },
        )

    def _refresh(self, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        if self.refused_refresh or form["refresh_token"] not in self.refresh_tokens:
            return _json(400, {"error": "invalid_grant"})
        self.refresh_tokens.discard(form["refresh_token"])  # rotated at every use
        refresh_token = secrets.token_urlsafe(24)
        self.refresh_tokens.add(refresh_token)
        return _json(
            200,
            {
                "access_token": self.access_token(),
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS,
                "refresh_token": refresh_token,
                "scope": "openid profile email",
            },
        )

    def _userinfo(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        bearer = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        if bearer not in self.access_tokens:
            return _json(401, {"error": "invalid_token"})
        return _json(200, {**self.citizen, **self.userinfo_changes})

    # -- the person's browser at the provider ---------------------------------------------------

    def authorize(self, location: str) -> Authorization:
        """The authorization request the site redirected to, recorded."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/oidc/authorize"
        authorization = Authorization({k: v[0] for k, v in parse_qs(parts.query).items()})
        self.authorizations.append(authorization)
        return authorization

    def callback_path(self, authorization: Authorization, **changes: str) -> str:
        """The site's redirect URI with a fresh code, as the provider sends the person back."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = authorization
        query = {"code": code, "state": authorization.state, "iss": ISSUER, **changes}
        return f"/auth/callback?{urlencode(query)}"


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    return status, headers, json.dumps(body)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def site_clock() -> SiteClock:
    return SiteClock()


@pytest.fixture
def site(tmp_path: Path, site_clock: SiteClock) -> Flask:
    return create_app(
        {
            "PESTICIDES_IDP_ISSUER": ISSUER,
            "PESTICIDES_BASE_URL": SITE_URL,
            "PESTICIDES_INSTANCE_DIR": tmp_path / "pesticides",
            "PESTICIDES_CLIENT_ID": CLIENT_ID,
            "PESTICIDES_CLOCK": site_clock,
            "TESTING": True,
        }
    )


@pytest.fixture
def provider(site: Flask) -> Iterator[ProviderStandIn]:
    stand_in = ProviderStandIn(site)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stand_in.install(mock)
        yield stand_in


@pytest.fixture
def client(site: Flask) -> FlaskClient:
    return site.test_client()


@dataclass
class Visitor:
    """A person's browser at the site, signing in through the stand-in."""

    client: FlaskClient
    provider: ProviderStandIn

    def start(self) -> Authorization:
        response = self.client.get("/auth/connexion")
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.provider.authorize(response.headers["Location"])

    def sign_in(self, **callback_changes: str) -> Any:
        """Through the provider and back: the callback's response."""
        return self.client.get(self.provider.callback_path(self.start(), **callback_changes))

    def auth(self) -> dict[str, Any]:
        with self.client.session_transaction() as session:
            auth: dict[str, Any] = dict(session)["auth"]
        return auth

    def form(self, path: str, data: dict[str, str], page: str | None = None) -> Any:
        """Post ``data`` with the CSRF token of ``page`` (or of ``path``)."""
        html = self.client.get(page or path).get_data(as_text=True)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(html)})


@pytest.fixture
def visitor(client: FlaskClient, provider: ProviderStandIn) -> Visitor:
    return Visitor(client, provider)


@pytest.fixture
def citizen(visitor: Visitor) -> Visitor:
    """Gabrielle Fortin, signed in."""
    response = visitor.sign_in()
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return visitor
