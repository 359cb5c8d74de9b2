"""Attacks on the SAML identity provider: each one is refused, and its honest twin is accepted.

Every test sends a malicious message (forged issuer or ACS, missing or broken signature,
signature wrapping, replay, stale or misaddressed message, XXE, entity expansion, compression
bomb, unexpected logout answer) and checks the refusal: a 400 page, no ``Location``, no pending
request stored, and a ``saml:request:refuse`` audit event naming the reason. The same test also
sends a correct message built by the same helpers and checks that it is accepted, so a refusal
caused by a broken helper cannot pass for a defence.

The last tests turn to the service provider's side: a real response, altered, is rejected by
pysaml2 and by OneLogin's python3-saml in strict mode, which both accept the original.

Messages are built here (XML templates, raw DEFLATE, RSA-SHA256 query signatures with
``cryptography``, enveloped signatures with ``xmlsec``) rather than with pysaml2, so that each
attack can change exactly one thing.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit
from xml.sax.saxutils import quoteattr

import pytest
import xmlsec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import UnsolicitedResponse
from saml2.sigver import SignatureError
from saml2.xmldsig import SIG_RSA_SHA1, SIG_RSA_SHA256
from sqlalchemy import func, select

from idp.audit.models import AuditEvent
from idp.extensions import db
from idp.saml.models import SamlRequest
from tests.conftest import csrf_token
from tests.saml.conftest import AMF_SP, IQEA_SP, ServiceProvider, sp_key_pair

SSO = "/saml/sso"
SLO = "/saml/slo"
SSO_URL = f"http://localhost{SSO}"
SLO_URL = f"http://localhost{SLO}"
SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
REFUSE = "saml:request:refuse"
PASSWD_MARKER = "root:x:0:0"

Keys = tuple[bytes, bytes]  # (private key PEM, certificate PEM)


# -- building messages ---------------------------------------------------------------------------


def new_id() -> str:
    return f"_{uuid.uuid4().hex}"


def instant(seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(tag: str, issuer: str, attributes: dict[str, str | None], body: str) -> str:
    rendered = " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items() if v is not None)
    return (
        f'<samlp:{tag} xmlns:samlp="{SAMLP_NS}" xmlns:saml="{SAML_NS}" {rendered}>'
        f"<saml:Issuer>{issuer}</saml:Issuer>{body}</samlp:{tag}>"
    )


def authn_request(issuer: str = AMF_SP, *, inner: str = "", **attributes: str | None) -> str:
    """An AuthnRequest as the SP would send it; an attribute set to None is left out."""
    defaults: dict[str, str | None] = {
        "ID": new_id(),
        "Version": "2.0",
        "IssueInstant": instant(),
        "Destination": SSO_URL,
        "AssertionConsumerServiceURL": f"{issuer}/acs",
        "ProtocolBinding": BINDING_HTTP_POST,
    }
    policy = f'<samlp:NameIDPolicy Format="{PERSISTENT}" AllowCreate="true"/>'
    return _message("AuthnRequest", issuer, {**defaults, **attributes}, inner + policy)


def logout_request(issuer: str = AMF_SP, name_id: str = "someone", **attributes: str) -> str:
    defaults = {"ID": new_id(), "Version": "2.0", "IssueInstant": instant(), "Destination": SLO_URL}
    body = f'<saml:NameID Format="{PERSISTENT}">{name_id}</saml:NameID>'
    return _message("LogoutRequest", issuer, {**defaults, **attributes}, body)


def logout_response(issuer: str, in_response_to: str) -> str:
    attributes = {
        "ID": new_id(),
        "Version": "2.0",
        "IssueInstant": instant(),
        "Destination": SLO_URL,
        "InResponseTo": in_response_to,
    }
    body = f'<samlp:Status><samlp:StatusCode Value="{SUCCESS}"/></samlp:Status>'
    return _message("LogoutResponse", issuer, attributes, body)


def message_id(xml: str) -> str:
    return str(etree.fromstring(xml.encode()).get("ID"))


def sp_keys(sp: ServiceProvider) -> Keys:
    return Path(sp.key_file).read_bytes(), Path(sp.cert_file).read_bytes()


# -- HTTP-Redirect binding -------------------------------------------------------------------------


def deflate(xml: str | bytes) -> str:
    """Raw DEFLATE then base64 (SAML Bindings 3.4.4.1)."""
    data = xml.encode() if isinstance(xml, str) else xml
    compressor = zlib.compressobj(wbits=-15)
    return base64.b64encode(compressor.compress(data) + compressor.flush()).decode()


def inflate(encoded: str) -> str:
    return zlib.decompress(base64.b64decode(encoded), -15).decode()


def sign_query(query: str, key_pem: bytes, sigalg: str = SIG_RSA_SHA256) -> str:
    """Append ``SigAlg`` and ``Signature`` computed over the query's exact octets."""
    signed = f"{query}&SigAlg={quote_plus(sigalg)}"
    digest = hashes.SHA1() if sigalg == SIG_RSA_SHA1 else hashes.SHA256()  # noqa: S303 (attack)
    key: Any = serialization.load_pem_private_key(key_pem, password=None)
    signature = key.sign(signed.encode(), padding.PKCS1v15(), digest)
    return f"{signed}&Signature={quote_plus(base64.b64encode(signature).decode())}"


def redirect_query(
    xml: str | bytes,
    key_pem: bytes | None,
    *,
    relay_state: str | None = "rs1",
    parameter: str = "SAMLRequest",
    sigalg: str = SIG_RSA_SHA256,
) -> str:
    """The query string of a Redirect-binding message, signed unless ``key_pem`` is None."""
    query = f"{parameter}={quote_plus(deflate(xml))}"
    if relay_state is not None:
        query += f"&RelayState={quote_plus(relay_state)}"
    return query if key_pem is None else sign_query(query, key_pem, sigalg)


def query_parameter(query: str, name: str) -> str:
    """One parameter of a query, as sent (still URL-encoded)."""
    return next(p.partition("=")[2] for p in query.split("&") if p.startswith(f"{name}="))


def replace_parameter(query: str, name: str, value: str) -> str:
    return "&".join(f"{name}={value}" if p.startswith(f"{name}=") else p for p in query.split("&"))


# -- HTTP-POST binding -----------------------------------------------------------------------------


