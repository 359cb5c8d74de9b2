"""Grants and the life of their tokens: codes, refresh, rights changes, introspection,
revocation, UserInfo, the access token format (RFC 9068) and signing-key rotation.

A code is spent once (a second use revokes what the first obtained); a refresh token rotates
at every use (reusing an old one ends the family); a grant stops working the moment the person
loses the rights it was issued for.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.accounts.models import AccountStatus
from idp.enterprises.user_files import set_status
from idp.extensions import db
from idp.keystore import rotate_keys
from idp.proxies.models import Proxy, ProxyAssignment
from idp.proxies.services import cancel_proxy, unassign_proxy
from tests.conftest import RequestIsolatingClient
from tests.oidc.conftest import AuthorizationRequest, basic_auth, exchange

TOKEN_PATH = "/oidc/token"
INTROSPECT_PATH = "/oidc/introspect"
REVOKE_PATH = "/oidc/revoke"
USERINFO_PATH = "/oidc/userinfo"
ALGORITHMS = ["RS256", "PS256", "ES256"]
# Clients that authenticate with a secret in the body; the others use HTTP Basic.
POST_CLIENTS = {"iqea-post"}


# -- helpers ------------------------------------------------------------------------------------


def authorize(
    browser: Any, person: Any, client_id: str = "iqea", **kw: Any
) -> tuple[AuthorizationRequest, str]:
    """An authorization request and the code the person's consent produced."""
    request = browser.request(client_id=client_id, **kw)
    return request, browser.authorize(person, request)["code"]


def authenticated(client_id: str, client_secrets: Any, data: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments of a back-channel POST made by a confidential client."""
    secret = client_secrets[client_id]
    if client_id in POST_CLIENTS:
        return {"data": {**data, "client_id": client_id, "client_secret": secret}}
    return {"data": data, "headers": basic_auth(client_id, secret)}


def token_request(client: Any, client_secrets: Any, client_id: str, **data: str | None) -> Any:
    form = {k: v for k, v in data.items() if v is not None}
    return client.post(TOKEN_PATH, **authenticated(client_id, client_secrets, form))


def redeem(
    client: Any, client_secrets: Any, request: AuthorizationRequest, code: str, **extra: Any
) -> Any:
    """Exchange a code as ``request``'s client (or ``client_id=`` another one)."""
    fields: dict[str, Any] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.verifier,
        "client_id": request.client_id,
        **extra,
    }
    client_id = fields.pop("client_id")
    return token_request(client, client_secrets, client_id, **fields)


def sign_in_tokens(
    client: Any,
    browser: Any,
    person: Any,
    client_secrets: Any,
    client_id: str = "iqea",
    **kw: Any,
) -> dict[str, Any]:
    """The token response of a complete sign-in at the client."""
    request, code = authorize(browser, person, client_id, **kw)
    return ok(redeem(client, client_secrets, request, code))


def refresh(
    client: Any, client_secrets: Any, refresh_token: str, client_id: str = "iqea", **extra: str
) -> Any:
    return token_request(
        client,
        client_secrets,
        client_id,
        grant_type="refresh_token",
        refresh_token=refresh_token,
        **extra,
    )


