"""SAML single logout across service providers and an OpenID Connect relying party.

A person signed in, in one browser, to the AMF and IQEA service providers (SAML, pysaml2 as the
SP) and to an OpenID Connect client with a back-channel logout URI. However the logout starts —
a LogoutRequest from a service provider (HTTP-Redirect or HTTP-POST), a sign-out on the
provider, an RP-initiated OIDC logout — the session ends, the OIDC client gets a logout token,
and the browser goes round the other service providers with signed LogoutRequests before the
initiator gets its LogoutResponse (or the person the sign-in page).

The helpers at the top (signing in through a service provider's request, reading and checking
the provider's Redirect messages) are shared with ``test_onelogin.py``.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import pytest
import responses
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jwt
from joserfc.jwk import KeySet
from lxml import etree, html
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.response import StatusError
from saml2.s_utils import decode_base64_and_inflate
from saml2.saml import NameID
from saml2.samlp import STATUS_SUCCESS, logout_response_from_string
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from idp.relying_parties import new_client_secret
from tests.conftest import Person, csrf_token
from tests.oidc.conftest import (
    IQEA_BACKCHANNEL,
    IQEA_CALLBACK,
    IQEA_LOGOUT,
    IQEA_SCOPES,
    Browser,
    Secrets,
    exchange,
    write_client,
)
from tests.saml.conftest import AMF_SP, IQEA_SP, ServiceProvider

ISSUER = "http://localhost"
IDP_ENTITY_ID = f"{ISSUER}/saml/metadata"
IDP_SLO = f"{ISSUER}/saml/slo"
OIDC_CLIENT = "iqea-web"
# Without offline_access: the grant lives and dies with the browser session.
OIDC_SCOPES = [scope for scope in IQEA_SCOPES if scope != "offline_access"]
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"


# -- shared helpers: the browser --------------------------------------------------------------


def path_of(url: str) -> str:
    """What the browser asks the Flask test client for: path and query of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class PostedForm:
    """The auto-submitted form of the HTTP-POST binding: where it goes and what it carries."""

    action: str
    fields: dict[str, str]


def posted_form(response: Any) -> PostedForm:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = html.fromstring(response.get_data(as_text=True))
    [form] = [f for f in page.iter("form") if f.xpath(".//input[@name='SAMLResponse']")]
    fields = {str(i.get("name")): str(i.get("value")) for i in form.iter("input") if i.get("name")}
    return PostedForm(str(form.get("action")), fields)


def continue_to_acs(client: Any, auth: Any, person: Person, response: Any) -> PostedForm:
    """From the provider's answer to an AuthnRequest (a redirect to ``/saml/sso/<token>``):
    sign in if asked, choose the enterprise, consent; the form that goes to the ACS."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    resume = urlsplit(response.headers["Location"]).path
    assert resume.startswith("/saml/sso/"), resume
    response = client.get(resume)
    if response.status_code == 302 and "/connexion" in response.headers["Location"]:
        auth.form_post(
            path_of(response.headers["Location"]),
            {"user_code": person.user_code, "password": person.password},
        )
        done = auth.code_step(auth.smtp.last_code(person.email))
        assert done.status_code == 302, done.get_data(as_text=True)[:500]
        assert urlsplit(done.headers["Location"]).path == resume
        response = client.get(resume)
    for _ in range(3):
        text = response.get_data(as_text=True)
        if response.status_code != 200 or 'name="SAMLResponse"' in text:
            break
        if 'name="enterprise"' in text:
            [first] = html.fromstring(text).xpath("//button[@name='enterprise']/@value")
            choice = {"enterprise": str(first)}
        elif 'value="allow"' in text:
            choice = {"decision": "allow"}
        else:
            raise AssertionError(f"unexpected page: {text[:500]}")
        response = client.post(resume, data={**choice, "csrf_token": csrf_token(text)})
    return posted_form(response)


def browse_to_acs(client: Any, auth: Any, person: Person, request_url: str) -> PostedForm:
    """Follow an SP's Redirect AuthnRequest to the form posted to its ACS."""
    return continue_to_acs(client, auth, person, client.get(path_of(request_url)))


def is_signed_in(client: Any) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    return False


# -- shared helpers: pysaml2 as the service provider ------------------------------------------


