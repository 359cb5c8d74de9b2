"""Logout: back-channel notifications (Back-Channel Logout 1.0) and RP-initiated logout.

Every way a session or an access ends (sign-out, timeout, suspension, proxy cancelled or
expired, a fresh sign-in replacing the session, a relying party asking for logout) must reach
the relying parties that took part, each with a logout token naming the person as *that*
relying party knows them (pairwise ``sub``) and the session (``sid``). Deliveries go through the
outbox; a relying party that does not answer is retried by ``idp lifecycle run`` up to a limit.

The relying parties' back-channel endpoints are intercepted with ``responses`` (the Flask test
client does not use ``requests``, so only the provider's outgoing calls are caught).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import select

from idp.accounts.models import Account, AccountStatus, UserSession
from idp.audit.models import AuditEvent
from idp.enterprises.lifecycle import decide
from idp.enterprises.lifecycle_policy import Transition
from idp.enterprises.models import EnterpriseStatus
from idp.enterprises.user_files import set_status
from idp.extensions import db
from idp.ministries.queries import registration_of
from idp.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT
from idp.oidc.logout import MAX_ATTEMPTS, on_enterprise_changed
from idp.oidc.models import Grant, LogoutNotification
from idp.proxies.models import Proxy, ProxyStatus
from tests.conftest import TEST_PASSWORD, Auth, Person, csrf_token
from tests.enterprises.onboarding_helpers import provider_operator
from tests.ministries.test_views import operator_person as ministry_operator_person
from tests.oidc.conftest import (
    AMF_BACKCHANNEL,
    AMF_CALLBACK,
    AMF_SCOPES,
    IQEA_BACKCHANNEL,
    IQEA_CALLBACK,
    IQEA_LOGOUT,
    IQEA_SCOPES,
    AuthorizationRequest,
    Browser,
    basic_auth,
    client_key,
    exchange,
)

ALGORITHMS = ["RS256", "PS256", "ES256"]
# Without offline_access: the grant lives and dies with the browser session.
IQEA_SESSION_SCOPES = [scope for scope in IQEA_SCOPES if scope != "offline_access"]
LOGOUT_PATH = "/oidc/logout"
USERS = "/entreprise/utilisateurs"
PROXIES = "/entreprise/procurations"


# -- helpers -----------------------------------------------------------------------------------


@dataclass
class SignedIn:
    """What a relying party holds after the code exchange."""

    client_id: str
    request: AuthorizationRequest
    tokens: dict[str, Any]
    id_claims: dict[str, Any]

    @property
    def id_token(self) -> str:
        return str(self.tokens["id_token"])

    @property
    def sub(self) -> str:
        return str(self.id_claims["sub"])

    @property
    def sid(self) -> str:
        return str(self.id_claims["sid"])


def published_keys(client: Any) -> KeySet:
    return KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())


def id_token_claims(client: Any, id_token: str) -> dict[str, Any]:
    return dict(jwt.decode(id_token, published_keys(client), ALGORITHMS).claims)


def new_browser(app: Any, smtp: Any) -> Browser:
    """A second browser (its own cookies) on the same provider."""
    test_client = app.test_client()
    return Browser(test_client, Auth(test_client, smtp))


def sign_in_to(
    browser: Browser,
    person: Person,
    client_secrets: Any,
    client_id: str = "iqea",
    *,
    enterprise_id: int | None = None,
    **extra: str,
) -> SignedIn:
    """Sign in (if needed), consent and exchange the code, as the relying party would."""
    if client_id == "amf-portal":
        request = browser.request("amf-portal", AMF_CALLBACK, AMF_SCOPES, **extra)
    else:
        request = browser.request(client_id, IQEA_CALLBACK, IQEA_SESSION_SCOPES, **extra)
    params = browser.authorize(person, request, enterprise_id=enterprise_id)
    response = exchange(browser.client, request, params["code"], client_secrets[client_id])
    assert response.status_code == 200, response.get_data(as_text=True)
    tokens = response.get_json()
    claims = id_token_claims(browser.client, tokens["id_token"])
    assert claims["aud"] == client_id
    assert claims["sid"]
    return SignedIn(client_id, request, tokens, claims)


def refresh(client: Any, signed_in: SignedIn, client_secrets: Any) -> Any:
    return client.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": signed_in.tokens["refresh_token"]},
        headers=basic_auth(signed_in.client_id, client_secrets[signed_in.client_id]),
    )


def posted_tokens(rsps: responses.RequestsMock, uri: str) -> list[str]:
    """The logout tokens posted to a back-channel URI, in order."""
    found = []
    for call in rsps.calls:
        if call.request.url != uri:
            continue
        body = call.request.body
        text = body.decode("ascii") if isinstance(body, bytes) else str(body)
        assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        [token] = parse_qs(text)["logout_token"]
        found.append(token)
    return found


def check_logout_token(
    token: str, keys: KeySet, signed_in: SignedIn, runtime: Any, clock: Any
) -> dict[str, Any]:
    """Verify the signature and every member Back-Channel Logout 1.0 section 2.4 asks for."""
    decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    assert decoded.header["typ"] == "logout+jwt"
    assert (
        decoded.header["alg"]
        == runtime.registry.client(signed_in.client_id).id_token_signed_response_alg
    )
    claims = decoded.claims
    JWTClaimsRegistry(
        now=int(clock.now.timestamp()),
        iss={"essential": True, "value": runtime.settings.issuer},
        aud={"essential": True, "value": signed_in.client_id},
        sub={"essential": True, "value": signed_in.sub},
        sid={"essential": True, "value": signed_in.sid},
        iat={"essential": True},
        exp={"essential": True},
        jti={"essential": True},
    ).validate(claims)
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert "nonce" not in claims
    return claims


def notifications(client_id: str | None = None) -> list[LogoutNotification]:
    db.session.expire_all()
    query = select(LogoutNotification).order_by(LogoutNotification.id)
    if client_id is not None:
        query = query.where(LogoutNotification.client_id == client_id)
    return list(db.session.scalars(query))


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def session_row(sid: str) -> UserSession:
    db.session.expire_all()
    return db.session.scalars(select(UserSession).where(UserSession.sid == sid)).one()


def grant_of(signed_in: SignedIn) -> Grant:
    db.session.expire_all()
    session_id = session_row(signed_in.sid).id
    return db.session.scalars(
        select(Grant).where(Grant.client_id == signed_in.client_id, Grant.session_id == session_id)
    ).one()


def is_signed_in(client: Any) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    return False


def lifecycle_run(app: Any) -> str:
    result = app.test_cli_runner().invoke(args=["lifecycle", "run"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def logout_url(**params: str) -> str:
    return f"{LOGOUT_PATH}?{urlencode(params)}" if params else LOGOUT_PATH


def proxy_of_operator(world: Any) -> Proxy:
    return db.session.scalars(
        select(Proxy).where(
            Proxy.enterprise_id == world.emitter.id, Proxy.description == "Déclarations IQEA"
        )
    ).one()


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def rps() -> Iterator[responses.RequestsMock]:
    """Both back-channel endpoints, answering 200 unless a test says otherwise."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(IQEA_BACKCHANNEL, status=200)
        mock.post(AMF_BACKCHANNEL, status=200)
        yield mock


