"""The whole code flow driven by independent client libraries against the provider over HTTP.

The provider runs on a real loopback server whose issuer is its own URL; a ``requests`` session
plays the person's browser (:class:`tests.oidc.live_server.HttpBrowser`). The relying parties
are not this project's code:

- authlib's ``OAuth2Session`` (Python), with ``client_secret_basic``, ``private_key_jwt`` and as a
  public client; the ID token is verified here with joserfc against the published JWKS and its
  claims with authlib's ``CodeIDToken``;
- pyoidc (``oic.oic.Client``, Python), with ``private_key_jwt``, which verifies the ID token
  itself;
- openid-client (Node), which verifies the ID token itself, with a plain or a pushed (RFC 9126)
  authorization request: ``tests/oidc/node/rp.mjs``, whose dependencies ``python3 dev.py test``
  installs (``npm ci --prefix tests/oidc/node``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from oic import rndstr
from oic.oic import Client as PyoidcClient
from oic.oic.message import (
    AccessTokenRequest,
    AccessTokenResponse,
    AuthorizationResponse,
    RegistrationResponse,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from oic.utils.authn.client import PrivateKeyJWT as PyoidcPrivateKeyJWT
from oic.utils.keyio import KeyBundle
from oic.utils.settings import OicClientSettings

from tests.conftest import Person, SmtpCapture
from tests.oidc.conftest import IQEA_CALLBACK, IQEA_SCOPES, SPA_CALLBACK, client_key
from tests.oidc.live_server import (
    HTTP_TIMEOUT_SECONDS,
    HttpBrowser,
    LiveServer,
    WallClock,
    reserve_loopback_socket,
    serve,
    socket_url,
)

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_SCRIPT = NODE_DIR / "rp.mjs"
NODE_TIMEOUT_SECONDS = 10
OPERATOR_RIGHT = "melccfp.iqea.operator"
# What an attacker puts in place of a callback parameter (another issuer, a state of theirs).
FORGED_VALUE = "https://attacker.example"
# The clocks of the provider and of these clients are the same machine's.
CLOCK_LEEWAY_SECONDS = 5


# -- the provider on a live server --------------------------------------------------------------


@pytest.fixture
def clock() -> WallClock:
    """Client libraries check iat/exp against the real time: the provider must follow it."""
    return WallClock()


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    listening = reserve_loopback_socket()
    yield listening
    listening.close()


@pytest.fixture
def app_config(app_config: dict[str, Any], listening_socket: socket.socket) -> dict[str, Any]:
    """The issuer is the URL the provider is served at, as the client libraries check."""
    app_config["issuer"] = socket_url(listening_socket)
    return app_config


@pytest.fixture
def live_server(app: Any, listening_socket: socket.socket) -> Iterator[LiveServer]:
    with serve(app, listening_socket) as server:
        yield server


@pytest.fixture
def provider(live_server: LiveServer) -> dict[str, Any]:
    """The provider's metadata, read the way a relying party discovers it."""
    response = requests.get(
        f"{live_server.url}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT_SECONDS
    )
    response.raise_for_status()
    metadata: dict[str, Any] = response.json()
    assert metadata["issuer"] == live_server.url
    return metadata


@pytest.fixture
def http_browser(live_server: LiveServer, smtp: SmtpCapture) -> Iterator[HttpBrowser]:
    browser = HttpBrowser(live_server.url, smtp)
    yield browser
    browser.close()


def published_keys(provider: dict[str, Any]) -> KeySet:
    response = requests.get(provider["jwks_uri"], timeout=HTTP_TIMEOUT_SECONDS)
    response.raise_for_status()
    return KeySet.import_key_set(response.json())


