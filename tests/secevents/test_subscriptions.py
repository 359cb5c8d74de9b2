"""Security events through the pages: an ESM cancels a proxy, a person changes their password,
a proxy expires overnight; each site that knows the person receives a signed SET (RFC 8417) at
its endpoint (RFC 8935), and only those."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.events import RightsChanged, RightsWithdrawn, publish
from idp.extensions import db
from idp.proxies.models import Proxy
from idp.secevents.models import SecurityEventDelivery
from idp.secevents.tokens import CREDENTIAL_CHANGE, TOKEN_CLAIMS_CHANGE
from tests.oidc.test_logout import (
    PROXIES,
    lifecycle_run,
    new_browser,
    proxy_of_operator,
    published_keys,
    sign_in_to,
)
from tests.secevents.conftest import AMF_EVENTS, IQEA_EVENTS

ALGORITHMS = ["RS256", "PS256", "ES256"]


def pushed(receivers: responses.RequestsMock, endpoint: str) -> list[str]:
    """The SETs posted to ``endpoint``, in order, checked for RFC 8935's media types."""
    found = []
    for call in receivers.calls:
        if call.request.url != endpoint:
            continue
        assert call.request.headers["Content-Type"] == "application/secevent+jwt"
        assert call.request.headers["Accept"] == "application/json"
        body = call.request.body
        found.append(body.decode("ascii") if isinstance(body, bytes) else str(body))
    return found


def check_set(token: str, keys: KeySet, runtime: Any, client_id: str, sub: str) -> dict:
    """Signature, header and the members RFC 8417 and SSF ask for; returns the one event."""
    decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    assert decoded.header["typ"] == "secevent+jwt"
    assert decoded.header["alg"] == runtime.registry.client(client_id).id_token_signed_response_alg
    claims = decoded.claims
    assert claims["iss"] == runtime.settings.issuer
    assert claims["aud"] == client_id
    assert claims["jti"]
    assert claims["iat"]
    assert claims["sub_id"] == {"format": "iss_sub", "iss": runtime.settings.issuer, "sub": sub}
    assert "sub" not in claims
    assert "exp" not in claims
    [(event_type, event)] = claims["events"].items()
    return {"type": event_type, **event}


def rows() -> list[SecurityEventDelivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(SecurityEventDelivery).order_by(SecurityEventDelivery.id))
    )


@pytest.fixture
def keys(app: Any) -> KeySet:
    return published_keys(app.test_client())


@pytest.fixture
def esm(world: Any):
    from tests.conftest import TEST_PASSWORD, Person

    return Person(world.esm, TEST_PASSWORD)


def test_a_cancelled_proxy_reaches_the_holders_site_with_the_rights_now_held(
    app, browser, smtp, esm, world, operator_person, client_secrets, receivers, runtime, keys
):
    holder = sign_in_to(browser, operator_person, client_secrets, "iqea")
    manager = new_browser(app, smtp)
    sign_in_to(manager, esm, client_secrets, "iqea")

    proxy = proxy_of_operator(world)
    response = manager.auth.form_post(f"{PROXIES}/{proxy.id}/annulation", {})
    assert response.status_code == 302
    response.close()  # the events leave once the response has gone

    [token] = pushed(receivers, IQEA_EVENTS)
    event = check_set(token, keys, runtime, "iqea", holder.sub)
    assert event["type"] == TOKEN_CLAIMS_CHANGE
    # Jean Roy held IQEA only through that proxy: nothing is left at the MELCCFP.
    assert event["claims"] == {"authorization_details": []}
    assert isinstance(event["event_timestamp"], int)
    # He never signed in at the AMF: its site is not told about him.
    assert pushed(receivers, AMF_EVENTS) == []
    [row] = rows()
    assert (row.client_id, row.account_id, row.attempts) == ("iqea", world.user.id, 1)
    assert row.delivered_at is not None
    assert row.next_attempt_at is None
    [audit] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "oidc:secevent:push")
    ).all()
    assert (audit.outcome, audit.details["relying_party"]) == ("success", "iqea")