@pytest.fixture
def keys(app: Any) -> KeySet:
    """The published key set, fetched as a relying party does (no browser cookie)."""
    return published_keys(app.test_client())


@pytest.fixture
def esm(world: Any) -> Person:
    """Marie Tremblay, ESM of the emitter, active at MELCCFP and AMF: she holds every right."""
    return Person(world.esm, TEST_PASSWORD)


@pytest.fixture
def english(client: Any) -> None:
    client.set_cookie("idp_lang", "en")


# -- sign-out on the provider ------------------------------------------------------------------


def test_sign_out_notifies_every_relying_party_of_the_session(
    client, auth, browser, esm, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    amf = sign_in_to(browser, esm, client_secrets, "amf-portal")
    assert iqea.sid == amf.sid  # one browser session
    assert iqea.sub != amf.sub  # pairwise: each ministry knows the person under its own sub
    assert len(rps.calls) == 0

    auth.sign_out()

    [iqea_token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    [amf_token] = posted_tokens(rps, AMF_BACKCHANNEL)
    iqea_claims = check_logout_token(iqea_token, keys, iqea, runtime, clock)
    amf_claims = check_logout_token(amf_token, keys, amf, runtime, clock)
    assert iqea_claims["jti"] != amf_claims["jti"]

    rows = notifications()
    assert {row.client_id for row in rows} == {"iqea", "amf-portal"}
    for row in rows:
        assert row.delivered_at == clock.now
        assert row.attempts == 1
        assert row.last_error is None
        assert row.sid == iqea.sid
    delivered = audit_events("oidc:backchannel:deliver")
    assert {event.details["relying_party"] for event in delivered} == {"iqea", "amf-portal"}
    assert {event.outcome for event in delivered} == {"success"}
    assert {event.subject_account_id for event in delivered} == {esm.account.id}

    for signed_in in (iqea, amf):
        assert grant_of(signed_in).revoked_at is not None
        answer = refresh(client, signed_in, client_secrets)
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert answer.get_json()["error"] == "invalid_grant"
    assert not is_signed_in(client)


def test_a_relying_party_the_person_did_not_use_hears_nothing(
    client, auth, browser, esm, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    auth.sign_out()
    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, iqea, runtime, clock)
    assert posted_tokens(rps, AMF_BACKCHANNEL) == []
    assert [row.client_id for row in notifications()] == ["iqea"]


def test_offline_access_survives_sign_out_but_the_logout_is_still_sent(
    client, auth, browser, esm, client_secrets, rps, runtime, clock, keys
):
    request = browser.request(scope=IQEA_SCOPES)
    params = browser.authorize(esm, request)
    tokens = exchange(client, request, params["code"], client_secrets["iqea"]).get_json()
    claims = id_token_claims(client, tokens["id_token"])
    offline = SignedIn("iqea", request, tokens, claims)

    auth.sign_out()

    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, offline, runtime, clock)
    assert grant_of(offline).revoked_at is None
    assert refresh(client, offline, client_secrets).status_code == 200


def test_two_sign_ins_to_one_site_in_a_session_give_one_logout_token(
    client, auth, browser, esm, client_secrets, rps, runtime, clock, keys
):
    first = sign_in_to(browser, esm, client_secrets, "iqea")
    second = sign_in_to(browser, esm, client_secrets, "iqea")
    assert (first.sid, first.sub) == (second.sid, second.sub)
    auth.sign_out()
    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, second, runtime, clock)
    assert len(notifications()) == 1


