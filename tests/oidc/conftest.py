"""Relying parties registered for the OIDC tests, and a browser that signs in to them.

Registered (``relying_parties`` fixture, one TOML file each, as a ministry would send them):

- ``iqea``: MELCCFP, confidential, ``client_secret_basic``, needs an IQEA right, back-channel
  logout; ``iqea-post``: the same with ``client_secret_post``;
- ``iqea-jwt``: MELCCFP, ``private_key_jwt`` with the key :data:`CLIENT_KEY`, ES256 ID tokens;
- ``iqea-spa``: MELCCFP, public (``none``), PKCE required;
- ``amf-portal``: AMF, ``client_secret_basic``, PS256 ID tokens, back-channel logout;
- ``melccfp-batch``: MELCCFP back-end, ``client_credentials`` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc.jwk import RSAKey

from idp.relying_parties import new_client_secret
from tests.conftest import TEST_PASSWORD, Person, csrf_token
from tests.proxies.conftest import register, second_client, world  # noqa: F401

IQEA_CALLBACK = "https://iqea.example.gouv.qc.ca/auth/callback"
IQEA_LOGOUT = "https://iqea.example.gouv.qc.ca/signed-out"
IQEA_BACKCHANNEL = "https://iqea.example.gouv.qc.ca/backchannel-logout"
AMF_CALLBACK = "https://amf.example.gouv.qc.ca/oidc/callback"
AMF_BACKCHANNEL = "https://amf.example.gouv.qc.ca/backchannel-logout"
SPA_CALLBACK = "http://127.0.0.1:8765/callback"

IQEA_SCOPES = [
    "openid",
    "profile",
    "email",
    "enterprise",
    "offline_access",
    "melccfp.iqea.operator",
    "melccfp.iqea.verifier",
]
AMF_SCOPES = ["openid", "profile", "email", "enterprise", "amf.payments", "amf.disclosures.31_103"]

_CLIENT_KEY: RSAKey | None = None


def client_key() -> RSAKey:
    """The private key of ``iqea-jwt`` (made once per run; RSA generation is slow)."""
    global _CLIENT_KEY
    if _CLIENT_KEY is None:
        _CLIENT_KEY = RSAKey.generate_key(2048, parameters={"kid": "iqea-jwt-1", "use": "sig"})
    return _CLIENT_KEY


@dataclass
class Secrets:
    values: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, client_id: str) -> str:
        return self.values[client_id]


def _toml_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_client(directory: Path, fields: dict[str, Any]) -> None:
    lines = []
    for key, value in fields.items():
        if isinstance(value, dict):
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    (directory / f"{fields['client_id']}.toml").write_text("\n".join(lines) + "\n", "utf-8")


def write_secret_client(directory: Path, client_secrets: Secrets, fields: dict[str, Any]) -> None:
    """A MELCCFP client with ``client_secret_basic`` and a new secret (kept in
    ``client_secrets``), registered for the IQEA callback and scopes unless ``fields`` say
    otherwise."""
    value, digest = new_client_secret()
    client_secrets.values[fields["client_id"]] = value
    write_client(
        directory,
        {
            "kind": "oidc",
            "ministry": "melccfp",
            "redirect_uris": [IQEA_CALLBACK],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": digest,
            "scopes": IQEA_SCOPES,
            **fields,
        },
    )


@pytest.fixture
def client_secrets() -> Secrets:
    return Secrets()


@pytest.fixture
def relying_parties(tmp_path: Path, client_secrets: Secrets) -> Path:
    return write_relying_parties(tmp_path, client_secrets)


def write_relying_parties(tmp_path: Path, client_secrets: Secrets) -> Path:
    """The test world's registrations, in ``tmp_path/relying_parties``."""
    directory = tmp_path / "relying_parties"
    directory.mkdir()

    def secret(client_id: str) -> str:
        value, digest = new_client_secret()
        client_secrets.values[client_id] = value
        return digest

    iqea = {
        "kind": "oidc",
        "client_id": "iqea",
        "ministry": "melccfp",
        "name_fr": "Inventaire québécois des émissions atmosphériques",
        "name_en": "Québec air emissions inventory",
        "article_fr": "l'",
        "the_en": True,
        "redirect_uris": [IQEA_CALLBACK],
        "post_logout_redirect_uris": [IQEA_LOGOUT],
        "backchannel_logout_uri": IQEA_BACKCHANNEL,
        "token_endpoint_auth_method": "client_secret_basic",
        "client_secret_sha256": secret("iqea"),
        "scopes": IQEA_SCOPES,
        "required_rights": ["melccfp.iqea.operator", "melccfp.iqea.verifier"],
    }
    write_client(directory, iqea)
    write_client(
        directory,
        {
            **iqea,
            "client_id": "iqea-post",
            "token_endpoint_auth_method": "client_secret_post",
            "client_secret_sha256": secret("iqea-post"),
            "backchannel_logout_uri": None,
        },
    )
    jwks_path = directory / "iqea-jwt.jwks.json"
    jwks_path.write_text(json.dumps({"keys": [client_key().as_dict(private=False)]}), "utf-8")
    write_client(
        directory,
        {
            **{k: v for k, v in iqea.items() if k != "client_secret_sha256"},
            "client_id": "iqea-jwt",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_file": "iqea-jwt.jwks.json",
            "id_token_signed_response_alg": "ES256",
            "backchannel_logout_uri": None,
        },
    )
    write_client(
        directory,
        {
            **{k: v for k, v in iqea.items() if k != "client_secret_sha256"},
            "client_id": "iqea-spa",
            "redirect_uris": [SPA_CALLBACK],
            "token_endpoint_auth_method": "none",
            "backchannel_logout_uri": None,
        },
    )
    write_client(
        directory,
        {
            "kind": "oidc",
            "client_id": "amf-portal",
            "ministry": "amf",
            "name_fr": "Services en ligne de l'AMF",
            "name_en": "AMF online services",
            "article_fr": "les",
            "name_fr_in_sentence": "services en ligne de l'AMF",
            "redirect_uris": [AMF_CALLBACK],
            "backchannel_logout_uri": AMF_BACKCHANNEL,
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": secret("amf-portal"),
            "id_token_signed_response_alg": "PS256",
            "scopes": AMF_SCOPES,
        },
    )
    write_client(
        directory,
        {
            "kind": "oidc",
            "client_id": "melccfp-batch",
            "ministry": "melccfp",
            "name_fr": "Traitement par lots",
            "name_en": "Batch processing",
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": secret("melccfp-batch"),
            "grant_types": ["client_credentials"],
            "scopes": [],
        },
    )
    # None values are "not set": TOML has no null.
    for path in directory.glob("*.toml"):
        text = path.read_text("utf-8")
        path.write_text(
            "\n".join(line for line in text.splitlines() if not line.endswith("= null")) + "\n",
            "utf-8",
        )
    return directory