def introspect(
    client: Any, client_secrets: Any, token: str, client_id: str = "iqea", **extra: str
) -> dict[str, Any]:
    response = client.post(
        INTROSPECT_PATH, **authenticated(client_id, client_secrets, {"token": token, **extra})
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return dict(response.get_json())


def is_active(client: Any, client_secrets: Any, token: str, client_id: str = "iqea") -> bool:
    return bool(introspect(client, client_secrets, token, client_id)["active"])


def revoke(
    client: Any, client_secrets: Any, token: str, client_id: str = "iqea", **extra: str
) -> Any:
    return client.post(
        REVOKE_PATH, **authenticated(client_id, client_secrets, {"token": token, **extra})
    )


def userinfo(client: Any, access_token: str) -> Any:
    return client.get(USERINFO_PATH, headers={"Authorization": f"Bearer {access_token}"})


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def refused(response: Any, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error, body
    assert "access_token" not in body
    assert "refresh_token" not in body


def published_keys(client: Any) -> KeySet:
    return KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())


def decoded(token: str, keys: KeySet) -> Any:
    return jwt.decode(token, keys, algorithms=ALGORITHMS)


def bearer_challenge(response: Any) -> str:
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer"), challenge
    return str(challenge)


@pytest.fixture
def issued(client, browser, operator_person, client_secrets) -> dict[str, Any]:
    """Tokens issued to iqea for the operator (an internal proxy with the operator right)."""
    return sign_in_tokens(client, browser, operator_person, client_secrets)


# -- authorization codes ------------------------------------------------------------------------


def test_code_is_single_use_and_a_replay_revokes_its_tokens(
    client, browser, operator_person, client_secrets
):
    request, code = authorize(browser, operator_person)
    first = ok(exchange(client, request, code, client_secrets["iqea"]))
    assert is_active(client, client_secrets, first["access_token"])

    refused(exchange(client, request, code, client_secrets["iqea"]), "invalid_grant")

    assert not is_active(client, client_secrets, first["access_token"])
    assert not is_active(client, client_secrets, first["refresh_token"])
    refused(refresh(client, client_secrets, first["refresh_token"]), "invalid_grant")
    assert userinfo(client, first["access_token"]).status_code == 401


def test_concurrent_redemptions_of_one_code_have_one_winner(
    app, browser, operator_person, client_secrets
):
    request, code = authorize(browser, operator_person)
    db.session.commit()
    attempts = 8
    barrier = threading.Barrier(attempts)
    results: list[tuple[Any, Any]] = []
    lock = threading.Lock()

    def attempt() -> None:
        with app.app_context():
            own_client = app.test_client()
            try:
                barrier.wait(timeout=30)
                response = exchange(own_client, request, code, client_secrets["iqea"])
                outcome: tuple[Any, Any] = (response.status_code, response.get_json())
            except Exception as exc:  # reported by the assertions below
                outcome = ("exception", repr(exc))
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == attempts, results
    winners = [body for status, body in results if status == 200]
    losers = [(status, body) for status, body in results if status != 200]
    assert len(winners) == 1, results
    assert all(status == 400 and body["error"] == "invalid_grant" for status, body in losers), (
        losers
    )
    # Once the dust settles, one more attempt is a plain replay: it ends the winner's grant.
    refused(exchange(app.test_client(), request, code, client_secrets["iqea"]), "invalid_grant")
    assert not is_active(app.test_client(), client_secrets, winners[0]["access_token"])


def test_code_of_another_client_is_refused(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person)
    refused(redeem(client, client_secrets, request, code, client_id="iqea-post"), "invalid_grant")


def test_expired_code_is_refused(client, browser, operator_person, client_secrets, clock):
    request, code = authorize(browser, operator_person)
    clock.advance(seconds=61)
    refused(exchange(client, request, code, client_secrets["iqea"]), "invalid_grant")


def test_code_with_another_redirect_uri_is_refused(
    client, browser, operator_person, client_secrets
):
    request, code = authorize(browser, operator_person)
    other = "https://iqea.example.gouv.qc.ca/auth/callback2"
    refused(
        exchange(client, request, code, client_secrets["iqea"], redirect_uri=other), "invalid_grant"
    )


def test_wrong_pkce_verifier_is_refused(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person)
    wrong = request.verifier[:-4] + "AAAA"
    response = exchange(client, request, code, client_secrets["iqea"], code_verifier=wrong)
    refused(response, "invalid_grant")


def test_missing_pkce_verifier_is_refused(client, browser, operator_person, client_secrets):
    request, code = authorize(browser, operator_person)
    refused(redeem(client, client_secrets, request, code, code_verifier=None), "invalid_request")


# -- refresh tokens -----------------------------------------------------------------------------


def test_refresh_rotates_the_refresh_token(client, client_secrets, issued):
    second = ok(refresh(client, client_secrets, issued["refresh_token"]))
    third = ok(refresh(client, client_secrets, second["refresh_token"]))
    values = {issued["refresh_token"], second["refresh_token"], third["refresh_token"]}
    assert len(values) == 3
    assert second["access_token"] != issued["access_token"]
    assert is_active(client, client_secrets, third["access_token"])
    assert is_active(client, client_secrets, third["refresh_token"])
    assert not is_active(client, client_secrets, issued["refresh_token"])
    assert not is_active(client, client_secrets, second["refresh_token"])


def test_reused_refresh_token_revokes_the_family(client, client_secrets, issued):
    second = ok(refresh(client, client_secrets, issued["refresh_token"]))
    assert is_active(client, client_secrets, second["access_token"])

    refused(refresh(client, client_secrets, issued["refresh_token"]), "invalid_grant")

    refused(refresh(client, client_secrets, second["refresh_token"]), "invalid_grant")
    for token in (issued["access_token"], second["access_token"], second["refresh_token"]):
        assert not is_active(client, client_secrets, token)
    assert userinfo(client, second["access_token"]).status_code == 401


def test_refresh_by_another_client_is_refused(client, client_secrets, issued):
    refused(
        refresh(client, client_secrets, issued["refresh_token"], client_id="iqea-post"),
        "invalid_grant",
    )


def test_refresh_may_narrow_the_scope(client, client_secrets, issued, runtime):
    narrowed = ok(refresh(client, client_secrets, issued["refresh_token"], scope="openid profile"))
    assert narrowed["scope"] == "openid profile"
    claims = decoded(narrowed["access_token"], runtime.keystore.key_set()).claims
    assert claims["scope"] == "openid profile"
    assert "authorization_details" not in claims


@pytest.mark.parametrize(
    "scope", ["openid email", "openid melccfp.iqea.verifier"], ids=["not_asked", "right_not_held"]
)
def test_refresh_cannot_widen_the_scope(client, browser, operator_person, client_secrets, scope):
    asked = ["openid", "profile", "offline_access", "melccfp.iqea.operator"]
    first = sign_in_tokens(client, browser, operator_person, client_secrets, scope=asked)
    assert "email" not in first["scope"].split()
    refused(refresh(client, client_secrets, first["refresh_token"], scope=scope), "invalid_scope")


# -- rights changes -----------------------------------------------------------------------------


def the_proxy(world: Any) -> Proxy:
    return db.session.scalars(select(Proxy).where(Proxy.enterprise_id == world.emitter.id)).one()


def cancel(runtime: Any, world: Any) -> None:
    cancel_proxy(db.session, runtime, world.esm, the_proxy(world))


def suspend(runtime: Any, world: Any) -> None:
    set_status(db.session, runtime, world.esm, world.user, AccountStatus.SUSPENDED)


def unassign(runtime: Any, world: Any) -> None:
    assignment = db.session.scalars(
        select(ProxyAssignment).where(ProxyAssignment.account_id == world.user.id)
    ).one()
    unassign_proxy(db.session, runtime, world.esm, assignment)


@pytest.mark.parametrize("change", [cancel, suspend, unassign], ids=lambda f: f.__name__)
def test_tokens_stop_working_when_rights_are_lost(
    client, client_secrets, issued, runtime, world, change
):
    assert is_active(client, client_secrets, issued["access_token"])
    change(runtime, world)
    db.session.commit()

    assert not is_active(client, client_secrets, issued["access_token"])
    assert not is_active(client, client_secrets, issued["refresh_token"])
    refused(refresh(client, client_secrets, issued["refresh_token"]), "invalid_grant")
    assert userinfo(client, issued["access_token"]).status_code == 401


# -- introspection ------------------------------------------------------------------------------


def test_introspection_of_an_own_access_token(client, client_secrets, issued, runtime, world):
    body = introspect(client, client_secrets, issued["access_token"])
    id_token = decoded(issued["id_token"], runtime.keystore.key_set()).claims
    assert body["active"] is True
    assert body["sub"] == id_token["sub"]
    assert body["client_id"] == "iqea"
    assert body["scope"] == issued["scope"]
    assert body["exp"] == int(runtime.clock().timestamp()) + 600
    [details] = body["authorization_details"]
    assert details["type"] == "clicsequr_rights"
    assert details["ministry"] == "melccfp"
    assert details["enterprise"] == world.emitter.neq
    assert details["rights"] == ["melccfp.iqea.operator"]


def test_introspection_of_an_own_refresh_token(client, client_secrets, issued):
    body = introspect(client, client_secrets, issued["refresh_token"])
    assert body["active"] is True
    assert body["client_id"] == "iqea"


def test_introspection_of_another_clients_token(client, client_secrets, issued):
    for token in (issued["access_token"], issued["refresh_token"]):
        assert introspect(client, client_secrets, token, client_id="amf-portal") == {
            "active": False
        }
    # Still active for its own client: looking did not harm it.
    assert is_active(client, client_secrets, issued["access_token"])


def test_public_client_cannot_introspect(client, issued):
    data = {"token": issued["access_token"], "client_id": "iqea-spa"}
    response = client.post(INTROSPECT_PATH, data=data)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert "active" not in response.get_json()


@pytest.mark.parametrize(
    "token", ["not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0."], ids=str
)
def test_introspection_of_unknown_tokens(client, client_secrets, token):
    assert introspect(client, client_secrets, token) == {"active": False}


def test_introspection_of_an_expired_access_token(client, client_secrets, issued, clock):
    clock.advance(seconds=601)
    assert introspect(client, client_secrets, issued["access_token"]) == {"active": False}


# -- revocation ---------------------------------------------------------------------------------


def test_revoking_the_refresh_token_revokes_the_grant(client, client_secrets, issued):
    response = revoke(client, client_secrets, issued["refresh_token"])
    assert response.status_code == 200
    assert not is_active(client, client_secrets, issued["access_token"])
    refused(refresh(client, client_secrets, issued["refresh_token"]), "invalid_grant")


def test_revoking_the_access_token_keeps_the_refresh_token(client, client_secrets, issued):
    response = revoke(
        client, client_secrets, issued["access_token"], token_type_hint="access_token"
    )
    assert response.status_code == 200
    assert not is_active(client, client_secrets, issued["access_token"])
    assert userinfo(client, issued["access_token"]).status_code == 401
    renewed = ok(refresh(client, client_secrets, issued["refresh_token"]))
    assert is_active(client, client_secrets, renewed["access_token"])


def test_revoking_another_clients_token_does_nothing(client, client_secrets, issued):
    for token in (issued["refresh_token"], issued["access_token"]):
        assert revoke(client, client_secrets, token, client_id="amf-portal").status_code == 200
    assert is_active(client, client_secrets, issued["access_token"])
    ok(refresh(client, client_secrets, issued["refresh_token"]))


def test_revoking_an_unknown_token(client, client_secrets):
    assert revoke(client, client_secrets, "never-issued").status_code == 200


# -- parameters out of bounds -------------------------------------------------------------------

BODIES_OUT_OF_BOUNDS = {
    "1 MB grant_type": {"grant_type": "g" * 1_000_000},
    "non-ascii grant_type": {"grant_type": "r\u00e9fresh_token"},
    "1 MB refresh_token": {"grant_type": "refresh_token", "refresh_token": "r" * 1_000_000},
    "nul in code": {"grant_type": "authorization_code", "code": "c\x00c"},
}


@pytest.mark.parametrize("data", BODIES_OUT_OF_BOUNDS.values(), ids=BODIES_OUT_OF_BOUNDS.keys())
@pytest.mark.parametrize("path", [TOKEN_PATH, INTROSPECT_PATH, REVOKE_PATH])
def test_a_body_out_of_bounds_is_invalid_request_and_not_quoted(client, client_secrets, path, data):
    response = client.post(path, **authenticated("iqea", client_secrets, {**data, "token": "x"}))
    refused(response, "invalid_request")
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.get_data()) < 1000