def query_params(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (one value each, as the provider sends them)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def with_param(url: str, name: str, value: str) -> str:
    """``url`` with the query parameter ``name`` replaced, as an attacker would change it."""
    query = urlencode({**query_params(url), name: value})
    return urlunsplit(urlsplit(url)._replace(query=query))


# -- authlib's client ---------------------------------------------------------------------------


@dataclass
class AuthlibSignIn:
    """What a relying party holds after the code exchange."""

    token: dict[str, Any]
    nonce: str


def authlib_client(client_id: str, secret: Any = None, **kwargs: Any) -> OAuth2Session:
    # The scope goes in the authorization request only: authlib sends a session's scope again
    # with every refresh, which the provider refuses (invalid_scope) once it granted fewer
    # rights than asked for (RFC 6749 6: no scope beyond what was granted).
    return OAuth2Session(
        client_id, secret, code_challenge_method="S256", timeout=HTTP_TIMEOUT_SECONDS, **kwargs
    )


def sign_in_with_authlib(
    rp: OAuth2Session,
    provider: dict[str, Any],
    browser: HttpBrowser,
    person: Person,
    *,
    redirect_uri: str = IQEA_CALLBACK,
    send_code_verifier: bool = True,
) -> AuthlibSignIn:
    """The authorization request (PKCE S256, state, nonce), the browser part, the exchange."""
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = rp.create_authorization_url(
        provider["authorization_endpoint"],
        redirect_uri=redirect_uri,
        scope=" ".join(IQEA_SCOPES),
        code_verifier=verifier,
        nonce=nonce,
    )
    callback_url = browser.authorize(url, person)
    assert callback_url.startswith(redirect_uri + "?"), callback_url
    # RFC 9207, which authlib's client does not check.
    assert query_params(callback_url)["iss"] == provider["issuer"]
    extra = {"code_verifier": verifier} if send_code_verifier else {}
    token = rp.fetch_token(
        provider["token_endpoint"],
        authorization_response=callback_url,
        state=state,
        redirect_uri=redirect_uri,
        **extra,
    )
    return AuthlibSignIn(token=dict(token), nonce=nonce)


def verified_id_token(
    provider: dict[str, Any], client_id: str, sign_in: AuthlibSignIn, alg: str
) -> dict[str, Any]:
    """The ID token's claims once its signature (JWKS) and OIDC Core 3.1.3.7 checks pass."""
    token = jwt.decode(sign_in.token["id_token"], published_keys(provider), algorithms=[alg])
    assert token.header["alg"] == alg
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={
            "iss": {"essential": True, "value": provider["issuer"]},
            "aud": {"essential": True, "value": client_id},
            "nonce": {"essential": True, "value": sign_in.nonce},
            "exp": {"essential": True},
            "at_hash": {"essential": True},
        },
        params={
            "nonce": sign_in.nonce,
            "client_id": client_id,
            "access_token": sign_in.token["access_token"],
        },
    )
    claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    return dict(claims)


def assert_operator_claims(claims: dict[str, Any], world: Any) -> None:
    """Jean Roy acting for the emitter with the IQEA operator right; how he signed in."""
    assert claims["enterprise"]["neq"] == world.emitter.neq
    assert OPERATOR_RIGHT in claims["rights"]
    assert claims["acr"]
    assert claims["amr"]


def test_authlib_client_secret_basic(
    provider: dict[str, Any],
    http_browser: HttpBrowser,
    operator_person: Person,
    world: Any,
    client_secrets: Any,
) -> None:
    rp = authlib_client(
        "iqea", client_secrets["iqea"], token_endpoint_auth_method="client_secret_basic"
    )
    sign_in = sign_in_with_authlib(rp, provider, http_browser, operator_person)

    claims = verified_id_token(provider, "iqea", sign_in, "RS256")
    assert_operator_claims(claims, world)
    userinfo = rp.get(provider["userinfo_endpoint"])
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == claims["sub"]

    first_refresh_token = sign_in.token["refresh_token"]
    refreshed = rp.refresh_token(provider["token_endpoint"])
    assert refreshed["refresh_token"] != first_refresh_token  # rotated at every use
    assert refreshed["access_token"] != sign_in.token["access_token"]
    with pytest.raises(OAuthError) as reused:
        rp.refresh_token(provider["token_endpoint"], refresh_token=first_refresh_token)
    assert reused.value.error == "invalid_grant"


def assertion_lifetime(assertion: str) -> int:
    """``exp - iat`` of a client assertion, read without checking it (what a library sends)."""
    claims = jwt.decode(assertion, client_key(), algorithms=["RS256"]).claims
    return int(claims["exp"]) - int(claims["iat"])


def test_authlib_private_key_jwt_with_its_default_assertion(
    provider: dict[str, Any], http_browser: HttpBrowser, operator_person: Person, world: Any
) -> None:
    """authlib's ``PrivateKeyJWT`` as it comes: RS256, an assertion valid for an hour."""
    auth = PrivateKeyJWT(provider["token_endpoint"])
    signer = SimpleNamespace(client_id="iqea-jwt", client_secret=client_key())
    assert assertion_lifetime(auth.sign(signer, provider["token_endpoint"])) == 3600
    rp = authlib_client("iqea-jwt", client_key(), token_endpoint_auth_method=auth)
    sign_in = sign_in_with_authlib(rp, provider, http_browser, operator_person)

    claims = verified_id_token(provider, "iqea-jwt", sign_in, "ES256")
    assert_operator_claims(claims, world)