def sign_xml(
    xml: str,
    keys: Keys,
    *,
    references: tuple[str, ...] | None = None,
    method: Any = xmlsec.constants.TransformRsaSha256,
) -> str:
    """An enveloped signature placed after the root's Issuer, over ``#<root ID>`` by default."""
    root = etree.fromstring(xml.encode())
    signature = xmlsec.template.create(root, xmlsec.constants.TransformExclC14N, method, ns="ds")
    root.insert(1, signature)
    for uri in references or (f"#{root.get('ID')}",):
        reference = xmlsec.template.add_reference(
            signature, xmlsec.constants.TransformSha256, uri=uri
        )
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    xmlsec.tree.add_ids(root, ["ID"])
    key = xmlsec.Key.from_memory(keys[0], xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(keys[1], xmlsec.constants.KeyDataFormatCertPem)
    context = xmlsec.SignatureContext()
    context.key = key
    context.sign(signature)
    return etree.tostring(root).decode()


def encode_post(xml: str | bytes) -> str:
    return base64.b64encode(xml.encode() if isinstance(xml, str) else xml).decode()


# -- the provider, seen from the browser ---------------------------------------------------------


class Idp:
    """Sends messages to the provider and checks each answer against what was stored."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._events = self._count(AuditEvent, AuditEvent.action == REFUSE)
        self._requests = self._count(SamlRequest)

    @staticmethod
    def _count(model: Any, *where: Any) -> int:
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def redirect(self, query: str, path: str = SSO) -> Any:
        return self.client.get(f"{path}?{query}")

    def post(
        self,
        xml: str | bytes,
        path: str = SSO,
        *,
        parameter: str = "SAMLRequest",
        relay_state: str = "rs1",
    ) -> Any:
        return self.client.post(path, data={parameter: encode_post(xml), "RelayState": relay_state})

    def post_raw(self, encoded: str, path: str = SSO, parameter: str = "SAMLRequest") -> Any:
        return self.client.post(path, data={parameter: encoded})

    def refused(self, response: Any, *reasons: str) -> dict[str, Any]:
        """A 400 page, nothing stored, one new refusal event whose reason is one of ``reasons``."""
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (response.status_code, response.headers.get("Location"))
        assert "Location" not in response.headers
        assert self._count(SamlRequest) == self._requests, "a refused request was stored"
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == REFUSE).order_by(AuditEvent.id)
        ).all()
        assert len(events) == self._events + 1, [e.details for e in events[self._events :]]
        self._events += 1
        details = dict(events[-1].details)
        assert details["reason"] in reasons, details
        assert f"saml:{details['reason']}" in body
        return details

    def accepted(self, response: Any) -> SamlRequest:
        """A redirect to ``/saml/sso/<token>`` and the pending request stored."""
        body = response.get_data(as_text=True)
        refusal = re.search(r"saml:[a-z_]+", body)
        assert response.status_code == 302, (response.status_code, refusal and refusal.group(0))
        location = response.headers["Location"]
        assert location.startswith(f"{SSO}/"), location
        assert self._count(SamlRequest) == self._requests + 1
        self._requests += 1
        token = location.rsplit("/", 1)[1]
        return db.session.scalars(select(SamlRequest).where(SamlRequest.token == token)).one()


@pytest.fixture
def idp(client: Any, idp_metadata: str) -> Idp:
    return Idp(client)


@pytest.fixture
def amf(amf_sp: ServiceProvider) -> Keys:
    return sp_keys(amf_sp)


@pytest.fixture
def attacker() -> Keys:
    """A key pair no registered SP has."""
    return sp_key_pair("attacker")


def location(info: dict[str, Any]) -> str:
    """The path and query of the Location header pysaml2 built."""
    url = urlsplit(dict(info["headers"])["Location"])
    return f"{url.path}?{url.query}"


# -- 1. unknown service provider ---------------------------------------------------------------


def test_unknown_service_provider_is_refused(idp: Idp, amf: Keys, attacker: Keys) -> None:
    stranger = "https://evil.example.com/saml"
    idp.refused(
        idp.redirect(redirect_query(authn_request(stranger), attacker[0])),
        "unknown_service_provider",
    )
    idp.refused(idp.post(sign_xml(authn_request(stranger), attacker)), "unknown_service_provider")
    # The issuer is compared exactly: no prefix, suffix or case variant of a registered SP.
    for lookalike in (f"{AMF_SP}/", AMF_SP.upper(), f"{AMF_SP}x", AMF_SP[:-1]):
        query = redirect_query(authn_request(lookalike), amf[0])
        idp.refused(idp.redirect(query), "unknown_service_provider")

    idp.accepted(idp.redirect(redirect_query(authn_request(AMF_SP), amf[0])))
    idp.accepted(idp.post(sign_xml(authn_request(AMF_SP), amf)))


def test_baseline_pysaml2_request_is_accepted(
    idp: Idp, amf_sp: ServiceProvider, idp_metadata: str
) -> None:
    """The helpers agree with a real SP library: its signed request passes, untouched."""
    sp = amf_sp.client(idp_metadata)
    request_id, info = sp.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg=SIG_RSA_SHA256
    )
    pending = idp.accepted(idp.client.get(location(info)))
    assert (pending.sp_entity_id, pending.request_id) == (AMF_SP, request_id)
    assert (pending.acs_url, pending.relay_state) == (amf_sp.acs, "rs1")


# -- 2. assertion consumer service ---------------------------------------------------------------


@pytest.mark.parametrize(
    "acs",
    [
        "https://evil.example.com/saml/acs",
        f"{AMF_SP}/ac",  # a prefix of the registered ACS
        f"{AMF_SP}/acs/evil",  # the registered ACS as a prefix
        f"{AMF_SP}/acs?next=https://evil.example.com",
        f"{AMF_SP}/acs#x",
        f"{AMF_SP.upper()}/acs",
        f"{AMF_SP.replace('https', 'http')}/acs",
        "https://amf.example.gouv.qc.ca.evil.example.com/saml/acs",
        f"{IQEA_SP}/acs",  # another SP's ACS
    ],
)
def test_acs_url_outside_the_metadata_is_refused(idp: Idp, amf: Keys, acs: str) -> None:
    idp.refused(
        idp.redirect(redirect_query(authn_request(AssertionConsumerServiceURL=acs), amf[0])),
        "unregistered_acs",
    )
    idp.refused(
        idp.post(sign_xml(authn_request(AssertionConsumerServiceURL=acs), amf)),
        "unregistered_acs",
    )
    idp.accepted(idp.redirect(redirect_query(authn_request(), amf[0])))


def test_acs_index_out_of_range_is_refused(idp: Idp, amf: Keys) -> None:
    for index in ("7", "99"):
        request = authn_request(
            AssertionConsumerServiceURL=None, AssertionConsumerServiceIndex=index
        )
        idp.refused(idp.redirect(redirect_query(request, amf[0])), "unregistered_acs")
    # Neither URL nor index: the SP's default ACS from its metadata.
    pending = idp.accepted(
        idp.redirect(redirect_query(authn_request(AssertionConsumerServiceURL=None), amf[0]))
    )
    assert pending.acs_url == f"{AMF_SP}/acs"


def test_acs_index_is_the_index_of_the_metadata(idp: Idp, amf: Keys) -> None:
    """``AssertionConsumerServiceIndex`` names the metadata's ``index`` attribute (SAML Core
    3.4.1, Metadata 2.2.3); the test SP's only ACS has ``index="1"``."""
    request = authn_request(AssertionConsumerServiceURL=None, AssertionConsumerServiceIndex="1")
    pending = idp.accepted(idp.redirect(redirect_query(request, amf[0])))
    assert pending.acs_url == f"{AMF_SP}/acs"
    request = authn_request(AssertionConsumerServiceURL=None, AssertionConsumerServiceIndex="0")
    idp.refused(idp.redirect(redirect_query(request, amf[0])), "unregistered_acs")


