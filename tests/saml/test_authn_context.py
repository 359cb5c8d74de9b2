"""Which of our classes a RequestedAuthnContext accepts, and which one an assertion states."""

from __future__ import annotations

import pytest
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext

from idp.oidc.acr import (
    ACR_PASSWORD_AND_EMAILED_CODE as MFA,
)
from idp.oidc.acr import (
    ACR_PASSWORD_AND_SECURITY_QUESTION as KBA,
)
from idp.oidc.acr import (
    ACR_PHISHING_RESISTANT as PHR,
)
from idp.saml.authn_context import (
    accepted_classes,
    class_to_state,
    loaded,
    needs_passkey,
    stored,
)

PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
KERBEROS = "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos"
BOTH = frozenset({MFA, PHR})


def requested(comparison: str | None, *refs: str) -> RequestedAuthnContext:
    return RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=ref) for ref in refs],
        comparison=comparison,
    )


@pytest.mark.parametrize(
    ("comparison", "refs", "accepted"),
    [
        (None, (MFA,), {MFA}),  # exact by default
        ("exact", (MFA,), {MFA}),
        ("exact", (PHR,), {PHR}),
        ("exact", (MFA, PHR), BOTH),
        ("exact", (PPT,), set()),
        ("minimum", (PPT,), BOTH),
        ("minimum", (MFA,), BOTH),
        ("minimum", (PHR,), {PHR}),
        ("minimum", (KERBEROS,), set()),
        ("better", (PPT,), BOTH),
        ("better", (MFA,), {PHR}),
        ("better", (PHR,), set()),
        ("maximum", (PHR,), BOTH),
        ("maximum", (MFA,), {MFA}),
        ("maximum", (PPT,), set()),
        ("exact", (), set()),  # declarations only
    ],
)
def test_accepted_classes(comparison, refs, accepted):
    assert accepted_classes(requested(comparison, *refs)) == accepted


def test_no_requested_context_accepts_both():
    assert accepted_classes(None) == BOTH


@pytest.mark.parametrize(
    ("accepted", "passkey"), [(BOTH, False), (frozenset({MFA}), False), (frozenset({PHR}), True)]
)
def test_a_passkey_is_needed_only_when_the_code_class_is_not_accepted(accepted, passkey):
    assert needs_passkey(accepted) is passkey


@pytest.mark.parametrize(
    ("accepted", "reached", "stated"),
    [
        (BOTH, PHR, PHR),
        (BOTH, MFA, MFA),
        (frozenset({MFA}), PHR, MFA),
        (frozenset({PHR}), PHR, PHR),
        (BOTH, KBA, KBA),  # never let through by the journey; the truth if it were
    ],
)
def test_the_assertion_states_the_strongest_accepted_class_reached(accepted, reached, stated):
    assert class_to_state(accepted, reached) == stated


@pytest.mark.parametrize("accepted", [BOTH, frozenset({MFA}), frozenset({PHR})])
def test_stored_and_loaded_round_trip(accepted):
    assert loaded(stored(accepted)) == accepted


def test_a_request_kept_before_the_column_accepts_both():
    assert loaded(None) == BOTH
