"""The whole code flow driven by independent client libraries against the provider over HTTP.

The provider runs on a real loopback server whose issuer is its own URL; a ``requests`` session
plays the person's browser (:class:`tests.oidc.live_server.HttpBrowser`). The relying parties
are not this project's code:

- authlib's ``OAuth2Session`` (Python), with ``client_secret_basic``, ``private_key_jwt`` and as a
  public client; the ID token is verified here with joserfc against the published JWKS and its
  claims with authlib's ``CodeIDToken``;
- openid-client (Node), which verifies the ID token itself: ``tests/oidc/node/rp.mjs``, whose
  dependencies ``python3 dev.py test`` installs (``npm ci --prefix tests/oidc/node``).
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
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

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


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """authlib's ``private_key_jwt`` with a one-minute assertion.

    authlib signs assertions valid for an hour by default; the provider refuses more than five
    minutes (``ASSERTION_MAX_LIFETIME``), as docs/relying-parties.md tells relying parties.
    """

    def sign(self, auth: Any, token_endpoint: str) -> str:
        return str(
            private_key_jwt_sign(
                auth.client_secret,
                client_id=auth.client_id,
                token_endpoint=token_endpoint,
                alg=self.alg,
                expires_in=60,
            )
        )


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


def test_authlib_private_key_jwt_es256(
    provider: dict[str, Any], http_browser: HttpBrowser, operator_person: Person, world: Any
) -> None:
    rp = authlib_client(
        "iqea-jwt",
        client_key(),
        token_endpoint_auth_method=ShortLivedPrivateKeyJWT(provider["token_endpoint"]),
    )
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


# -- Node's openid-client -----------------------------------------------------------------------


class NodeRelyingParty:
    """``tests/oidc/node/rp.mjs`` in a subprocess (its stdio protocol is described there)."""

    def __init__(self, provider: dict[str, Any], client_id: str, secret: str) -> None:
        env = {
            **os.environ,
            "RP_ISSUER": provider["issuer"],
            "RP_CLIENT_ID": client_id,
            "RP_CLIENT_SECRET": secret,
            "RP_REDIRECT_URI": IQEA_CALLBACK,
            "RP_SCOPE": " ".join(IQEA_SCOPES),
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