def test_response_binding_other_than_post_is_refused(idp: Idp, amf: Keys) -> None:
    for binding in (BINDING_HTTP_REDIRECT, "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"):
        request = authn_request(ProtocolBinding=binding)
        idp.refused(idp.redirect(redirect_query(request, amf[0])), "unsupported_binding")
    idp.accepted(idp.redirect(redirect_query(authn_request(ProtocolBinding=None), amf[0])))


# -- 3. unsigned requests ------------------------------------------------------------------------


def test_unsigned_request_is_refused_when_the_sp_requires_signatures(idp: Idp, amf: Keys) -> None:
    idp.refused(idp.redirect(redirect_query(authn_request(), None)), "unsigned_request")
    idp.refused(
        idp.redirect(redirect_query(authn_request(), None, relay_state=None)), "unsigned_request"
    )
    idp.refused(idp.post(authn_request()), "unsigned_request")
    # A signature inside the XML does not count on the Redirect binding (only the query's).
    idp.refused(
        idp.redirect(redirect_query(sign_xml(authn_request(), amf), None)), "unsigned_request"
    )

    idp.accepted(idp.redirect(redirect_query(authn_request(), amf[0])))
    idp.accepted(idp.post(sign_xml(authn_request(), amf)))


def test_unsigned_request_is_refused_for_the_other_sp(idp: Idp, iqea_sp: ServiceProvider) -> None:
    idp.refused(idp.redirect(redirect_query(authn_request(IQEA_SP), None)), "unsigned_request")
    idp.accepted(idp.redirect(redirect_query(authn_request(IQEA_SP), sp_keys(iqea_sp)[0])))


# -- 4. tampered signatures ----------------------------------------------------------------------


def test_tampered_redirect_request_is_refused(
    idp: Idp, amf: Keys, attacker: Keys, iqea_sp: ServiceProvider
) -> None:
    xml = authn_request()
    query = redirect_query(xml, amf[0])

    # One byte of the message changed after signing (still a well-formed request).
    altered = xml.replace('AllowCreate="true"', 'AllowCreate="false"')
    assert altered != xml
    tampered = replace_parameter(query, "SAMLRequest", quote_plus(deflate(altered)))
    idp.refused(idp.redirect(tampered), "bad_signature")
    # One byte of the encoded parameter changed: refused, whatever step notices first.
    encoded = query_parameter(query, "SAMLRequest")
    flipped = encoded[:40] + ("A" if encoded[40] != "A" else "B") + encoded[41:]
    idp.refused(
        idp.redirect(replace_parameter(query, "SAMLRequest", flipped)),
        "bad_signature",
        "not_deflate",
        "unsafe_xml",
        "not_saml",
        "no_issuer",
    )
    # RelayState changed, removed, or added.
    idp.refused(idp.redirect(replace_parameter(query, "RelayState", "rs2")), "bad_signature")
    without_relay = "&".join(p for p in query.split("&") if not p.startswith("RelayState="))
    idp.refused(idp.redirect(without_relay), "bad_signature")
    unrelayed = redirect_query(authn_request(), amf[0], relay_state=None)
    idp.refused(idp.redirect(unrelayed + "&RelayState=rs2"), "bad_signature")
    # Algorithm: SigAlg swapped (same signature), a real RSA-SHA1 signature, no SigAlg.
    idp.refused(
        idp.redirect(replace_parameter(query, "SigAlg", quote_plus(SIG_RSA_SHA1))),
        "signature_algorithm",
    )
    sha1 = redirect_query(authn_request(), amf[0], sigalg=SIG_RSA_SHA1)
    idp.refused(idp.redirect(sha1), "signature_algorithm")
    no_alg = "&".join(p for p in query.split("&") if not p.startswith("SigAlg="))
    idp.refused(idp.redirect(no_alg), "signature_algorithm")
    # Signature that is not base64, truncated, or made by a key the metadata does not hold.
    idp.refused(idp.redirect(replace_parameter(query, "Signature", "%25%25%25")), "bad_signature")
    signature = query_parameter(query, "Signature")
    idp.refused(
        idp.redirect(replace_parameter(query, "Signature", signature[:-12])), "bad_signature"
    )
    idp.refused(idp.redirect(redirect_query(authn_request(), attacker[0])), "bad_signature")
    # Signed by another registered SP's key, in the name of AMF.
    idp.refused(idp.redirect(redirect_query(authn_request(), sp_keys(iqea_sp)[0])), "bad_signature")

    idp.accepted(idp.redirect(query))


