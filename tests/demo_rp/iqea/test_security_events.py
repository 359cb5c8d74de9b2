"""Security events pushed by the provider to IQEA (RFC 8417 SETs, RFC 8935 push): what the site
accepts (202), records and shows, and every SET it refuses with RFC 8935's error JSON."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from demo_rp.common.security_events import TOKEN_CLAIMS_CHANGE
from idp.extensions import db
from idp.oidc.logout import deliver_pending as deliver_logouts
from idp.secevents.delivery import deliver_pending
from idp.secevents.models import SecurityEventDelivery
from idp.secevents.tokens import security_event_token
from tests.demo_rp.iqea.conftest import Visitor
from tests.demo_rp.iqea.test_session_lifecycle import (
    auth_of,
    services_of,
    sign_in_then_lose_the_proxy,
    signed_in,
)
from tests.oidc.live_server import LiveServer

SET_MEDIA_TYPE = "application/secevent+jwt"
EMITTER_NEQ = "1170000001"


def rights_event(neq: str, rights: list[str]) -> dict[str, Any]:
    """A token-claims-change: the person's rights at the MELCCFP as they now stand."""
    details = [
        {"type": "clicsequr_rights", "ministry": "melccfp", "enterprise": neq, "rights": rights}
    ]
    return {"claims": {"authorization_details": details} if rights else {}}


def provider_set(runtime: Any, sub: str, event: dict[str, Any]) -> str:
    """A SET signed as the provider signs them (idp/secevents/tokens.py)."""
    token, _jti = security_event_token(
        runtime,
        runtime.registry.client("iqea"),
        subject=sub,
        event_type=TOKEN_CLAIMS_CHANGE,
        event=event,
        occurred_at=datetime.now(UTC),
    )
    return token


def push(site: Any, token: str, content_type: str = SET_MEDIA_TYPE) -> Any:
    return site.test_client().post(
        "/auth/security-events", data=token, headers={"Content-Type": content_type}
    )


def stored_events(site: Any) -> int:
    with services_of(site) as found, found.database.connect() as connection:
        return int(connection.execute("SELECT COUNT(*) FROM security_events").fetchone()[0])


# -- from the provider, for real --------------------------------------------------------------


def test_a_cancelled_proxy_is_pushed_and_the_holder_is_told_why_the_session_ended(
    operator: Visitor, site: Any, world: Any, runtime: Any
) -> None:
    sign_in_then_lose_the_proxy(operator, world, runtime)

    # What the provider does after the request that cancelled it (or its scheduler).
    [delivery] = deliver_pending(db.session, runtime)

    assert delivery.delivered_at is not None, delivery.last_error
    assert ("POST", "/auth/security-events") in site.extensions["test.live_server"].requests
    home = operator.client.get("/").get_data(as_text=True)
    assert "Vos droits ont changé" in home
    assert "Aucun : vos droits ne permettent plus d&#39;utiliser l&#39;IQEA." in home
    assert "Votre session à l&#39;IQEA a donc pris fin." in home
    assert "Se connecter avec clicSÉQUR" in home
    # Told again on the next page (until a new sign-in), and not signed in.
    assert "Vos droits ont changé" in operator.client.get("/").get_data(as_text=True)
    assert not signed_in(operator)


def test_the_notice_follows_a_back_channel_logout_that_came_first(
    operator: Visitor, site: Any, world: Any, runtime: Any
) -> None:
    """The provider's two messages race: the session may already be gone when the SET comes."""
    sign_in_then_lose_the_proxy(operator, world, runtime)
    [logout] = deliver_logouts(db.session, runtime)
    assert logout.delivered_at is not None
    assert "Vos droits ont changé" not in operator.client.get("/").get_data(as_text=True)

    [delivery] = deliver_pending(db.session, runtime)

    assert delivery.delivered_at is not None, delivery.last_error
    home = operator.client.get("/").get_data(as_text=True)
    assert "Aucun : vos droits ne permettent plus d&#39;utiliser l&#39;IQEA." in home
    assert "Se connecter avec clicSÉQUR" in home