@dataclass
class SpSession:
    """A pysaml2 service provider after a sign-in (its client keeps the session state)."""

    sp: ServiceProvider
    client: Saml2Client
    name_id: NameID
    ava: dict[str, list[str]]
    session_index: str | None


def pysaml2_sign_in(
    client: Any,
    auth: Any,
    person: Person,
    sp: ServiceProvider,
    idp_metadata: str,
    relay_state: str = "rs1",
) -> SpSession:
    saml_client = sp.client(idp_metadata)
    request_id, info = saml_client.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state=relay_state, sign=True, sigalg=SIG_RSA_SHA256
    )
    form = browse_to_acs(client, auth, person, dict(info["headers"])["Location"])
    assert form.action == sp.acs
    assert form.fields["RelayState"] == relay_state
    parsed = saml_client.parse_authn_request_response(
        form.fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert parsed is not None
    return SpSession(
        sp, saml_client, parsed.name_id, parsed.ava, parsed.session_info()["session_index"]
    )


def redirect_query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def idp_certificates(idp_metadata: str) -> list[x509.Certificate]:
    """The provider's signing certificates in its metadata (current and next)."""
    root = etree.fromstring(idp_metadata.encode("utf-8"))
    found = []
    for descriptor in root.iter(f"{{{MD_NS}}}KeyDescriptor"):
        if descriptor.get("use") == "encryption":
            continue
        for element in descriptor.iter(f"{{{DS_NS}}}X509Certificate"):
            der = base64.b64decode("".join((element.text or "").split()))
            found.append(x509.load_der_x509_certificate(der))
    assert found
    return found


def check_redirect_signature(location: str, idp_metadata: str) -> None:
    """The Redirect binding's signature over the exact octets of the query (Bindings 3.4.4.1)."""
    pairs = dict(part.partition("=")[::2] for part in urlsplit(location).query.split("&"))
    assert unquote_plus(pairs["SigAlg"]) == SIG_RSA_SHA256
    message = "SAMLRequest" if "SAMLRequest" in pairs else "SAMLResponse"
    signed = "&".join(
        f"{name}={pairs[name]}" for name in (message, "RelayState", "SigAlg") if name in pairs
    ).encode("ascii")
    signature = base64.b64decode(unquote_plus(pairs["Signature"]))
    for certificate in idp_certificates(idp_metadata):
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        try:
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return
    raise AssertionError("the Redirect signature verifies with none of the provider's keys")


def sp_redirect(
    sp_client: Saml2Client,
    xml: str,
    relay_state: str,
    *,
    response: bool,
    destination: str = IDP_SLO,
) -> str:
    """A service provider's signed Redirect message to the provider: the path and query."""
    info = sp_client.apply_binding(
        BINDING_HTTP_REDIRECT,
        xml,
        destination,
        relay_state=relay_state,
        response=response,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return path_of(dict(info["headers"])["Location"])


def logout_request(session: SpSession, name_id: NameID | None = None, *, sign: bool = False):
    """(ID, LogoutRequest) of a service provider to the provider, for its NameID."""
    return session.client.create_logout_request(
        IDP_SLO,
        IDP_ENTITY_ID,
        name_id=name_id or session.name_id,
        session_indexes=[session.session_index] if session.session_index else None,
        sign=sign,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )


@dataclass
class ReceivedLogoutRequest:
    """A LogoutRequest the provider sent a service provider, checked and parsed."""

    query: dict[str, str]
    message: Any

    @property
    def relay_state(self) -> str:
        return self.query["RelayState"]


def receive_logout_request(
    response: Any, session: SpSession, idp_metadata: str
) -> ReceivedLogoutRequest:
    """The provider redirected the browser to this SP's SLO with a signed LogoutRequest."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(session.sp.slo + "?"), location
    check_redirect_signature(location, idp_metadata)
    query = redirect_query(location)
    assert "SAMLRequest" in query
    parsed = session.client.parse_logout_request(
        query["SAMLRequest"],
        BINDING_HTTP_REDIRECT,
        relay_state=query.get("RelayState"),
        sigalg=query["SigAlg"],
        signature=query["Signature"],
    )
    message = parsed.message
    assert message.issuer.text.strip() == IDP_ENTITY_ID
    assert message.destination == session.sp.slo
    assert message.name_id.text == session.name_id.text
    assert message.name_id.format == session.name_id.format
    return ReceivedLogoutRequest(query, message)


def answer_logout_request(
    session: SpSession, received: ReceivedLogoutRequest, *, in_response_to: str | None = None
) -> str:
    """The SP's signed Redirect LogoutResponse (Success): the path and query to the provider."""
    request = received.message
    if in_response_to is not None:
        request = copy.deepcopy(request)
        request.id = in_response_to
    response = session.client.create_logout_response(request, [BINDING_HTTP_REDIRECT], sign=False)
    return sp_redirect(session.client, str(response), received.relay_state, response=True)


@dataclass
class ReceivedLogoutResponse:
    query: dict[str, str]
    message: Any

    @property
    def status(self) -> str:
        return str(self.message.status.status_code.value)


def receive_logout_response(
    response: Any, session: SpSession, idp_metadata: str
) -> ReceivedLogoutResponse:
    """The provider answered this SP's LogoutRequest with a signed Redirect LogoutResponse."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(session.sp.slo + "?"), location
    check_redirect_signature(location, idp_metadata)
    query = redirect_query(location)
    message = logout_response_from_string(decode_base64_and_inflate(query["SAMLResponse"]))
    if message.status.status_code.value == STATUS_SUCCESS:
        # pysaml2's SP accepts it (signature of the XML if any, destination, issuer, times).
        parsed = session.client.parse_logout_request_response(
            query["SAMLResponse"], BINDING_HTTP_REDIRECT
        )
        assert parsed is not None
        assert parsed.response.in_response_to == message.in_response_to
    else:
        # pysaml2 reads it too, and reports the status as an error.
        with pytest.raises(StatusError):
            session.client.parse_logout_request_response(
                query["SAMLResponse"], BINDING_HTTP_REDIRECT
            )
    assert message.issuer.text.strip() == IDP_ENTITY_ID
    assert message.destination == session.sp.slo
    return ReceivedLogoutResponse(query, message)


# -- OpenID Connect relying party --------------------------------------------------------------


@dataclass
class OidcSession:
    tokens: dict[str, Any]
    claims: dict[str, Any]

    @property
    def sub(self) -> str:
        return str(self.claims["sub"])

    @property
    def sid(self) -> str:
        return str(self.claims["sid"])


def published_keys(app: Any) -> KeySet:
    return KeySet.import_key_set(app.test_client().get("/.well-known/jwks.json").get_json())


def oidc_sign_in(browser: Browser, person: Person, secrets: Secrets) -> OidcSession:
    request = browser.request(OIDC_CLIENT, IQEA_CALLBACK, OIDC_SCOPES)
    params = browser.authorize(person, request)
    answer = exchange(browser.client, request, params["code"], secrets[OIDC_CLIENT])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    tokens = answer.get_json()
    keys = published_keys(browser.client.application)
    claims = dict(jwt.decode(tokens["id_token"], keys, ["RS256", "PS256", "ES256"]).claims)
    assert claims["aud"] == OIDC_CLIENT
    return OidcSession(tokens, claims)


def logout_tokens(rsps: responses.RequestsMock) -> list[str]:
    found = []
    for call in rsps.calls:
        assert call.request.url == IQEA_BACKCHANNEL, call.request.url
        body = call.request.body
        text = body.decode("ascii") if isinstance(body, bytes) else str(body)
        [token] = parse_qs(text)["logout_token"]
        found.append(token)
    return found


def check_logout_token(token: str, app: Any, oidc: OidcSession) -> None:
    decoded = jwt.decode(token, published_keys(app), ["RS256", "PS256", "ES256"])
    assert decoded.header["typ"] == "logout+jwt"
    claims = decoded.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == OIDC_CLIENT
    assert claims["sub"] == oidc.sub
    assert claims["sid"] == oidc.sid
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert "nonce" not in claims


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def client_secrets() -> Secrets:
    return Secrets()


@pytest.fixture
def relying_parties(relying_parties: Path, client_secrets: Secrets) -> Path:
    """The two SAML service providers, and an IQEA OIDC client with back-channel logout."""
    value, digest = new_client_secret()
    client_secrets.values[OIDC_CLIENT] = value
    write_client(
        relying_parties,
        {
            "kind": "oidc",
            "client_id": OIDC_CLIENT,
            "ministry": "melccfp",
            "name_fr": "Inventaire québécois des émissions atmosphériques",
            "name_en": "Québec air emissions inventory",
            "redirect_uris": [IQEA_CALLBACK],
            "post_logout_redirect_uris": [IQEA_LOGOUT],
            "backchannel_logout_uri": IQEA_BACKCHANNEL,
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": digest,
            "scopes": IQEA_SCOPES,
            "required_rights": ["melccfp.iqea.operator", "melccfp.iqea.verifier"],
        },
    )
    return relying_parties


@pytest.fixture
def rps() -> Iterator[responses.RequestsMock]:
    """The OIDC client's back-channel logout endpoint, answering 200."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(IQEA_BACKCHANNEL, status=200)
        yield mock


@dataclass
class Everywhere:
    amf: SpSession
    iqea: SpSession
    oidc: OidcSession


@pytest.fixture
def everywhere(
    client, auth, browser, esm_person, amf_sp, iqea_sp, idp_metadata, client_secrets, rps
) -> Everywhere:
    """Marie Tremblay signed in to AMF (SAML), IQEA (SAML) and the OIDC client, in that order."""
    amf = pysaml2_sign_in(client, auth, esm_person, amf_sp, idp_metadata, "amf-rs")
    iqea = pysaml2_sign_in(client, auth, esm_person, iqea_sp, idp_metadata, "iqea-rs")
    oidc = oidc_sign_in(browser, esm_person, client_secrets)
    assert is_signed_in(client)
    assert len(rps.calls) == 0
    return Everywhere(amf, iqea, oidc)


@pytest.fixture
def browser(client: Any, auth: Any) -> Browser:
    return Browser(client, auth)


# -- sign-in state -----------------------------------------------------------------------------


def test_the_persistent_name_id_is_the_subject_at_the_ministry(everywhere):
    assert everywhere.amf.sp.entity_id == AMF_SP
    assert everywhere.iqea.sp.entity_id == IQEA_SP
    # One ministry (MELCCFP): the IQEA NameID is the pairwise `sub` of its OIDC client.
    assert everywhere.iqea.name_id.text == everywhere.oidc.sub
    # Another ministry: another pseudonym.
    assert everywhere.amf.name_id.text != everywhere.iqea.name_id.text


# -- SP-initiated ------------------------------------------------------------------------------


def test_sp_initiated_redirect_logout_goes_round_and_answers_the_initiator(
    app, client, everywhere, idp_metadata, rps
):
    amf, iqea = everywhere.amf, everywhere.iqea
    request_id, request = logout_request(amf)

    response = client.get(sp_redirect(amf.client, str(request), "amf-slo-rs", response=False))

    # The session is over, and the OIDC client heard of it on the back channel.
    received = receive_logout_request(response, iqea, idp_metadata)
    assert not is_signed_in(client)
    [token] = logout_tokens(rps)
    check_logout_token(token, app, everywhere.oidc)
    # The round token, not the initiator's RelayState, goes to IQEA.
    assert received.relay_state
    assert received.relay_state != "amf-slo-rs"

    response = client.get(answer_logout_request(iqea, received))

    answer = receive_logout_response(response, amf, idp_metadata)
    assert answer.status == STATUS_SUCCESS
    assert answer.message.in_response_to == request_id
    assert answer.query["RelayState"] == "amf-slo-rs"
    assert len(rps.calls) == 1
    assert not is_signed_in(client)


def test_sp_initiated_post_logout_is_accepted(app, client, everywhere, idp_metadata, rps):
    amf, iqea = everywhere.amf, everywhere.iqea
    request_id, signed_xml = logout_request(amf, sign=True)
    encoded = base64.b64encode(str(signed_xml).encode("utf-8")).decode("ascii")

    response = client.post("/saml/slo", data={"SAMLRequest": encoded, "RelayState": "amf-post"})

    received = receive_logout_request(response, iqea, idp_metadata)
    assert not is_signed_in(client)
    [token] = logout_tokens(rps)
    check_logout_token(token, app, everywhere.oidc)

    response = client.get(answer_logout_request(iqea, received))

    # AMF's metadata lists only a Redirect SLO endpoint: the answer comes that way.
    answer = receive_logout_response(response, amf, idp_metadata)
    assert answer.status == STATUS_SUCCESS
    assert answer.message.in_response_to == request_id
    assert answer.query["RelayState"] == "amf-post"


def test_an_unsigned_redirect_logout_request_is_refused(client, everywhere, rps):
    amf = everywhere.amf
    _request_id, request = logout_request(amf)
    info = amf.client.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), IDP_SLO, relay_state="x", sign=False
    )

    response = client.get(path_of(dict(info["headers"])["Location"]))

    assert response.status_code == 400
    assert "unsigned_request" in response.get_data(as_text=True)
    assert is_signed_in(client)
    assert len(rps.calls) == 0