def test_signature_named_inside_another_parameter_is_not_a_signature(idp: Idp, amf: Keys) -> None:
    """``Signature=`` inside another parameter (a raw RelayState value, a longer name) is no
    signature: the request is unsigned, refused with a 400 page (not an error of the
    provider)."""
    unsigned = redirect_query(authn_request(), None, relay_state=None)
    sigalg = f"SigAlg={quote_plus(SIG_RSA_SHA256)}"
    reasons = ("unsigned_request", "bad_signature", "signature_algorithm")
    for extra in ("RelayState=xSignature=1", "XSignature=1"):
        idp.refused(idp.redirect(f"{unsigned}&{extra}"), *reasons)
        idp.refused(idp.redirect(f"{unsigned}&{extra}&{sigalg}"), *reasons)
    idp.accepted(idp.redirect(redirect_query(authn_request(), amf[0], relay_state="xSignature=1")))


def test_duplicated_redirect_parameters_are_refused(idp: Idp, amf: Keys) -> None:
    query = redirect_query(authn_request(), amf[0])
    other = quote_plus(deflate(authn_request()))
    idp.refused(idp.redirect(f"SAMLRequest={other}&{query}"), "duplicate_parameter")
    idp.refused(idp.redirect(f"{query}&RelayState=rs2"), "duplicate_parameter")
    idp.refused(idp.redirect(f"{query}&SigAlg={quote_plus(SIG_RSA_SHA256)}"), "duplicate_parameter")
    idp.accepted(idp.redirect(query))


def test_percent_encoded_parameter_names_cannot_smuggle_an_unsigned_message(
    idp: Idp, amf: Keys
) -> None:
    """The signature is checked over the raw query while the message is read from the decoded
    parameters: a second ``SAMLRequest`` or ``RelayState`` spelt with a percent-encoded letter
    (``SAML%52equest``) is the same parameter once decoded, and must not replace the signed
    one. Any signed query, even a day old, would otherwise carry any unsigned request."""
    day_old = redirect_query(authn_request(IssueInstant=instant(-86400)), amf[0])
    forged = authn_request(ID="_forged", IsPassive="true", AssertionConsumerServiceURL=None)
    smuggled = f"SAML%52equest={quote_plus(deflate(forged))}&{day_old}"
    reasons = ("bad_signature", "duplicate_parameter", "unsigned_request")
    idp.refused(idp.redirect(smuggled), *reasons)
    signed = redirect_query(authn_request(), amf[0])
    idp.refused(idp.redirect(f"Relay%53tate=https%3A%2F%2Fevil.example.com&{signed}"), *reasons)

    pending = idp.accepted(idp.redirect(signed))
    assert (pending.relay_state, pending.is_passive) == ("rs1", False)


def test_tampered_post_request_is_refused(
    idp: Idp, amf: Keys, attacker: Keys, iqea_sp: ServiceProvider
) -> None:
    signed = sign_xml(authn_request(), amf)
    for original, replacement in [
        (f'"{AMF_SP}/acs"', '"https://evil.example.com/saml/acs"'),
        ('AllowCreate="true"', 'AllowCreate="false"'),
        (f">{AMF_SP}<", f">{IQEA_SP}<"),  # the Issuer: the other SP's key does not verify it
    ]:
        assert original in signed
        idp.refused(idp.post(signed.replace(original, replacement)), "bad_signature")
    # An attribute added to the signed root, or an element inserted in it.
    idp.refused(
        idp.post(signed.replace(" Version=", ' IsPassive="true" Version=')), "bad_signature"
    )
    scoping = '<samlp:Scoping ProxyCount="0"/></samlp:AuthnRequest>'
    idp.refused(idp.post(signed.replace("</samlp:AuthnRequest>", scoping)), "bad_signature")
    # The signature value itself altered.
    value = re.search(r"<ds:SignatureValue>([^<]{20})", signed)
    assert value is not None
    idp.refused(idp.post(signed.replace(value.group(1), value.group(1)[::-1], 1)), "bad_signature")
    # Key not in the metadata (even with its certificate in KeyInfo), or another SP's key.
    idp.refused(idp.post(sign_xml(authn_request(), attacker)), "bad_signature")
    idp.refused(idp.post(sign_xml(authn_request(), sp_keys(iqea_sp))), "bad_signature")
    # RSA-SHA1 refused even when the signature is genuine.
    sha1 = sign_xml(authn_request(), amf, method=xmlsec.constants.TransformRsaSha1)
    idp.refused(idp.post(sha1), "signature_algorithm")

    idp.accepted(idp.post(signed))


# -- 5. signature wrapping -------------------------------------------------------------------------


def _wrapper(signed: str, *, root_id: str, signature: str = "") -> str:
    """An attacker's AuthnRequest (passive) carrying the genuine signed one in its Extensions."""
    inner = f"<samlp:Extensions>{_strip_declaration(signed)}</samlp:Extensions>"
    request = authn_request(ID=root_id, IsPassive="true", inner=inner)
    if signature:
        request = request.replace("</saml:Issuer>", f"</saml:Issuer>{signature}", 1)
    return request


def _strip_declaration(xml: str) -> str:
    return re.sub(r"^<\?xml[^>]*\?>", "", xml)


def _signature_of(signed: str) -> str:
    match = re.search(r"<ds:Signature\b.*?</ds:Signature>", signed, re.DOTALL)
    assert match is not None
    return match.group(0)