# -- UserInfo -----------------------------------------------------------------------------------


def test_userinfo_with_a_bearer_header(client, issued, runtime, world):
    body = ok(userinfo(client, issued["access_token"]))
    id_token = decoded(issued["id_token"], runtime.keystore.key_set()).claims
    assert body["sub"] == id_token["sub"]
    assert body["email"] == world.user.email
    assert body["rights"] == ["melccfp.iqea.operator"]


def test_userinfo_with_a_form_token(client, issued, runtime):
    body = ok(client.post(USERINFO_PATH, data={"access_token": issued["access_token"]}))
    assert body["sub"] == decoded(issued["id_token"], runtime.keystore.key_set()).claims["sub"]


def test_userinfo_without_a_token(client):
    response = client.get(USERINFO_PATH)
    assert response.status_code == 401
    assert "error=" not in bearer_challenge(response)


def tampered(token: str) -> str:
    """The token with one character of the middle of its signature changed."""
    signing_input, _sep, signature = token.rpartition(".")
    middle = len(signature) // 2
    swapped = "B" if signature[middle] == "A" else "A"
    return f"{signing_input}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def test_userinfo_with_a_tampered_token(client, issued):
    response = userinfo(client, tampered(issued["access_token"]))
    assert response.status_code == 401
    assert 'error="invalid_token"' in bearer_challenge(response)