def test_an_ended_session_is_remembered_for_an_hour(
    operator: Visitor, site: Any, runtime: Any, site_clock: Any
) -> None:
    operator.sign_in()
    sub = auth_of(operator)["sub"]
    assert push(site, provider_set(runtime, sub, rights_event(EMITTER_NEQ, []))).status_code == 202

    site_clock.advance(minutes=61)

    home = operator.client.get("/").get_data(as_text=True)
    assert "Vos droits ont changé" not in home
    assert "Se connecter avec clicSÉQUR" in home


def test_rights_that_still_allow_iqea_are_shown_and_the_session_goes_on(
    operator: Visitor, site: Any, runtime: Any
) -> None:
    operator.sign_in()
    sub = auth_of(operator)["sub"]
    token = provider_set(runtime, sub, rights_event(EMITTER_NEQ, ["melccfp.iqea.verifier"]))

    response = push(site, token)

    assert response.status_code == 202
    assert response.headers["Cache-Control"] == "no-store"
    home = operator.client.get("/").get_data(as_text=True)
    assert "Vos droits ont changé" in home
    assert f"Entreprise NEQ {EMITTER_NEQ} :" in home
    assert "Identification du vérificateur" in home.split("Vos droits ont changé")[1]
    assert "a donc pris fin" not in home
    assert signed_in(operator)
    english = operator.client.get("/langue/en?next=/", follow_redirects=True)
    assert "Your rights have changed" in english.get_data(as_text=True)


def test_an_event_before_the_sign_in_is_not_shown(
    operator: Visitor, site: Any, runtime: Any, site_clock: Any
) -> None:
    operator.sign_in()
    sub = auth_of(operator)["sub"]
    assert push(site, provider_set(runtime, sub, rights_event(EMITTER_NEQ, []))).status_code == 202
    assert not signed_in(operator)

    site_clock.advance(seconds=5)
    operator.sign_in()

    assert "Vos droits ont changé" not in operator.client.get("/").get_data(as_text=True)


def test_an_event_about_someone_else_leaves_the_session_alone(
    operator: Visitor, site: Any, runtime: Any
) -> None:
    operator.sign_in()

    assert push(site, provider_set(runtime, "another-sub", rights_event(EMITTER_NEQ, [])))

    home = operator.client.get("/").get_data(as_text=True)
    assert signed_in(operator)
    assert "Vos droits ont changé" not in home


# -- refused ----------------------------------------------------------------------------------