def test_signature_wrapping_of_a_post_request_is_refused(idp: Idp, amf: Keys) -> None:
    original_id = new_id()
    signed = sign_xml(authn_request(ID=original_id), amf)
    signature = _signature_of(signed)

    # (a) a new root with its own ID; the signed original moved into Extensions.
    idp.refused(idp.post(_wrapper(signed, root_id=new_id())), "unsigned_request")
    # ... with the genuine signature copied to the new root: it references the moved original.
    idp.refused(
        idp.post(_wrapper(signed, root_id=new_id(), signature=signature)), "signature_reference"
    )
    # ... with the new root taking the original's ID too (the signature would find two).
    idp.refused(
        idp.post(_wrapper(signed, root_id=original_id, signature=signature)),
        "signature_reference",
    )
    # ... with the original's ID renamed inside the Extensions: the digest no longer matches.
    renamed = signed.replace(f'ID="{original_id}"', f'ID="{new_id()}"', 1)
    idp.refused(
        idp.post(_wrapper(renamed, root_id=original_id, signature=signature)),
        "bad_signature",
        "signature_reference",
    )

    # (b) the root's ID duplicated on another element of the message.
    decoy = f'<samlp:Extensions><saml:Issuer ID="{original_id}">{AMF_SP}</saml:Issuer>'
    duplicated = signed.replace(
        "<samlp:NameIDPolicy", f"{decoy}</samlp:Extensions><samlp:NameIDPolicy"
    )
    idp.refused(idp.post(duplicated), "signature_reference")
    nested = signed.replace("<samlp:NameIDPolicy ", f'<samlp:NameIDPolicy ID="{original_id}" ')
    idp.refused(idp.post(nested), "signature_reference")

    # (c) the Reference points to a child, to the whole document, or there are two references.
    child_id = new_id()
    extensions = (
        f'<samlp:Extensions ID="{child_id}"><x:e xmlns:x="urn:x">1</x:e></samlp:Extensions>'
    )
    with_child = authn_request(inner=extensions)
    idp.refused(
        idp.post(sign_xml(with_child, amf, references=(f"#{child_id}",))), "signature_reference"
    )
    idp.refused(idp.post(sign_xml(authn_request(), amf, references=("",))), "signature_reference")
    both = (f"#{message_id(with_child)}", f"#{child_id}")
    idp.refused(idp.post(sign_xml(with_child, amf, references=both)), "signature_reference")
    # A signature nested in a child element does not sign the root.
    moved = signed.replace(signature, "").replace(
        "<samlp:NameIDPolicy",
        f"<samlp:Extensions>{signature}</samlp:Extensions><samlp:NameIDPolicy",
    )
    idp.refused(idp.post(moved), "unsigned_request", "bad_signature", "signature_reference")
    # Two signatures on the root: the first one is the attacker's.
    doubled = signed.replace(signature, _signature_of(sign_xml(authn_request(), amf)) + signature)
    idp.refused(idp.post(doubled), "signature_reference", "bad_signature")

    pending = idp.accepted(idp.post(signed))
    assert pending.request_id == original_id
    assert not pending.is_passive


# -- 6. replay ---------------------------------------------------------------------------------


def test_replayed_request_is_refused(
    idp: Idp, amf_sp: ServiceProvider, amf: Keys, iqea_sp: ServiceProvider, idp_metadata: str
) -> None:
    sp = amf_sp.client(idp_metadata)
    _request_id, info = sp.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg=SIG_RSA_SHA256
    )
    idp.accepted(idp.client.get(location(info)))
    idp.refused(idp.client.get(location(info)), "replayed_request")

    # The same ID again, freshly signed, and over the other binding.
    request_id = new_id()
    idp.accepted(idp.redirect(redirect_query(authn_request(ID=request_id), amf[0])))
    idp.refused(
        idp.redirect(redirect_query(authn_request(ID=request_id), amf[0])), "replayed_request"
    )
    idp.refused(idp.post(sign_xml(authn_request(ID=request_id), amf)), "replayed_request")
    # The guard is per SP: the other SP may use the same ID.
    iqea = redirect_query(authn_request(IQEA_SP, ID=request_id), sp_keys(iqea_sp)[0])
    idp.accepted(idp.redirect(iqea))


# -- 7. stale requests -------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [-600, 600, -181 - 5, 181 + 5, -86400 * 365])
def test_stale_request_is_refused(idp: Idp, amf: Keys, seconds: int) -> None:
    request = authn_request(IssueInstant=instant(seconds))
    idp.refused(idp.redirect(redirect_query(request, amf[0])), "stale_request")
    idp.refused(
        idp.post(sign_xml(authn_request(IssueInstant=instant(seconds)), amf)), "stale_request"
    )
    # Within the accepted skew of 180 s, either way.
    idp.accepted(idp.redirect(redirect_query(authn_request(IssueInstant=instant(-150)), amf[0])))
    idp.accepted(idp.post(sign_xml(authn_request(IssueInstant=instant(150)), amf)))


def test_issue_instant_without_time_zone_is_refused(idp: Idp, amf: Keys) -> None:
    """SAML times are UTC with a ``Z`` (SAML Core 1.3.3); a time without zone is refused with a
    400 page, not an error of the provider."""
    naive = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    request = authn_request(IssueInstant=naive)
    idp.refused(idp.redirect(redirect_query(request, amf[0])), "bad_issue_instant", "stale_request")
    for garbage in ("yesterday", ""):
        request = authn_request(IssueInstant=garbage)
        idp.refused(
            idp.redirect(redirect_query(request, amf[0])), "bad_issue_instant", "no_issue_instant"
        )
    idp.accepted(idp.redirect(redirect_query(authn_request(), amf[0])))


# -- 8. destination ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "destination",
    [
        "https://other-idp.example.com/saml/sso",
        f"{SSO_URL}/",
        f"{SSO_URL}x",
        "https://localhost/saml/sso",
        SLO_URL,
    ],
)
def test_wrong_destination_is_refused(idp: Idp, amf: Keys, destination: str) -> None:
    request = authn_request(Destination=destination)
    idp.refused(idp.redirect(redirect_query(request, amf[0])), "wrong_destination")
    request = authn_request(Destination=destination)
    idp.refused(idp.post(sign_xml(request, amf)), "wrong_destination")
    idp.accepted(idp.redirect(redirect_query(authn_request(Destination=SSO_URL), amf[0])))


def test_signed_request_without_destination_is_refused(idp: Idp, amf: Keys) -> None:
    request = authn_request(Destination=None)
    idp.refused(idp.redirect(redirect_query(request, amf[0])), "no_destination")
    idp.refused(idp.post(sign_xml(authn_request(Destination=None), amf)), "no_destination")
    idp.accepted(idp.post(sign_xml(authn_request(), amf)))


# -- 9. XXE, entity expansion, bombs, garbage --------------------------------------------------

XXE_DOCTYPE = '<!DOCTYPE samlp:AuthnRequest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS_DOCTYPE = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def _with_doctype(doctype: str, entity: str, issuer: str = AMF_SP) -> str:
    """A request whose Extensions carry the entity (so that an expansion would show)."""
    request = authn_request(
        issuer, inner=f'<samlp:Extensions><x:e xmlns:x="urn:x">{entity}</x:e></samlp:Extensions>'
    )
    return f'<?xml version="1.0"?>{doctype}{request}'