def test_the_rights_that_remain_are_those_the_site_registered(
    app, browser, esm, world, client_secrets, receivers, runtime, keys
):
    """The ESM holds every right; a change to her enterprise tells IQEA the IQEA rights only."""
    signed_in = sign_in_to(browser, esm, client_secrets, "iqea")
    publish(db.session, runtime, RightsChanged((world.esm.id,)))
    db.session.commit()
    from idp.secevents.delivery import deliver_pending

    deliver_pending(db.session, runtime)

    [token] = pushed(receivers, IQEA_EVENTS)
    event = check_set(token, keys, runtime, "iqea", signed_in.sub)
    [detail] = event["claims"]["authorization_details"]
    assert detail["type"] == "clicsequr_rights"
    assert detail["enterprise"] == world.emitter.neq
    assert detail["ministry"] == "melccfp"
    scopes = set(runtime.registry.client("iqea").scopes)
    assert detail["rights"]
    assert set(detail["rights"]) <= scopes
    assert detail["source"] == "esm"


def test_a_password_change_is_told_as_a_credential_change(
    browser, operator_person, client_secrets, receivers, runtime, keys
):
    signed_in = sign_in_to(browser, operator_person, client_secrets, "iqea")
    new_password = "Riviere-du-Loup-Phare-2027"
    response = browser.auth.form_post(
        "/mot-de-passe",
        {
            "current_password": operator_person.password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == 302
    response.close()

    [token] = pushed(receivers, IQEA_EVENTS)
    event = check_set(token, keys, runtime, "iqea", signed_in.sub)
    assert event["type"] == CREDENTIAL_CHANGE
    assert (event["credential_type"], event["change_type"]) == ("password", "update")


def test_nobody_is_told_about_a_person_no_site_knows(world, receivers, runtime):
    publish(db.session, runtime, RightsChanged((world.user.id,)))
    db.session.commit()
    assert rows() == []


def test_rights_withdrawn_at_one_ministry_tell_only_its_sites(
    app, browser, esm, world, client_secrets, receivers, runtime
):
    sign_in_to(browser, esm, client_secrets, "iqea")
    sign_in_to(browser, esm, client_secrets, "amf-portal")
    publish(
        db.session,
        runtime,
        RightsWithdrawn((world.esm.id,), enterprise_id=world.emitter.id, ministry_keys=("amf",)),
    )
    db.session.commit()
    assert [row.client_id for row in rows()] == ["amf-portal"]


def test_one_change_reported_twice_in_a_transaction_is_one_event(
    browser, esm, world, client_secrets, receivers, runtime
):
    sign_in_to(browser, esm, client_secrets, "iqea")
    publish(db.session, runtime, RightsChanged((world.esm.id,)))
    publish(db.session, runtime, RightsChanged((world.esm.id, world.esm.id)))
    db.session.commit()
    assert len(rows()) == 1
    publish(db.session, runtime, RightsChanged((world.esm.id,)))
    db.session.commit()
    assert len(rows()) == 2  # a later change is a new event


def test_an_expired_proxy_is_told_by_the_lifecycle_run(
    app, browser, world, operator_person, client_secrets, receivers, runtime, clock, keys
):
    holder = sign_in_to(browser, operator_person, client_secrets, "iqea")
    proxy = db.session.get(Proxy, proxy_of_operator(world).id)
    # The day after the proxy's last day, just after midnight in Québec.
    days = (proxy.ends_on - clock.now.date()).days + 1
    clock.advance(days=days, hours=6)
    receivers.calls.reset()

    output = lifecycle_run(app)

    assert "security events delivered: 1 of 1" in output
    [token] = pushed(receivers, IQEA_EVENTS)
    event = check_set(token, keys, runtime, "iqea", holder.sub)
    assert event["claims"] == {"authorization_details": []}