# -- IdP-initiated -----------------------------------------------------------------------------


def follow_round(client: Any, response: Any, sessions: list[SpSession], idp_metadata: str) -> Any:
    """Answer each LogoutRequest of the round, in order; the provider's last answer."""
    for session in sessions:
        received = receive_logout_request(response, session, idp_metadata)
        response = client.get(answer_logout_request(session, received))
    return response


def test_sign_out_on_the_provider_goes_round_every_service_provider(
    app, client, auth, everywhere, idp_metadata, rps
):
    response = auth.sign_out()

    assert response.status_code == 302
    round_path = urlsplit(response.headers["Location"]).path
    assert round_path.startswith("/saml/slo/"), response.headers["Location"]
    assert not is_signed_in(client)
    [token] = logout_tokens(rps)
    check_logout_token(token, app, everywhere.oidc)

    response = follow_round(
        client, client.get(round_path), [everywhere.amf, everywhere.iqea], idp_metadata
    )

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    assert client.get("/connexion").status_code == 200
    assert len(rps.calls) == 1
    # The round is finished: its address leads nowhere now.
    assert client.get(round_path).status_code == 400


def test_rp_initiated_oidc_logout_also_goes_round_the_saml_services(
    app, client, everywhere, idp_metadata, rps
):
    query = urlencode(
        {
            "id_token_hint": everywhere.oidc.tokens["id_token"],
            "post_logout_redirect_uri": IQEA_LOGOUT,
            "client_id": OIDC_CLIENT,
            "state": "oidc-state",
        }
    )

    response = client.get(f"/oidc/logout?{query}")

    # A page that moves on by itself (data-auto-follow), not a redirect: the relying party's
    # own form-action policy cannot stop the round.
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    found = re.search(r'href="([^"]+)" data-auto-follow', html)
    assert found is not None, html[:500]
    round_path = urlsplit(found.group(1)).path
    assert round_path.startswith("/saml/slo/"), found.group(1)
    assert not is_signed_in(client)
    [token] = logout_tokens(rps)
    check_logout_token(token, app, everywhere.oidc)

    response = follow_round(
        client, client.get(round_path), [everywhere.amf, everywhere.iqea], idp_metadata
    )

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(IQEA_LOGOUT), location
    assert redirect_query(location).get("state") == "oidc-state"