def _utf16(xml: str) -> bytes:
    """The same document in UTF-16: no ``<!DOCTYPE`` octets for a byte-level scan to see."""
    return xml.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode(
        "utf-16"
    )


@pytest.mark.parametrize(
    ("doctype", "entity"),
    [(XXE_DOCTYPE, "&xxe;"), (LAUGHS_DOCTYPE, "&lol9;")],
    ids=["xxe", "billion-laughs"],
)
def test_dtd_and_entities_are_refused_before_parsing(
    idp: Idp, amf: Keys, doctype: str, entity: str
) -> None:
    xml = _with_doctype(doctype, entity)
    signed = sign_xml(authn_request(), amf)
    signed_with_doctype = signed.replace("<samlp:AuthnRequest", f"{doctype}<samlp:AuthnRequest", 1)
    sends = [
        lambda: idp.redirect(redirect_query(xml, amf[0])),
        lambda: idp.redirect(redirect_query(xml, None)),
        lambda: idp.redirect(redirect_query(_with_doctype(doctype, entity, entity), None)),
        lambda: idp.redirect(redirect_query(_utf16(xml), amf[0])),
        lambda: idp.post(xml),
        lambda: idp.post(signed_with_doctype),
        lambda: idp.post(_utf16(xml)),
        lambda: idp.post(xml, path=SLO),
    ]
    for send in sends:
        started = time.monotonic()
        response = send()
        assert time.monotonic() - started < 5
        assert PASSWD_MARKER not in response.get_data(as_text=True)
        details = idp.refused(response, "unsafe_xml")
        assert PASSWD_MARKER not in str(details)

    idp.accepted(idp.redirect(redirect_query(authn_request(), amf[0])))
    idp.accepted(idp.post(signed))


def test_deflate_bomb_is_refused(idp: Idp, amf: Keys) -> None:
    filler = f"<!-- {' ' * (5 * 1024 * 1024)} -->"
    bomb = authn_request(inner=filler)
    query = redirect_query(bomb, amf[0])
    assert len(query) < 32 * 1024  # a few KB on the wire ...
    assert len(bomb) > 256 * 1024  # ... for more than the cap once inflated
    started = time.monotonic()
    idp.refused(idp.redirect(query), "too_large")
    idp.refused(idp.redirect(query, path=SLO), "too_large")
    assert time.monotonic() - started < 5
    # Just over the cap is enough; just under it passes the size check.
    idp.refused(
        idp.redirect(redirect_query(authn_request(inner=f"<!--{' ' * 256 * 1024}-->"), amf[0])),
        "too_large",
    )
    idp.accepted(idp.redirect(redirect_query(authn_request(inner="<!-- -->"), amf[0])))


def test_oversized_post_is_refused(idp: Idp, amf: Keys) -> None:
    large = sign_xml(authn_request(inner=f"<!--{' ' * 300 * 1024}-->"), amf)
    idp.refused(idp.post(large), "too_large", "unsafe_xml")
    huge = "A" * (600 * 1024)
    idp.refused(idp.post_raw(huge), "too_large")
    idp.accepted(idp.post(sign_xml(authn_request(), amf)))


def test_garbage_is_refused(idp: Idp, amf: Keys) -> None:
    reasons = ("not_base64", "not_deflate", "unsafe_xml", "not_saml")
    for garbage in ("!!!not-base64!!!", "AAAA", "====", base64.b64encode(b"\xff" * 64).decode()):
        idp.refused(idp.redirect(f"SAMLRequest={quote_plus(garbage)}&RelayState=rs1"), *reasons)
        idp.refused(idp.post_raw(garbage), *reasons)
    # Well-formed but not SAML, or SAML without issuer or ID.
    not_saml = '<x:AuthnRequest xmlns:x="urn:x" ID="_1"/>'
    idp.refused(idp.redirect(redirect_query(not_saml, amf[0])), "not_saml")
    no_issuer = authn_request().replace(f"<saml:Issuer>{AMF_SP}</saml:Issuer>", "")
    idp.refused(idp.redirect(redirect_query(no_issuer, amf[0])), "no_issuer")
    no_id = authn_request(ID=None)
    idp.refused(idp.redirect(redirect_query(no_id, amf[0])), "no_id")
    # A signed message of another kind sent to the sign-on endpoint.
    idp.refused(idp.redirect(redirect_query(logout_request(), amf[0])), "not_an_authn_request")
    idp.accepted(idp.redirect(redirect_query(authn_request(), amf[0])))


# -- 9b. identifiers and RelayState out of bounds --------------------------------------------------

# One past saml_requests.request_id and saml_logouts.initiator_request_id (256 characters):
# PostgreSQL would refuse to store it, SQLite would keep it; both must refuse it the same way.
LONG_ID = "_" + "a" * 256
MAX_RELAY_STATE = 1024


def test_request_id_longer_than_its_column_is_refused(idp: Idp, amf: Keys) -> None:
    idp.refused(idp.redirect(redirect_query(authn_request(ID=LONG_ID), amf[0])), "bad_id")
    idp.refused(idp.post(sign_xml(authn_request(ID=LONG_ID), amf)), "bad_id")
    pending = idp.accepted(idp.redirect(redirect_query(authn_request(ID=LONG_ID[:-1]), amf[0])))
    assert pending.request_id == LONG_ID[:-1]


def test_logout_request_id_longer_than_its_column_is_refused(
    idp: Idp, amf: Keys, amf_sp: ServiceProvider
) -> None:
    refused = redirect_query(logout_request(ID=LONG_ID), amf[0])
    idp.refused(idp.redirect(refused, path=SLO), "bad_id")
    idp.refused(idp.post(sign_xml(logout_request(ID=LONG_ID), amf), path=SLO), "bad_id")
    accepted = redirect_query(logout_request(ID=LONG_ID[:-1]), amf[0])
    _answered_logout(idp.redirect(accepted, path=SLO), amf_sp)