def forged(runtime: Any, issuer: str, subject: str, header: dict[str, Any], **changes: Any) -> str:
    """A SET as the provider would sign it, with ``changes`` (None removes a claim)."""
    signing = runtime.keystore.signing_key("RS256")
    claims: dict[str, Any] = {
        "iss": issuer,
        "jti": secrets.token_urlsafe(16),
        "iat": int(time.time()),
        "aud": "iqea",
        "sub_id": {"format": "iss_sub", "iss": issuer, "sub": subject},
        "events": {TOKEN_CLAIMS_CHANGE: rights_event(EMITTER_NEQ, [])},
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    key = header.pop("key", signing.key)
    full_header = {"alg": "RS256", "kid": signing.kid, "typ": "secevent+jwt", **header}
    return jwt.encode(full_header, claims, key)


# name: (claims changed, header changed (``key``: sign with it), the RFC 8935 err expected)
FORGERIES: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "bad_signature": ({}, {"key": RSAKey.generate_key(2048)}, "authentication_failed"),
    "unknown_key": ({}, {"key": RSAKey.generate_key(2048), "kid": "not-ours"}, "invalid_key"),
    "another_issuer": ({"iss": "https://attacker.example"}, {}, "invalid_issuer"),
    "another_audience": ({"aud": "amf-portal"}, {}, "invalid_audience"),
    "not_a_set": ({}, {"typ": "JWT"}, "invalid_request"),
    "a_logout_token": ({}, {"typ": "logout+jwt"}, "invalid_request"),
    "without_iat": ({"iat": None}, {}, "invalid_request"),
    "from_the_future": ({"iat": int(time.time()) + 3600}, {}, "invalid_request"),
    "too_old": ({"iat": int(time.time()) - 3 * 86400}, {}, "invalid_request"),
    "without_jti": ({"jti": None}, {}, "invalid_request"),
    "with_a_sub": ({"sub": "someone"}, {}, "invalid_request"),
    "with_an_exp": ({"exp": int(time.time()) + 60}, {}, "invalid_request"),
    "two_events": (
        {"events": {TOKEN_CLAIMS_CHANGE: {}, "https://example.com/other": {}}},
        {},
        "invalid_request",
    ),
    "subject_of_another_issuer": (
        {"sub_id": {"format": "iss_sub", "iss": "https://attacker.example", "sub": "x"}},
        {},
        "invalid_request",
    ),
    "subject_by_email": (
        {"sub_id": {"format": "email", "email": "jean.roy@example.com"}},
        {},
        "invalid_request",
    ),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_set_is_refused_with_the_rfc_8935_error(
    forgery: str, operator: Visitor, site: Any, runtime: Any, provider: LiveServer
) -> None:
    operator.sign_in()
    changes, header, err = FORGERIES[forgery]
    token = forged(runtime, provider.url, auth_of(operator)["sub"], dict(header), **changes)

    response = push(site, token)

    assert response.status_code == 400
    assert response.get_json()["err"] == err
    assert response.get_json()["description"]
    assert signed_in(operator)
    assert stored_events(site) == 0


@pytest.mark.parametrize("content_type", ["application/jwt", "application/json", "text/plain", ""])
def test_another_media_type_is_refused(
    content_type: str, operator: Visitor, site: Any, runtime: Any
) -> None:
    operator.sign_in()
    token = provider_set(runtime, auth_of(operator)["sub"], rights_event(EMITTER_NEQ, []))

    response = push(site, token, content_type)

    assert response.status_code == 400
    assert response.get_json() == {
        "err": "invalid_request",
        "description": "the body must be application/secevent+jwt",
    }
    assert signed_in(operator)


@pytest.mark.parametrize("body", ["", "not.a.jwt", "a.b", "eyJhbGciOiJub25lIn0.e30."])
def test_a_body_that_is_no_signed_jwt_is_refused(body: str, site: Any) -> None:
    response = push(site, body)

    assert response.status_code == 400
    assert response.get_json()["err"] == "invalid_request"


def test_a_set_counts_once_and_its_repeat_is_acknowledged(site: Any, runtime: Any) -> None:
    """The provider sends a SET again when the site's 202 was lost: the repeat gets 202 (it did
    arrive) and is recorded and acted on once."""
    token = provider_set(runtime, "someone", rights_event(EMITTER_NEQ, ["melccfp.iqea.operator"]))

    assert push(site, token).status_code == 202
    assert push(site, token).status_code == 202
    assert stored_events(site) == 1


def test_another_set_under_a_jti_already_received_is_refused(
    operator: Visitor, site: Any, runtime: Any, provider: LiveServer
) -> None:
    operator.sign_in()
    sub = auth_of(operator)["sub"]
    first = forged(runtime, provider.url, sub, {}, jti="the-same-jti")
    other_event = {TOKEN_CLAIMS_CHANGE: rights_event(EMITTER_NEQ, ["melccfp.iqea.operator"])}
    second = forged(runtime, provider.url, sub, {}, jti="the-same-jti", events=other_event)
    assert push(site, first).status_code == 202

    refused = push(site, second)

    assert refused.status_code == 400
    assert refused.get_json() == {"err": "invalid_request", "description": "jti already received"}
    assert stored_events(site) == 1


def test_the_provider_retrying_a_set_that_arrived_records_it_delivered(
    operator: Visitor, site: Any, world: Any, runtime: Any
) -> None:
    """A first try whose 202 was lost: the retry is acknowledged, not recorded as refused."""
    sign_in_then_lose_the_proxy(operator, world, runtime)
    row = db.session.scalars(select(SecurityEventDelivery)).one()
    assert push(site, row.token).status_code == 202  # it arrived, the answer was lost

    deliver_pending(db.session, runtime)

    assert row.delivered_at is not None
    assert row.last_error is None
    assert stored_events(site) == 1
