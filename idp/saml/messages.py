"""Incoming SAML messages: decoded, refused early when unsafe, their signatures checked.

Everything here runs before pysaml2 parses the message: the declaration check (no DTD, no
entity), the size caps (also on the inflated Redirect payload, against compression bombs), the
issuer lookup, and the signature the service provider's registration requires:

- HTTP-Redirect: the ``Signature`` query parameter over the exact octets received
  (``SAMLRequest=…&RelayState=…&SigAlg=…``, SAML Bindings 3.4.4.1), RSA-SHA256 only;
- HTTP-POST: an enveloped XML signature whose one reference is the root element's ID.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from idp.relying_parties import DSIG_NS, SamlServiceProvider
from idp.saml.safe_xml import MAX_XML_BYTES, UnsafeXmlError, parse, refuse_declarations

SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
_SIGNATURE = f"{{{DSIG_NS}}}Signature"
# A message ID is stored (saml_requests.request_id, saml_logouts.initiator_request_id: 256
# characters) to answer it and to refuse its replay; pysaml2's and OneLogin's are 30 to 45.
MAX_ID_LENGTH = 256
# SAML Bindings 3.4.3 and 3.5.3 ask for 80 bytes at most; some SPs send a return address
# instead, so up to 1,024 characters are kept and sent back as they came.
MAX_RELAY_STATE_LENGTH = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MessageError(ValueError):
    """The message is refused; ``reason`` is a short code for the history and the page."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class IncomingMessage:
    """A decoded message and what is known about it before pysaml2 reads it."""

    binding: str  # "redirect" or "post"
    parameter: str  # SAMLRequest or SAMLResponse
    encoded: str  # as received, for pysaml2
    xml: bytes
    root: etree._Element
    relay_state: str | None
    issuer: str
    message_id: str
    issue_instant: datetime | None
    destination: str | None

    @property
    def signed_in_xml(self) -> bool:
        return self.root.find(_SIGNATURE) is not None


def decode(
    parameter: str,
    encoded: str,
    *,
    binding: str,
    relay_state: str | None,
) -> IncomingMessage:
    if len(encoded) > MAX_XML_BYTES * 2:
        raise MessageError("too_large")
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise MessageError("not_base64") from exc
    xml = _inflate(raw) if binding == "redirect" else raw
    try:
        refuse_declarations(xml)
        root = parse(xml)
    except UnsafeXmlError as exc:
        raise MessageError("unsafe_xml", str(exc)) from exc
    if root.tag.split("}")[0].lstrip("{") != SAMLP_NS:
        raise MessageError("not_saml")
    issuer = root.findtext(f"{{{SAML_NS}}}Issuer")
    if not issuer:
        raise MessageError("no_issuer")
    message_id = root.get("ID") or ""
    if not message_id:
        raise MessageError("no_id")
    if len(message_id) > MAX_ID_LENGTH:
        raise MessageError("bad_id", f"longer than {MAX_ID_LENGTH} characters")
    return IncomingMessage(
        binding=binding,
        parameter=parameter,
        encoded=encoded,
        xml=xml,
        root=root,
        relay_state=relay_state,
        issuer=issuer.strip(),
        message_id=message_id,
        issue_instant=_instant(root.get("IssueInstant")),
        destination=root.get("Destination"),
    )