# -- refused or without effect -----------------------------------------------------------------


def test_a_logout_request_for_another_name_id_ends_nothing(client, everywhere, idp_metadata, rps):
    amf = everywhere.amf
    someone_else = NameID(format=amf.name_id.format, text="not-" + str(amf.name_id.text))
    request_id, request = logout_request(amf, someone_else)

    response = client.get(sp_redirect(amf.client, str(request), "other", response=False))

    answer = receive_logout_response(response, amf, idp_metadata)
    assert answer.status != STATUS_SUCCESS
    assert answer.message.in_response_to == request_id
    assert answer.query["RelayState"] == "other"
    assert is_signed_in(client)
    assert len(rps.calls) == 0


def test_a_logout_request_without_a_session_is_answered_success_and_nothing_else(
    app, client, everywhere, idp_metadata, rps
):
    amf = everywhere.amf
    request_id, request = logout_request(amf)
    stranger = app.test_client()  # another browser, signed in nowhere

    response = stranger.get(sp_redirect(amf.client, str(request), "nobody", response=False))

    answer = receive_logout_response(response, amf, idp_metadata)
    assert answer.status == STATUS_SUCCESS
    assert answer.message.in_response_to == request_id
    assert answer.query["RelayState"] == "nobody"
    # Nothing else: no round, no back-channel logout, the person's own browser still signed in.
    assert len(rps.calls) == 0
    assert is_signed_in(client)