# -- other ways a session or an access ends ----------------------------------------------------


def test_idle_timeout_notifies_once_the_session_loader_ends_the_session(
    client, browser, esm, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    amf = sign_in_to(browser, esm, client_secrets, "amf-portal")
    clock.advance(seconds=runtime.settings.session_idle_timeout_seconds + 1)
    assert len(rps.calls) == 0  # nothing happens until a request finds the session stale

    assert not is_signed_in(client)

    assert session_row(iqea.sid).end_reason == "idle_timeout"
    [iqea_token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    [amf_token] = posted_tokens(rps, AMF_BACKCHANNEL)
    check_logout_token(iqea_token, keys, iqea, runtime, clock)
    check_logout_token(amf_token, keys, amf, runtime, clock)
    assert all(row.delivered_at is not None for row in notifications())
    assert refresh(client, iqea, client_secrets).status_code == 400


def test_suspension_by_the_esm_notifies_at_once(
    app, client, browser, smtp, esm, operator_person, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, operator_person, client_secrets, "iqea")

    manager = Auth(app.test_client(), smtp)
    manager.sign_in(esm)
    path = f"{USERS}/{operator_person.account.id}/statut/suspendre"
    response = manager.form_post(path, {})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.get(Account, operator_person.account.id).status == AccountStatus.SUSPENDED

    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, iqea, runtime, clock)
    assert session_row(iqea.sid).end_reason == "account_inactive"
    [row] = notifications("iqea")
    assert row.delivered_at is not None
    assert refresh(client, iqea, client_secrets).status_code == 400
    assert not is_signed_in(client)
    assert is_signed_in(manager.client)  # the ESM's own session is untouched


def test_a_new_password_ends_the_other_sessions_and_notifies_their_sites(
    app, client, browser, smtp, operator_person, client_secrets, rps, runtime, clock, keys
):
    """Changing one's password on one browser (as after a theft) ends the person's sessions
    elsewhere: their refresh tokens stop working and IQEA hears of it at once; the session
    where the password was changed stays."""
    elsewhere = sign_in_to(browser, operator_person, client_secrets, "iqea")

    here = Auth(app.test_client(), smtp)
    here.sign_in(operator_person)
    new_password = "Orignal-Tempete-Ardoise-42"
    response = here.form_post(
        "/mot-de-passe",
        {
            "current_password": operator_person.password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, elsewhere, runtime, clock)
    assert session_row(elsewhere.sid).end_reason == "password_changed"
    assert refresh(client, elsewhere, client_secrets).status_code == 400
    assert not is_signed_in(client)
    assert is_signed_in(here.client)
    [change] = audit_events("accounts:password:change")
    assert change.details["sessions_ended"] == 1


def test_suspension_outside_a_request_is_delivered_by_the_lifecycle_run(
    app, client, browser, world, operator_person, client_secrets, rps, runtime, clock, keys
):
    """A service call made outside a web request (a script, a job) queues the notification;
    nothing sends it at once, the lifecycle run does."""
    iqea = sign_in_to(browser, operator_person, client_secrets, "iqea")
    set_status(db.session, runtime, world.esm, operator_person.account, AccountStatus.SUSPENDED)
    db.session.commit()
    [row] = notifications()
    assert (row.delivered_at, row.attempts) == (None, 0)

    assert "back-channel logouts delivered: 1 of 1" in lifecycle_run(app)

    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, iqea, runtime, clock)
    assert session_row(iqea.sid).end_reason == "account_inactive"
    assert refresh(client, iqea, client_secrets).status_code == 400


def test_cancelled_proxy_ends_only_the_holder_grant_and_keeps_the_session(
    app,
    client,
    browser,
    smtp,
    esm,
    world,
    operator_person,
    client_secrets,
    rps,
    runtime,
    clock,
    keys,
):
    holder = sign_in_to(browser, operator_person, client_secrets, "iqea")
    manager = new_browser(app, smtp)
    own = sign_in_to(manager, esm, client_secrets, "iqea")
    assert holder.sub != own.sub

    proxy = proxy_of_operator(world)
    response = manager.auth.form_post(f"{PROXIES}/{proxy.id}/annulation", {})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.get(Proxy, proxy.id).status == ProxyStatus.CANCELLED

    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, holder, runtime, clock)
    assert grant_of(holder).revoke_reason == "rights_lost"
    assert refresh(client, holder, client_secrets).status_code == 400
    [row] = notifications()
    assert (row.account_id, row.delivered_at) == (operator_person.account.id, clock.now)

    # The holder is still signed in to the provider; the ESM keeps her own access.
    assert session_row(holder.sid).ended_at is None
    assert is_signed_in(client)
    assert grant_of(own).revoked_at is None
    assert refresh(manager.client, own, client_secrets).status_code == 200