def _inflate(raw: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        xml = inflater.decompress(raw, MAX_XML_BYTES + 1)
    except zlib.error as exc:
        raise MessageError("not_deflate") from exc
    if len(xml) > MAX_XML_BYTES or inflater.unconsumed_tail:
        raise MessageError("too_large")
    return xml


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MessageError("bad_issue_instant") from exc
    if moment.tzinfo is None:
        # SAML times are UTC and say so (SAML Core 1.3.3); a local time is ambiguous.
        raise MessageError("bad_issue_instant", "no time zone")
    return moment


@dataclass(frozen=True)
class RedirectQuery:
    """An HTTP-Redirect query string read once: decoded values, and the raw octets signed."""

    values: dict[str, str]
    raw: dict[str, bytes]

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def parse_redirect_query(query_string: bytes) -> RedirectQuery:
    """Each parameter once, by its decoded name: ``SAML%52equest`` is ``SAMLRequest``.

    The message, the RelayState and the signature are all taken from here, so the values
    checked by the signature are the values used (no second, unsigned copy can slip in).
    """
    values: dict[str, str] = {}
    raw: dict[str, bytes] = {}
    for part in query_string.split(b"&"):
        if not part:
            continue
        name_bytes, _sep, value = part.partition(b"=")
        try:
            name = unquote_plus(name_bytes.decode("ascii"), errors="strict")
            decoded = unquote_plus(value.decode("ascii"), errors="strict")
        except UnicodeError as exc:
            raise MessageError("bad_query") from exc
        if name in values:
            raise MessageError("duplicate_parameter", name)
        values[name] = decoded
        raw[name] = value
    return RedirectQuery(values, raw)


def check_signature(
    message: IncomingMessage, provider: SamlServiceProvider, query: RedirectQuery | None
) -> bool:
    """Verify the message's signature if it has one; True when it was signed (and verified).

    A signature that is present is always verified, required or not.
    """
    if message.binding == "redirect":
        if query is None or ("Signature" not in query.values and "SigAlg" not in query.values):
            return False
        _verify_redirect(query, message.parameter, provider)
        return True
    if not message.signed_in_xml:
        return False
    _verify_enveloped(message, provider)
    return True


def _verify_redirect(query: RedirectQuery, parameter: str, provider: SamlServiceProvider) -> None:
    if query.get("SigAlg") != RSA_SHA256:
        raise MessageError("signature_algorithm", "only RSA-SHA256 is accepted")
    if not query.get("Signature"):
        raise MessageError("bad_signature", "SigAlg without Signature")
    # SAML Bindings 3.4.4.1: the octets as received, in this order, names as the spec has them.
    signed = b"&".join(
        f"{name}=".encode() + query.raw[name]
        for name in (parameter, "RelayState", "SigAlg")
        if name in query.raw
    )
    try:
        signature = base64.b64decode(query.values["Signature"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MessageError("bad_signature") from exc
    for certificate in _certificates(provider):
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            continue
        try:
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return
    raise MessageError("bad_signature")


def _verify_enveloped(message: IncomingMessage, provider: SamlServiceProvider) -> None:
    root = message.root
    signature = root.find(_SIGNATURE)
    assert signature is not None  # noqa: S101 (checked by the caller)
    references = signature.findall(f".//{{{DSIG_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != f"#{message.message_id}":
        # The one thing signed must be this very message (no signature wrapping).
        raise MessageError("signature_reference")
    if sum(1 for e in root.iter() if e.get("ID") == message.message_id) != 1:
        raise MessageError("signature_reference", "duplicate ID")
    method = signature.find(f".//{{{DSIG_NS}}}SignatureMethod")
    if method is None or method.get("Algorithm") != RSA_SHA256:
        raise MessageError("signature_algorithm", "only RSA-SHA256 is accepted")
    xmlsec.tree.add_ids(root, ["ID"])
    for pem in _certificate_pems(provider):
        context = xmlsec.SignatureContext()
        context.key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatCertPem)
        try:
            context.verify(signature)
        except xmlsec.Error:
            continue
        return
    raise MessageError("bad_signature")


def _certificate_pems(provider: SamlServiceProvider) -> list[bytes]:
    return [
        b"-----BEGIN CERTIFICATE-----\n"
        + b"\n".join(der.encode()[i : i + 64] for i in range(0, len(der), 64))
        + b"\n-----END CERTIFICATE-----\n"
        for der in provider.signing_certificates
    ]


def _certificates(provider: SamlServiceProvider) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(pem) for pem in _certificate_pems(provider)]


@dataclass(frozen=True)
class Parameters:
    """The SAML parameters of a request, read once for either binding."""

    binding: str  # "redirect" or "post"
    values: dict[str, str]
    query: RedirectQuery | None

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def read_parameters(method: str, query_string: bytes, form: Any) -> Parameters:
    """Redirect: the query as parsed by :func:`parse_redirect_query`; POST: the form, each
    SAML field at most once."""
    if method == "GET":
        query = parse_redirect_query(query_string)
        _check_relay_state(query.get("RelayState"))
        return Parameters("redirect", query.values, query)
    values = {}
    for name in ("SAMLRequest", "SAMLResponse", "RelayState"):
        found = form.getlist(name)
        if len(found) > 1:
            raise MessageError("duplicate_parameter", name)
        if found:
            values[name] = found[0]
    _check_relay_state(values.get("RelayState"))
    return Parameters("post", values, None)


def _check_relay_state(relay_state: str | None) -> None:
    """Stored with the request and posted back to the SP: bounded, no control character
    (PostgreSQL text holds no NUL; a line break has no business in a form field)."""
    if relay_state is None:
        return
    if len(relay_state) > MAX_RELAY_STATE_LENGTH:
        raise MessageError("bad_relay_state", f"longer than {MAX_RELAY_STATE_LENGTH} characters")
    if _CONTROL.search(relay_state):
        raise MessageError("bad_relay_state", "control character")