def test_authlib_public_client_with_pkce(
    provider: dict[str, Any], http_browser: HttpBrowser, operator_person: Person
) -> None:
    rp = authlib_client("iqea-spa", token_endpoint_auth_method="none")
    sign_in = sign_in_with_authlib(
        rp, provider, http_browser, operator_person, redirect_uri=SPA_CALLBACK
    )

    claims = verified_id_token(provider, "iqea-spa", sign_in, "RS256")
    assert OPERATOR_RIGHT in claims["rights"]


def test_authlib_public_client_without_code_verifier_is_refused(
    provider: dict[str, Any], http_browser: HttpBrowser, operator_person: Person
) -> None:
    rp = authlib_client("iqea-spa", token_endpoint_auth_method="none")
    with pytest.raises(OAuthError) as refused:
        sign_in_with_authlib(
            rp,
            provider,
            http_browser,
            operator_person,
            redirect_uri=SPA_CALLBACK,
            send_code_verifier=False,
        )
    assert refused.value.error == "invalid_request"


# -- pyoidc -------------------------------------------------------------------------------------


def pyoidc_client(provider: dict[str, Any]) -> PyoidcClient:
    """``iqea-jwt`` as pyoidc knows it: the discovered provider, its registration, its key."""
    rp = PyoidcClient(
        client_id="iqea-jwt",
        client_authn_method=CLIENT_AUTHN_METHOD,
        settings=OicClientSettings(timeout=HTTP_TIMEOUT_SECONDS),
    )
    rp.provider_config(provider["issuer"])
    rp.store_registration_info(
        RegistrationResponse(
            client_id="iqea-jwt",
            redirect_uris=[IQEA_CALLBACK],
            token_endpoint_auth_method="private_key_jwt",
            id_token_signed_response_alg="ES256",
        )
    )
    rp.keyjar.add_kb("", KeyBundle([client_key().as_dict(private=True)]))
    return rp


def test_pyoidc_private_key_jwt_with_its_default_assertion(
    provider: dict[str, Any], http_browser: HttpBrowser, operator_person: Person, world: Any
) -> None:
    """pyoidc's ``private_key_jwt`` as it comes: RS256, an assertion valid for ten minutes."""
    rp = pyoidc_client(provider)
    default = AccessTokenRequest()
    PyoidcPrivateKeyJWT(rp).construct(default, authn_endpoint="token")
    assert assertion_lifetime(default["client_assertion"]) == 600
    state, nonce = rndstr(), rndstr()
    pkce, verifier = rp.add_code_challenge()
    request = rp.construct_AuthorizationRequest(
        request_args={
            "response_type": "code",
            "scope": IQEA_SCOPES,
            "redirect_uri": IQEA_CALLBACK,
            "state": state,
            "nonce": nonce,
            **pkce,
        }
    )
    callback_url = http_browser.authorize(
        request.request(provider["authorization_endpoint"]), operator_person
    )
    response = rp.parse_response(
        AuthorizationResponse, info=urlsplit(callback_url).query, sformat="urlencoded"
    )
    assert isinstance(response, AuthorizationResponse), response.to_dict()
    assert response["state"] == state

    token = rp.do_access_token_request(
        state=state,
        request_args={
            "code": response["code"],
            "redirect_uri": IQEA_CALLBACK,
            "code_verifier": verifier,
        },
        authn_method="private_key_jwt",
    )

    assert isinstance(token, AccessTokenResponse), token.to_dict()
    # pyoidc verified the ID token (signature against the JWKS, iss, aud, nonce, at_hash).
    id_token = token["id_token"]
    assert id_token["aud"] == ["iqea-jwt"]
    assert id_token["nonce"] == nonce
    assert_operator_claims(id_token.to_dict(), world)


# -- Node's openid-client -----------------------------------------------------------------------