def test_a_fresh_sign_in_replaces_the_session_and_notifies(
    client, browser, esm, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    amf = sign_in_to(browser, esm, client_secrets, "amf-portal")
    clock.advance(minutes=5)

    again = sign_in_to(browser, esm, client_secrets, "iqea", prompt="login")

    assert again.sid != iqea.sid
    assert again.sub == iqea.sub
    assert session_row(iqea.sid).end_reason == "replaced"
    [iqea_token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    [amf_token] = posted_tokens(rps, AMF_BACKCHANNEL)
    check_logout_token(iqea_token, keys, iqea, runtime, clock)
    check_logout_token(amf_token, keys, amf, runtime, clock)
    assert refresh(client, iqea, client_secrets).status_code == 400
    assert refresh(client, again, client_secrets).status_code == 200


def test_expired_proxy_ends_the_grant_at_the_lifecycle_run(
    app, client, browser, operator_person, world, client_secrets, rps, runtime, clock, keys
):
    holder = sign_in_to(browser, operator_person, client_secrets, "iqea")
    assert proxy_of_operator(world).ends_on == date(2027, 6, 30)
    clock.now = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)

    output = lifecycle_run(app)

    assert "proxies expired: 1" in output
    assert "grants ended: 1" in output
    assert "back-channel logouts delivered: 1 of 1" in output
    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, holder, runtime, clock)
    assert grant_of(holder).revoke_reason == "rights_lost"
    [row] = notifications()
    assert row.delivered_at == clock.now
    # Running again changes nothing and sends nothing.
    assert "back-channel logouts delivered: 0 of 0" in lifecycle_run(app)
    assert len(posted_tokens(rps, IQEA_BACKCHANNEL)) == 1