def test_a_logout_response_sent_twice_is_refused_the_second_time(client, everywhere, idp_metadata):
    amf, iqea = everywhere.amf, everywhere.iqea
    _request_id, request = logout_request(amf)
    response = client.get(sp_redirect(amf.client, str(request), "amf-rs", response=False))
    received = receive_logout_request(response, iqea, idp_metadata)
    answer = answer_logout_request(iqea, received)

    first = client.get(answer)
    replayed = client.get(answer)

    assert receive_logout_response(first, amf, idp_metadata).status == STATUS_SUCCESS
    assert replayed.status_code == 400
    assert "unexpected_logout_response" in replayed.get_data(as_text=True)


def test_a_logout_response_to_another_request_is_refused(client, everywhere, idp_metadata):
    amf, iqea = everywhere.amf, everywhere.iqea
    request_id, request = logout_request(amf)
    response = client.get(sp_redirect(amf.client, str(request), "amf-rs", response=False))
    received = receive_logout_request(response, iqea, idp_metadata)

    wrong = client.get(answer_logout_request(iqea, received, in_response_to="_" + "0" * 32))

    assert wrong.status_code == 400
    assert "unexpected_logout_response" in wrong.get_data(as_text=True)
    # The round still waits for the right answer, which completes it.
    right = client.get(answer_logout_request(iqea, received))
    answer = receive_logout_response(right, amf, idp_metadata)
    assert answer.status == STATUS_SUCCESS
    assert answer.message.in_response_to == request_id