class NodeRelyingParty:
    """``tests/oidc/node/rp.mjs`` in a subprocess (its stdio protocol is described there)."""

    def __init__(
        self, provider: dict[str, Any], client_id: str, secret: str, *, pushed: bool = False
    ) -> None:
        env = {
            **os.environ,
            "RP_ISSUER": provider["issuer"],
            "RP_CLIENT_ID": client_id,
            "RP_CLIENT_SECRET": secret,
            "RP_REDIRECT_URI": IQEA_CALLBACK,
            "RP_SCOPE": " ".join(IQEA_SCOPES),
            "RP_PAR": "1" if pushed else "",
        }
        self.process = subprocess.Popen(
            [node_executable(), str(NODE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=NODE_DIR,
        )

    def authorization_url(self) -> str:
        """The first line: openid-client's authorization request."""
        assert self.process.stdout is not None
        with ThreadPoolExecutor(max_workers=1) as reader:
            pending = reader.submit(self.process.stdout.readline)
            try:
                line = pending.result(timeout=NODE_TIMEOUT_SECONDS)
            except FutureTimeout:
                self.process.kill()
                raise
        message = self._parse(line)
        assert "authorization_url" in message, message
        return str(message["authorization_url"])

    def finish(self, callback_url: str) -> dict[str, Any]:
        """Hand over the callback URL; openid-client's result."""
        out, err = self.process.communicate(callback_url + "\n", timeout=NODE_TIMEOUT_SECONDS)
        lines = out.splitlines()
        assert lines, f"openid-client printed nothing (exit {self.process.returncode}): {err}"
        return self._parse(lines[-1])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()

    def _parse(self, line: str) -> dict[str, Any]:
        try:
            message: dict[str, Any] = json.loads(line)
        except ValueError:
            self.process.kill()
            _out, err = self.process.communicate()
            raise AssertionError(f"openid-client: {line!r}; stderr: {err}") from None
        return message


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the openid-client tests need Node.js 20 or later.")
    if not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        pytest.fail(
            "openid-client is not installed in tests/oidc/node: run `python3 dev.py test` "
            "(or `npm ci --prefix tests/oidc/node`)."
        )
    return node


@pytest.fixture
def node_rp(provider: dict[str, Any], client_secrets: Any) -> Iterator[NodeRelyingParty]:
    rp = NodeRelyingParty(provider, "iqea", client_secrets["iqea"])
    yield rp
    rp.close()


def test_openid_client_code_flow(
    node_rp: NodeRelyingParty,
    live_server: LiveServer,
    provider: dict[str, Any],
    http_browser: HttpBrowser,
    operator_person: Person,
    world: Any,
) -> None:
    callback_url = http_browser.authorize(node_rp.authorization_url(), operator_person)
    result = node_rp.finish(callback_url)

    assert result["ok"], result
    # openid-client fetched the key set to verify the ID token's signature.
    assert ("GET", urlsplit(provider["jwks_uri"]).path) in live_server.requests
    claims = result["id_token_claims"]
    assert result["userinfo"]["sub"] == claims["sub"]
    assert_operator_claims(claims, world)
    assert result["refresh"] == {"new_refresh_token": True, "new_access_token": True}


def test_openid_client_pushed_authorization_request(
    provider: dict[str, Any],
    client_secrets: Any,
    live_server: LiveServer,
    http_browser: HttpBrowser,
    operator_person: Person,
    world: Any,
) -> None:
    """RFC 9126 with openid-client's ``buildAuthorizationUrlWithPAR``: it discovers the endpoint,
    pushes with client_secret_basic, and sends the browser with the request_uri alone."""
    rp = NodeRelyingParty(provider, "iqea", client_secrets["iqea"], pushed=True)
    try:
        authorization_url = rp.authorization_url()
        sent = query_params(authorization_url)
        assert set(sent) == {"client_id", "request_uri"}, sent
        assert ("POST", urlsplit(provider["pushed_authorization_request_endpoint"]).path) in (
            live_server.requests
        )
        callback_url = http_browser.authorize(authorization_url, operator_person)
        result = rp.finish(callback_url)
    finally:
        rp.close()

    assert result["ok"], result
    assert_operator_claims(result["id_token_claims"], world)
    assert result["refresh"] == {"new_refresh_token": True, "new_access_token": True}


@pytest.mark.parametrize(
    ("param", "complaint"),
    [("state", '"state"'), ("iss", '"iss"')],
    ids=["state", "iss"],
)
def test_openid_client_refuses_a_tampered_callback(
    node_rp: NodeRelyingParty,
    http_browser: HttpBrowser,
    operator_person: Person,
    param: str,
    complaint: str,
) -> None:
    callback_url = http_browser.authorize(node_rp.authorization_url(), operator_person)
    result = node_rp.finish(with_param(callback_url, param, FORGED_VALUE))

    assert not result["ok"], result
    error = result["error"]
    assert error["code"] == "OAUTH_INVALID_RESPONSE", error
    assert complaint in error["cause"]["message"], error