# -- a relying party that does not answer ------------------------------------------------------


def test_failed_delivery_stays_in_the_outbox_and_the_lifecycle_run_retries(
    app, client, auth, browser, esm, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    rps.upsert(responses.POST, IQEA_BACKCHANNEL, status=500)

    auth.sign_out()

    assert not is_signed_in(client)  # the session ends whatever the site answers
    [row] = notifications()
    assert (row.delivered_at, row.attempts, row.last_error) == (None, 1, "HTTP 500")
    [failure] = audit_events("oidc:backchannel:deliver")
    assert failure.outcome == "failure"
    [first] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(first, keys, iqea, runtime, clock)

    clock.advance(minutes=10)
    rps.upsert(responses.POST, IQEA_BACKCHANNEL, status=200)
    output = lifecycle_run(app)

    assert "back-channel logouts delivered: 1 of 1" in output
    [row] = notifications()
    assert (row.delivered_at, row.attempts, row.last_error) == (clock.now, 2, None)
    again, second = posted_tokens(rps, IQEA_BACKCHANNEL)
    assert again == first
    retried = check_logout_token(second, keys, iqea, runtime, clock)
    assert retried["iat"] == int(clock.now.timestamp())  # a fresh token, not the stale one
    assert [e.outcome for e in audit_events("oidc:backchannel:deliver")] == ["failure", "success"]
    assert "back-channel logouts delivered: 0 of 0" in lifecycle_run(app)


def test_delivery_gives_up_after_the_maximum_attempts(app, auth, browser, esm, client_secrets, rps):
    sign_in_to(browser, esm, client_secrets, "iqea")
    rps.upsert(responses.POST, IQEA_BACKCHANNEL, status=500)
    auth.sign_out()
    for _ in range(MAX_ATTEMPTS + 2):
        lifecycle_run(app)

    assert MAX_ATTEMPTS == 5
    assert len(posted_tokens(rps, IQEA_BACKCHANNEL)) == MAX_ATTEMPTS
    [row] = notifications()
    assert (row.delivered_at, row.attempts, row.last_error) == (None, MAX_ATTEMPTS, "HTTP 500")
    assert len(audit_events("oidc:backchannel:deliver")) == MAX_ATTEMPTS


# -- RP-initiated logout -----------------------------------------------------------------------


def test_logout_with_id_token_hint_ends_the_session_at_once(
    client, browser, esm, client_secrets, rps, runtime, clock, keys
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    amf = sign_in_to(browser, esm, client_secrets, "amf-portal")

    response = client.get(
        logout_url(id_token_hint=iqea.id_token, post_logout_redirect_uri=IQEA_LOGOUT, state="xyz")
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"{IQEA_LOGOUT}?state=xyz"
    assert session_row(iqea.sid).end_reason == "relying_party_logout"
    assert not is_signed_in(client)
    [amf_token] = posted_tokens(rps, AMF_BACKCHANNEL)
    check_logout_token(amf_token, keys, amf, runtime, clock)
    [event] = audit_events("oidc:session:logout")
    assert event.details["relying_party"] == "iqea"


def test_logout_with_only_client_id_asks_for_confirmation(
    client, browser, esm, client_secrets, rps, english
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    url = logout_url(client_id="iqea", post_logout_redirect_uri=IQEA_LOGOUT)

    page = client.get(url)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="confirm"' in html
    token = csrf_token(html)
    assert is_signed_in(client)
    assert session_row(iqea.sid).ended_at is None
    assert len(rps.calls) == 0

    response = client.post(url, data={"csrf_token": token, "confirm": "1"})

    assert response.status_code == 302
    assert response.headers["Location"] == IQEA_LOGOUT
    assert session_row(iqea.sid).end_reason == "relying_party_logout"
    assert not is_signed_in(client)
    assert len(posted_tokens(rps, IQEA_BACKCHANNEL)) == 1


@pytest.mark.parametrize(
    "params",
    [{}, {"client_id": "iqea"}, {"client_id": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT}],
    ids=["bare", "client-id", "client-id-and-uri"],
)
def test_a_link_on_another_site_cannot_sign_the_person_out(
    client, browser, esm, client_secrets, rps, params
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    response = client.get(
        logout_url(**params),
        headers={"Referer": "https://evil.example/page", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert session_row(iqea.sid).ended_at is None
    assert is_signed_in(client)
    assert len(rps.calls) == 0


def test_confirmation_without_csrf_token_does_not_sign_out(
    client, browser, esm, client_secrets, rps
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    url = logout_url(client_id="iqea", post_logout_redirect_uri=IQEA_LOGOUT)
    for data in ({"confirm": "1"}, {"confirm": "1", "csrf_token": "forged"}):
        response = client.post(url, data=data)
        assert response.status_code == 200
        assert "Location" not in response.headers
        assert 'name="confirm"' in response.get_data(as_text=True)
    assert session_row(iqea.sid).ended_at is None
    assert is_signed_in(client)
    assert len(rps.calls) == 0


def forged_hint(signed_in: SignedIn, runtime: Any) -> str:
    """The same claims, signed by a key that is not the provider's (but claiming its kid)."""
    kid = runtime.keystore.signing_key("RS256").kid
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    key: RSAKey = client_key()
    return jwt.encode(header, signed_in.id_claims, key, algorithms=["RS256"])


def unsigned_hint(signed_in: SignedIn) -> str:
    """The same claims with ``alg: none`` and no signature."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(signed_in.id_claims)}."


OPEN_REDIRECTS = {
    "unregistered-uri": {"client_id": "iqea", "post_logout_redirect_uri": "https://evil.example/"},
    "other-client-uri": {"client_id": "iqea", "post_logout_redirect_uri": AMF_CALLBACK},
    "trailing-slash": {"client_id": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT + "/"},
    "extra-query": {"client_id": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT + "?next=x"},
    "suffix": {"client_id": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT + ".evil.example"},
    "prefix": {"client_id": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT[:-1]},
    "host-prefix": {
        "client_id": "iqea",
        "post_logout_redirect_uri": IQEA_LOGOUT.replace(".ca/", ".ca.evil.example/"),
    },
    "upper-case": {"client_id": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT.upper()},
    "no-client": {"post_logout_redirect_uri": IQEA_LOGOUT},
    "unknown-client": {"client_id": "nobody", "post_logout_redirect_uri": IQEA_LOGOUT},
    "hint-unregistered-uri": {"hint": "iqea", "post_logout_redirect_uri": "https://evil.example/"},
    "hint-for-other-client": {
        "hint": "iqea",
        "client_id": "amf-portal",
        "post_logout_redirect_uri": IQEA_LOGOUT,
    },
    "forged-hint": {"hint": "forged", "post_logout_redirect_uri": IQEA_LOGOUT},
    "unsigned-hint": {"hint": "unsigned", "post_logout_redirect_uri": IQEA_LOGOUT},
    "hint-of-other-client-uri": {"hint": "amf-portal", "post_logout_redirect_uri": IQEA_LOGOUT},
    "malformed-hint": {"id_token_hint": "not.a.jwt", "post_logout_redirect_uri": IQEA_LOGOUT},
    # Out of bounds (idp/oidc/parameters.py): neither followed nor carried along.
    "1-mb-state": {"hint": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT, "state": "s" * 10**6},
    "line-break-in-state": {
        "hint": "iqea",
        "post_logout_redirect_uri": IQEA_LOGOUT,
        "state": "s\r\nSet-Cookie: x=1",
    },
    "non-ascii-redirect-uri": {"hint": "iqea", "post_logout_redirect_uri": IQEA_LOGOUT + "\u00e9"},
}


@pytest.mark.parametrize("case", list(OPEN_REDIRECTS), ids=list(OPEN_REDIRECTS))
def test_logout_never_redirects_to_an_address_not_registered(
    client, browser, esm, client_secrets, rps, runtime, case
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    params = dict(OPEN_REDIRECTS[case])
    hint = params.pop("hint", None)
    if hint == "iqea":
        params["id_token_hint"] = iqea.id_token
    elif hint == "forged":
        params["id_token_hint"] = forged_hint(iqea, runtime)
    elif hint == "unsigned":
        params["id_token_hint"] = unsigned_hint(iqea)
    elif hint == "amf-portal":
        params["id_token_hint"] = sign_in_to(browser, esm, client_secrets, "amf-portal").id_token

    for response in (client.get(logout_url(**params)), client.post(LOGOUT_PATH, data=params)):
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert "Location" not in response.headers
        html = response.get_data(as_text=True)
        assert "invalid_request" in html
    assert session_row(iqea.sid).ended_at is None
    assert is_signed_in(client)
    assert len(rps.calls) == 0


def test_logout_without_parameters_or_session_shows_the_signed_out_page(client, english):
    response = client.get(LOGOUT_PATH)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LOGOUT_PATH}/termine"
    response = client.get(response.headers["Location"])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You are signed out" in html
    assert 'name="confirm"' not in html


def test_logout_with_an_expired_hint_of_the_session_still_signs_out(
    client, browser, esm, client_secrets, rps, runtime, clock
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    # The ID token expires long before the session ends (RP-Initiated Logout 1.0 section 2).
    lifetime = runtime.settings.oidc_id_token_lifetime_seconds
    assert lifetime < runtime.settings.session_idle_timeout_seconds
    clock.advance(seconds=lifetime + 60)
    response = client.get(
        logout_url(id_token_hint=iqea.id_token, post_logout_redirect_uri=IQEA_LOGOUT)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == IQEA_LOGOUT
    assert session_row(iqea.sid).end_reason == "relying_party_logout"


def test_a_hint_from_an_earlier_session_asks_for_confirmation(
    client, browser, esm, client_secrets, rps, clock
):
    earlier = sign_in_to(browser, esm, client_secrets, "iqea")
    clock.advance(minutes=1)
    current = sign_in_to(browser, esm, client_secrets, "iqea", prompt="login")
    rps.calls.reset()

    page = client.get(
        logout_url(id_token_hint=earlier.id_token, post_logout_redirect_uri=IQEA_LOGOUT)
    )

    assert page.status_code == 200
    assert 'name="confirm"' in page.get_data(as_text=True)
    assert session_row(current.sid).ended_at is None
    assert is_signed_in(client)
    assert len(rps.calls) == 0


def test_a_hint_alone_ends_the_session_and_shows_the_signed_out_page(
    client, browser, esm, client_secrets, rps, english
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    response = client.get(logout_url(id_token_hint=iqea.id_token))
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert "You are signed out" in response.get_data(as_text=True)
    assert session_row(iqea.sid).end_reason == "relying_party_logout"
    assert not is_signed_in(client)


def test_logout_request_after_the_session_ended_still_returns_to_the_site(
    client, auth, browser, esm, client_secrets, rps
):
    iqea = sign_in_to(browser, esm, client_secrets, "iqea")
    auth.sign_out()
    sent = len(rps.calls)
    response = client.get(
        logout_url(id_token_hint=iqea.id_token, post_logout_redirect_uri=IQEA_LOGOUT, state="s1")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{IQEA_LOGOUT}?state=s1"
    assert len(rps.calls) == sent  # nothing more to tell anyone


# -- the enterprise's standing and its registrations -------------------------------------------


def test_a_withdrawn_registration_ends_the_grants_there_and_notifies(
    app, client, browser, smtp, world, operator_person, client_secrets, rps, runtime, clock, keys
):
    """MELCCFP withdraws Aciérie's registration: IQEA hears at once that Jean Roy's access has
    ended, his refresh token stops working, and his session at the provider goes on."""
    iqea = sign_in_to(browser, operator_person, client_secrets, "iqea")
    ministry_operator = ministry_operator_person(runtime, "melccfp")
    registration = registration_of(db.session, world.emitter.id, "melccfp")

    staff = Auth(app.test_client(), smtp)
    staff.sign_in(ministry_operator)
    response = staff.form_post(
        f"/ministere/inscriptions/{registration.id}/retrait", {"reason": "Dossier fermé"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, iqea, runtime, clock)
    assert grant_of(iqea).revoke_reason == "rights_lost"
    assert refresh(client, iqea, client_secrets).status_code == 400
    assert session_row(iqea.sid).ended_at is None


@pytest.mark.parametrize("status", [EnterpriseStatus.SUSPENDED, EnterpriseStatus.CANCELLED])
def test_an_enterprise_no_longer_active_loses_every_grant_of_its_people(
    app,
    client,
    browser,
    smtp,
    esm,
    operator_person,
    client_secrets,
    rps,
    runtime,
    clock,
    keys,
    status,
):
    iqea = sign_in_to(browser, operator_person, client_secrets, "iqea")
    manager = new_browser(app, smtp)
    own = sign_in_to(manager, esm, client_secrets, "iqea")

    esm.account.enterprise.status = status
    assert on_enterprise_changed(db.session, runtime, esm.account.enterprise_id) == 2
    db.session.commit()
    assert "back-channel logouts delivered: 2 of 2" in lifecycle_run(app)

    for signed_in in (iqea, own):
        assert grant_of(signed_in).revoke_reason == "rights_lost"
        assert (
            refresh(
                browser.client if signed_in is iqea else manager.client, signed_in, client_secrets
            ).status_code
            == 400
        )
    assert len(posted_tokens(rps, IQEA_BACKCHANNEL)) == 2


def test_a_provider_operator_suspending_the_enterprise_ends_its_grants_at_once(
    app, client, browser, world, operator_person, client_secrets, rps, runtime, clock, keys
):
    """Through the operator console's service: the suspension itself revokes Jean Roy's IQEA
    grant and IQEA hears of it in the same request; reactivation gives the rights back."""
    iqea = sign_in_to(browser, operator_person, client_secrets, "iqea")
    staff = provider_operator(runtime)
    decide(
        db.session,
        runtime,
        staff.account,
        world.emitter.id,
        Transition.SUSPEND,
        reason="Vérification du dossier",
        verified_at=clock(),
    )
    db.session.commit()
    assert grant_of(iqea).revoke_reason == "rights_lost"
    assert "back-channel logouts delivered: 1 of 1" in lifecycle_run(app)
    [token] = posted_tokens(rps, IQEA_BACKCHANNEL)
    check_logout_token(token, keys, iqea, runtime, clock)
    assert refresh(client, iqea, client_secrets).status_code == 400

    decide(db.session, runtime, staff.account, world.emitter.id, Transition.REACTIVATE)
    db.session.commit()
    again = sign_in_to(browser, operator_person, client_secrets, "iqea")
    assert refresh(client, again, client_secrets).status_code == 200