@pytest.fixture
def app_config(app_config: dict[str, Any], relying_parties: Path) -> dict[str, Any]:
    app_config["relying_parties_dir"] = relying_parties
    return app_config


# -- PKCE and the browser ---------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


@dataclass
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    nonce: str
    verifier: str
    challenge: str
    extra: dict[str, str]

    @property
    def url(self) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            **self.extra,
        }
        return "/oidc/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def redirect_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Browser:
    """Signs in and goes through the authorize pages the way a person would."""

    def __init__(self, client: Any, auth: Any) -> None:
        self.client = client
        self.auth = auth

    def request(
        self,
        client_id: str = "iqea",
        redirect_uri: str = IQEA_CALLBACK,
        scope: list[str] | None = None,
        **extra: str,
    ) -> AuthorizationRequest:
        verifier, challenge = pkce_pair()
        return AuthorizationRequest(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=" ".join(scope or IQEA_SCOPES),
            state=secrets.token_urlsafe(12),
            nonce=secrets.token_urlsafe(12),
            verifier=verifier,
            challenge=challenge,
            extra=extra,
        )

    def open(self, request: AuthorizationRequest | str) -> Any:
        url = request.url if isinstance(request, AuthorizationRequest) else request
        return self.client.get(url)

    def submit(self, page: Any, action_url: str, **choice: str) -> Any:
        html = page.get_data(as_text=True)
        return self.client.post(action_url, data={**choice, "csrf_token": csrf_token(html)})

    def authorize(
        self,
        person: Person | None,
        request: AuthorizationRequest,
        *,
        consent: bool = True,
        enterprise_id: int | None = None,
    ) -> dict[str, str]:
        """Sign in (if asked), choose, consent; returns the parameters sent to the site."""
        response = self.open(request)
        if response.status_code == 302 and "/connexion" in response.headers["Location"]:
            assert person is not None, "sign-in asked without a person"
            login = response.headers["Location"]
            self.auth.form_post(
                urlsplit(login).path + "?" + urlsplit(login).query,
                {"user_code": person.user_code, "password": person.password},
            )
            done = self.auth.code_step(self.auth.smtp.last_code(person.email))
            assert done.status_code == 302, done.get_data(as_text=True)
            response = self.client.get(done.headers["Location"])
        for _ in range(3):
            if response.status_code == 302:
                break
            html = response.get_data(as_text=True)
            if 'name="enterprise"' in html:
                assert enterprise_id is not None, "the enterprise choice page was shown"
                response = self.submit(response, request.url, enterprise=str(enterprise_id))
            elif 'value="allow"' in html:
                response = self.submit(
                    response, request.url, decision="allow" if consent else "deny"
                )
            else:
                raise AssertionError(f"unexpected page {response.status_code}: {html[:500]}")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
        assert location.startswith(request.redirect_uri + "?"), location
        return redirect_params(location)


@pytest.fixture
def browser(client: Any, auth: Any) -> Browser:
    return Browser(client, auth)


@pytest.fixture
def operator_person(factory: Any, world: Any) -> Person:  # noqa: F811 (the imported fixture)
    """Jean Roy of the emitter, holding an internal proxy with the IQEA operator right."""
    from datetime import date

    from idp.extensions import db
    from idp.proxies.models import ProxyKind
    from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy

    runtime = factory.runtime
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=date(2027, 6, 30),
        description="Déclarations IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
    )
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    return Person(world.user, TEST_PASSWORD)


def exchange(
    client: Any,
    request: AuthorizationRequest,
    code: str,
    secret: str,
    **overrides: str,
) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.verifier,
        **overrides,
    }
    return client.post("/oidc/token", data=data, headers=basic_auth(request.client_id, secret))