def test_userinfo_with_an_expired_token(client, issued, clock):
    clock.advance(seconds=601)
    response = userinfo(client, issued["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in bearer_challenge(response)


def test_userinfo_with_a_revoked_token(client, client_secrets, issued):
    assert revoke(client, client_secrets, issued["access_token"]).status_code == 200
    response = userinfo(client, issued["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in bearer_challenge(response)


def test_userinfo_without_openid_scope(client, client_secrets):
    batch = ok(
        token_request(client, client_secrets, "melccfp-batch", grant_type="client_credentials")
    )
    response = userinfo(client, batch["access_token"])
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in bearer_challenge(response)


# -- access token format ------------------------------------------------------------------------


def test_access_token_is_an_rfc9068_jwt(client, issued, runtime, clock, world):
    jwks = client.get("/.well-known/jwks.json").get_json()
    token = decoded(issued["access_token"], KeySet.import_key_set(jwks))
    assert token.header["typ"] == "at+jwt"
    assert token.header["kid"] in {key["kid"] for key in jwks["keys"]}
    assert token.header["kid"] == runtime.keystore.signing_key(token.header["alg"]).kid
    claims = token.claims
    now = int(clock().timestamp())
    assert claims["iss"] == "http://localhost"
    assert claims["aud"] == "iqea"
    assert claims["client_id"] == "iqea"
    assert claims["sub"] == decoded(issued["id_token"], published_keys(client)).claims["sub"]
    assert (claims["iat"], claims["exp"]) == (now, now + 600)
    assert issued["expires_in"] == 600
    assert claims["jti"]
    assert claims["scope"] == issued["scope"]
    assert "melccfp.iqea.operator" in claims["scope"].split()
    [details] = claims["authorization_details"]
    assert details["type"] == "clicsequr_rights"
    assert details["rights"] == ["melccfp.iqea.operator"]
    assert details["enterprise"] == world.emitter.neq
    assert issued["authorization_details"] == claims["authorization_details"]


def test_each_access_token_has_its_own_jti(client, client_secrets, issued, runtime):
    renewed = ok(refresh(client, client_secrets, issued["refresh_token"]))
    keys = runtime.keystore.key_set()
    first = decoded(issued["access_token"], keys).claims["jti"]
    assert decoded(renewed["access_token"], keys).claims["jti"] != first


# -- signing-key rotation -----------------------------------------------------------------------


def restart(app_config: dict[str, Any], clock: Any) -> Any:
    """A new app on the same database and keys directory, as after restarting the workers."""
    from idp import create_app

    restarted = create_app(app_config, clock=clock)
    restarted.config["TESTING"] = True
    restarted.test_client_class = RequestIsolatingClient
    return restarted


class TestKeyRotation:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        # This class rotates keys: its own directory, never the keys the suite shares.
        app_config["keys_dir"] = tmp_path / "keys"
        return app_config

    def test_tokens_signed_before_a_rotation_stay_valid(
        self, app_config, clock, runtime, client, client_secrets, issued
    ):
        old_kid = jwt.decode(issued["access_token"], runtime.keystore.key_set()).header["kid"]
        next_kid = runtime.keystore.next("RSA").kid
        settings = runtime.settings
        retention = timedelta(seconds=settings.keys_retired_retention_seconds)
        rotate_keys(settings.keys_dir, clock, settings.issuer, retention)

        after = restart(app_config, clock).test_client()
        keys = published_keys(after)
        assert decoded(issued["access_token"], keys).header["kid"] == old_kid
        assert decoded(issued["id_token"], keys).header["kid"] == old_kid
        assert is_active(after, client_secrets, issued["access_token"])
        assert ok(userinfo(after, issued["access_token"]))["sub"]

        renewed = ok(refresh(after, client_secrets, issued["refresh_token"]))
        new_kid = decoded(renewed["access_token"], keys).header["kid"]
        assert new_kid == next_kid != old_kid
        assert is_active(after, client_secrets, renewed["access_token"])

    def test_new_sign_ins_use_the_new_key(
        self, app_config, clock, runtime, browser, operator_person, client_secrets
    ):
        next_kid = runtime.keystore.next("RSA").kid
        settings = runtime.settings
        retention = timedelta(seconds=settings.keys_retired_retention_seconds)
        rotate_keys(settings.keys_dir, clock, settings.issuer, retention)

        restarted = restart(app_config, clock)
        after = restarted.test_client()
        browser.client = after
        browser.auth.client = after
        tokens = sign_in_tokens(after, browser, operator_person, client_secrets)
        keys = published_keys(after)
        assert decoded(tokens["access_token"], keys).header["kid"] == next_kid
        assert decoded(tokens["id_token"], keys).header["kid"] == next_kid