@pytest.mark.parametrize(
    "relay_state",
    ["r" * (MAX_RELAY_STATE + 1), "r" * 1_000_000, "rs\x00", "rs\r\nSet-Cookie: x=1"],
    ids=["one past the bound", "1 MB", "nul byte", "line break"],
)
def test_relay_state_out_of_bounds_is_refused(idp: Idp, amf: Keys, relay_state: str) -> None:
    query = redirect_query(authn_request(), amf[0], relay_state=relay_state)
    idp.refused(idp.redirect(query), "bad_relay_state")
    idp.refused(
        idp.post(sign_xml(authn_request(), amf), relay_state=relay_state), "bad_relay_state"
    )
    logout = redirect_query(logout_request(), amf[0], relay_state=relay_state)
    idp.refused(idp.redirect(logout, path=SLO), "bad_relay_state")
    response = idp.redirect(logout, path=SLO)
    assert len(response.get_data()) < 50_000  # not echoed into the page


def test_relay_state_at_the_bound_is_kept_and_sent_back(idp: Idp, amf: Keys) -> None:
    relay_state = "r\u00e9" * (MAX_RELAY_STATE // 2)
    query = redirect_query(authn_request(), amf[0], relay_state=relay_state)
    assert idp.accepted(idp.redirect(query)).relay_state == relay_state


# -- 10. single logout -----------------------------------------------------------------------------


def _answered_logout(response: Any, sp: ServiceProvider) -> None:
    """The LogoutRequest was accepted: the provider's LogoutResponse goes to ``sp``."""
    assert response.status_code == 302, re.findall(r"saml:[a-z_]+", response.get_data(True))
    url = urlsplit(response.headers["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == sp.slo
    assert "LogoutResponse" in inflate(parse_qs(url.query)["SAMLResponse"][0])


def test_logout_request_attacks_are_refused(
    idp: Idp, amf: Keys, attacker: Keys, amf_sp: ServiceProvider
) -> None:
    doctyped = f'<?xml version="1.0"?>{XXE_DOCTYPE}' + logout_request(name_id="&xxe;")
    for send in (
        lambda: idp.redirect(redirect_query(doctyped, amf[0]), path=SLO),
        lambda: idp.post(doctyped, path=SLO),
    ):
        response = send()
        assert PASSWD_MARKER not in response.get_data(as_text=True)
        idp.refused(response, "unsafe_xml")
    idp.refused(idp.post(_utf16(doctyped), path=SLO), "unsafe_xml")
    idp.refused(idp.redirect(redirect_query(logout_request(), None), path=SLO), "unsigned_request")
    idp.refused(idp.post(logout_request(), path=SLO), "unsigned_request")
    idp.refused(
        idp.redirect(redirect_query(logout_request(), attacker[0]), path=SLO),
        "bad_signature",
    )
    tampered = replace_parameter(redirect_query(logout_request(), amf[0]), "RelayState", "rs2")
    idp.refused(idp.redirect(tampered, path=SLO), "bad_signature")
    idp.refused(
        idp.redirect(redirect_query(logout_request(IssueInstant=instant(-600)), amf[0]), path=SLO),
        "stale_request",
    )
    idp.refused(
        idp.redirect(
            redirect_query(logout_request(Destination="https://evil.example.com/slo"), amf[0]),
            path=SLO,
        ),
        "wrong_destination",
    )
    idp.refused(
        idp.redirect(redirect_query(authn_request(), amf[0]), path=SLO), "not_a_logout_request"
    )

    _answered_logout(idp.redirect(redirect_query(logout_request(), amf[0]), path=SLO), amf_sp)
    _answered_logout(idp.post(sign_xml(logout_request(), amf), path=SLO), amf_sp)


def test_logout_request_in_utf16_is_answered_like_one_in_utf8(
    idp: Idp, amf: Keys, amf_sp: ServiceProvider
) -> None:
    """Well-formed XML in another encoding is kept as the text it parsed to, not as UTF-8."""
    signed = '<?xml version="1.0"?>' + sign_xml(logout_request(), amf)
    _answered_logout(idp.post(_utf16(signed), path=SLO), amf_sp)


# -- signing in for real -------------------------------------------------------------------------


def sign_in_at(client: Any, auth: Any, person: Any, saml: Any) -> tuple[str, str]:
    """Send ``saml``'s signed AuthnRequest, sign in, consent; (request ID, SAMLResponse)."""
    request_id, info = saml.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg=SIG_RSA_SHA256
    )
    resume = client.get(location(info)).headers["Location"]
    assert resume.startswith(f"{SSO}/")
    auth.sign_in(person)
    html = client.get(resume).get_data(as_text=True)
    if 'name="decision"' in html:
        data = {"decision": "allow", "csrf_token": csrf_token(html)}
        html = client.post(resume, data=data).get_data(as_text=True)
    match = re.search(r'name="SAMLResponse" value="([^"]+)"', html)
    assert match, html
    return request_id, match.group(1)


def _logout_round(
    client: Any, auth: Any, person: Any, sp: ServiceProvider, metadata: str
) -> tuple[str, str]:
    """Sign in at ``sp``, then sign out at the provider: (round token, awaited request ID)."""
    sign_in_at(client, auth, person, sp.client(metadata))
    round_url = auth.sign_out().headers["Location"]
    assert round_url.startswith(f"{SLO}/")
    sent = urlsplit(client.get(round_url).headers["Location"])
    assert f"{sent.scheme}://{sent.netloc}{sent.path}" == sp.slo
    parameters = parse_qs(sent.query)
    return parameters["RelayState"][0], message_id(inflate(parameters["SAMLRequest"][0]))


def _logout_answer(
    idp: Idp, in_response_to: str, relay_state: str, key: bytes | None, issuer: str = IQEA_SP
) -> Any:
    xml = logout_response(issuer, in_response_to)
    query = redirect_query(xml, key, relay_state=relay_state, parameter="SAMLResponse")
    return idp.redirect(query, path=SLO)


def test_logout_response_must_answer_the_pending_round(
    client: Any,
    auth: Any,
    esm_person: Any,
    iqea_sp: ServiceProvider,
    amf: Keys,
    idp_metadata: str,
) -> None:
    token, awaited = _logout_round(client, auth, esm_person, iqea_sp, idp_metadata)
    idp = Idp(client)
    iqea = sp_keys(iqea_sp)

    idp.refused(
        _logout_answer(idp, awaited, "unknown-round", iqea[0]), "unexpected_logout_response"
    )
    idp.refused(_logout_answer(idp, awaited, "", iqea[0]), "unexpected_logout_response")
    idp.refused(_logout_answer(idp, new_id(), token, iqea[0]), "unexpected_logout_response")
    idp.refused(_logout_answer(idp, awaited, token, None), "unsigned_response")
    idp.refused(_logout_answer(idp, awaited, token, amf[0]), "bad_signature")
    xml = logout_response(IQEA_SP, awaited)
    post = {"path": SLO, "parameter": "SAMLResponse", "relay_state": token}
    idp.refused(idp.post(xml, **post), "unsigned_response")
    doctyped = sign_xml(xml, iqea).replace("<samlp:", f"{XXE_DOCTYPE}<samlp:", 1)
    idp.refused(idp.post(doctyped, **post), "unsafe_xml")

    finished = _logout_answer(idp, awaited, token, iqea[0])
    assert finished.status_code == 302
    assert urlsplit(finished.headers["Location"]).path == "/connexion"
    # The round is over: the same answer again is unexpected.
    idp.refused(_logout_answer(idp, awaited, token, iqea[0]), "unexpected_logout_response")


def test_logout_response_from_another_sp_is_refused(
    client: Any,
    auth: Any,
    esm_person: Any,
    iqea_sp: ServiceProvider,
    amf: Keys,
    idp_metadata: str,
) -> None:
    """The round awaits IQEA's answer: AMF, though registered and signing with its own key,
    cannot answer in IQEA's place."""
    token, awaited = _logout_round(client, auth, esm_person, iqea_sp, idp_metadata)
    idp = Idp(client)
    forged = _logout_answer(idp, awaited, token, amf[0], issuer=AMF_SP)
    idp.refused(forged, "unexpected_logout_response", "wrong_issuer")
    finished = _logout_answer(idp, awaited, token, sp_keys(iqea_sp)[0])
    assert finished.status_code == 302
    assert urlsplit(finished.headers["Location"]).path == "/connexion"


# -- 11. altered responses, at the service provider ----------------------------------------------

NEQ_ATTRIBUTE = "urn:clicsequr:attribute:enterprise-neq"
RIGHTS_ATTRIBUTE = "urn:clicsequr:attribute:rights"


def _alter(b64: str, change: Any) -> str:
    """Decode the response, let ``change`` edit its tree, encode it again."""
    root = etree.fromstring(base64.b64decode(b64))
    change(root)
    return encode_post(etree.tostring(root))


def _attribute_values(root: Any, name: str) -> list[Any]:
    values = root.findall(f".//{{{SAML_NS}}}Attribute[@Name='{name}']/{{{SAML_NS}}}AttributeValue")
    assert values, name
    return list(values)


def _change_neq(root: Any) -> None:
    _attribute_values(root, NEQ_ATTRIBUTE)[0].text = "1149999999"


def _change_name_id(root: Any) -> None:
    name_id = root.find(f".//{{{SAML_NS}}}NameID")
    name_id.text = "someone-else"


def _add_right(root: Any) -> None:
    value = _attribute_values(root, RIGHTS_ATTRIBUTE)[0]
    extra = etree.SubElement(value.getparent(), value.tag, dict(value.attrib))
    extra.text = "melccfp.admin"


def _wrap_assertion(root: Any) -> None:
    """A forged, unsigned copy of the assertion placed before the signed one."""
    assertion = root.find(f"{{{SAML_NS}}}Assertion")
    forged = etree.fromstring(etree.tostring(assertion))
    forged.remove(forged.find(f"{{{DS_NS}}}Signature"))
    forged.set("ID", new_id())
    _change_neq(forged)
    assertion.addprevious(forged)


ALTERATIONS = [_change_neq, _change_name_id, _add_right, _wrap_assertion]


def onelogin_settings(sp: ServiceProvider, idp_metadata: str) -> OneLogin_Saml2_Settings:
    key, certificate = sp_keys(sp)
    settings = {
        "strict": True,
        "sp": {
            "entityId": sp.entity_id,
            "assertionConsumerService": {"url": sp.acs, "binding": BINDING_HTTP_POST},
            "x509cert": certificate.decode(),
            "privateKey": key.decode(),
        },
        "security": {
            "wantAssertionsSigned": True,
            "wantMessagesSigned": True,
            "rejectDeprecatedAlgorithm": True,
        },
    }
    merged = OneLogin_Saml2_IdPMetadataParser.merge_settings(
        settings, OneLogin_Saml2_IdPMetadataParser.parse(idp_metadata)
    )
    return OneLogin_Saml2_Settings(merged, sp_validation_only=True)


def onelogin_accepts(
    settings: OneLogin_Saml2_Settings, sp: ServiceProvider, b64: str, request_id: str
) -> tuple[bool, str | None]:
    acs = urlsplit(sp.acs)
    request_data = {
        "https": "on",
        "http_host": acs.netloc,
        "script_name": acs.path,
        "post_data": {"SAMLResponse": b64},
    }
    response = OneLogin_Saml2_Response(settings, b64)
    return bool(response.is_valid(request_data, request_id)), response.get_error()


def test_altered_response_is_rejected_by_the_sp_libraries(
    client: Any, auth: Any, esm_person: Any, iqea_sp: ServiceProvider, idp_metadata: str
) -> None:
    saml = iqea_sp.client(idp_metadata)
    request_id, b64 = sign_in_at(client, auth, esm_person, saml)
    settings = onelogin_settings(iqea_sp, idp_metadata)

    # The genuine response passes both libraries.
    genuine = saml.parse_authn_request_response(
        b64, BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    neq = esm_person.account.enterprise.neq
    assert genuine.ava[NEQ_ATTRIBUTE] == [neq]
    assert onelogin_accepts(settings, iqea_sp, b64, request_id) == (True, None)

    for alteration in ALTERATIONS:
        altered = _alter(b64, alteration)
        assert altered != b64
        with pytest.raises(SignatureError):
            saml.parse_authn_request_response(
                altered, BINDING_HTTP_POST, outstanding={request_id: "/"}
            )
        valid, error = onelogin_accepts(settings, iqea_sp, altered, request_id)
        assert not valid, alteration.__name__
        assert error

    # The genuine response presented for another outstanding request: InResponseTo differs.
    with pytest.raises(UnsolicitedResponse):
        saml.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={new_id(): "/"})
    valid, error = onelogin_accepts(settings, iqea_sp, b64, new_id())
    assert not valid
    assert "InResponseTo" in str(error)