def test_a_stale_logout_request_is_refused(client, everywhere, rps):
    amf = everywhere.amf
    _request_id, request = logout_request(amf)
    request.issue_instant = "2020-01-01T00:00:00Z"

    response = client.get(sp_redirect(amf.client, str(request), "old", response=False))

    assert response.status_code == 400
    assert "stale_request" in response.get_data(as_text=True)
    assert is_signed_in(client)
    assert len(rps.calls) == 0


def start_round(auth: Any, client: Any) -> Any:
    """The person signs out on the provider; the first step of the round."""
    signed_out = auth.sign_out()
    assert signed_out.status_code == 302
    return client.get(path_of(signed_out.headers["Location"]))


def test_an_unsigned_logout_response_is_refused(client, auth, everywhere, idp_metadata):
    amf = everywhere.amf
    received = receive_logout_request(start_round(auth, client), amf, idp_metadata)
    response = amf.client.create_logout_response(
        received.message, [BINDING_HTTP_REDIRECT], sign=False
    )
    info = amf.client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        IDP_SLO,
        relay_state=received.relay_state,
        response=True,
        sign=False,
    )

    refused = client.get(path_of(dict(info["headers"])["Location"]))

    assert refused.status_code == 400
    assert "unsigned_response" in refused.get_data(as_text=True)


def test_a_logout_response_replayed_in_the_middle_of_the_round_is_refused(
    client, auth, everywhere, idp_metadata
):
    amf, iqea = everywhere.amf, everywhere.iqea
    received = receive_logout_request(start_round(auth, client), amf, idp_metadata)
    answer = answer_logout_request(amf, received)
    to_iqea = client.get(answer)
    receive_logout_request(to_iqea, iqea, idp_metadata)

    replayed = client.get(answer)

    assert replayed.status_code == 400
    assert "unexpected_logout_response" in replayed.get_data(as_text=True)


def test_a_logout_response_from_another_service_provider_is_refused(
    client, auth, everywhere, idp_metadata
):
    """IQEA answers, with its own key, the LogoutRequest sent to AMF: not AMF's answer."""
    amf, iqea = everywhere.amf, everywhere.iqea
    received = receive_logout_request(start_round(auth, client), amf, idp_metadata)
    forged = iqea.client.create_logout_response(
        received.message, [BINDING_HTTP_REDIRECT], sign=False
    )
    assert forged.issuer.text == IQEA_SP
    assert forged.in_response_to == received.message.id

    response = client.get(
        sp_redirect(iqea.client, str(forged), received.relay_state, response=True)
    )

    assert response.status_code == 400, response.headers.get("Location")
    assert "unexpected_logout_response" in response.get_data(as_text=True)
    # AMF's own answer still goes on with the round.
    to_iqea = client.get(answer_logout_request(amf, received))
    receive_logout_request(to_iqea, iqea, idp_metadata)
