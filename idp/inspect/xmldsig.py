"""Checking one enveloped XML signature of a SAML document against the provider's keys.

The shape is checked before any cryptography, the way the provider signs: one signature,
child of the element it signs, with one reference to that element's own ``ID`` (anything else
is how signature wrapping hides a forged element beside a genuinely signed one), RSA-SHA256
over a SHA-256 digest, and only the enveloped-signature and canonicalisation transforms (an
XPath or XSLT transform would make the verifier run code chosen by the sender).

The key comes only from the provider's published certificates, never from the signature's
``KeyInfo``. When no key verifies, the digest is recomputed to tell an element altered after
signing from a signature made with another key.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from idp.inspect.report import (
    Problem,
    ProblemCode,
    SignatureCheck,
    SignatureStatus,
    SignerKey,
    Text,
)
from idp.keystore import KeyEntry

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = f"{{{DS_NS}}}"
EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
CANONICALISATIONS = frozenset({EXC_C14N, C14N})
ALLOWED_TRANSFORMS = frozenset({ENVELOPED, EXC_C14N, C14N})
# Readable names of the signature algorithms a report is likely to meet.
SHORT_NAMES = {
    RSA_SHA256: "RSA-SHA256",
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "RSA-SHA1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "RSA-SHA512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": "ECDSA-SHA256",
    "http://www.w3.org/2000/09/xmldsig#hmac-sha1": "HMAC-SHA1",
}


@dataclass(frozen=True)
class SignatureVerdict:
    """The check of one signature and the problem it raises, if any."""

    check: SignatureCheck
    problem: Problem | None = None


def check_signature(
    root: etree._Element, element: etree._Element, keys: Sequence[KeyEntry], target: Text
) -> SignatureVerdict:
    """Verify the signature of ``element`` (``target`` names it: « la réponse », « l'assertion »,
    both feminine in French) inside the document ``root``."""
    signatures = element.findall(f"{DS}Signature")
    if not signatures:
        return _verdict(
            target,
            SignatureStatus.ABSENT,
            None,
            ProblemCode.NOT_SIGNED,
            f"{_capital(target.fr)} n'est pas signée, alors que ce fournisseur la signe toujours.",
            f"{_capital(target.en)} is not signed, whereas this provider always signs it.",
        )
    signature = signatures[0]
    method = _algorithm(signature, "SignedInfo/SignatureMethod")
    algorithm = SHORT_NAMES.get(method or "", method)
    wrapping = _wrapping(root, element, signatures, target)
    if wrapping is not None:
        return SignatureVerdict(
            SignatureCheck(target, SignatureStatus.REFUSED, algorithm, reason=wrapping.message),
            wrapping,
        )
    refused = _refused_algorithms(signature, target)
    if refused is not None:
        return SignatureVerdict(
            SignatureCheck(target, SignatureStatus.REFUSED, algorithm, reason=refused.message),
            refused,
        )
    for entry in keys:
        if _verifies(signature, entry):
            signer = SignerKey(entry.kid, entry.kty, entry.state)
            return SignatureVerdict(
                SignatureCheck(target, SignatureStatus.VALID, algorithm, signer)
            )
    if _digest_matches(element, signature) is False:
        return _verdict(
            target,
            SignatureStatus.INVALID,
            algorithm,
            ProblemCode.ALTERED,
            f"{_capital(target.fr)} a été modifiée après sa signature : son empreinte "
            "(DigestValue) ne correspond plus à son contenu.",
            f"{_capital(target.en)} was altered after signing: its digest (DigestValue) no "
            "longer matches its content.",
        )
    foreign = _foreign_certificate(signature, keys)
    return _verdict(
        target,
        SignatureStatus.INVALID,
        algorithm,
        ProblemCode.BAD_SIGNATURE,
        f"La signature de {target.fr} ne se vérifie avec aucune clé publiée du fournisseur : "
        f"elle a été faite avec une autre clé (contrefaçon){foreign.fr}.",
        f"The signature of {target.en} does not verify with any published key of the provider: "
        f"it was made with another key (forgery){foreign.en}.",
    )


def _verdict(
    target: Text,
    status: SignatureStatus,
    algorithm: str | None,
    code: ProblemCode,
    fr: str,
    en: str,
) -> SignatureVerdict:
    problem = Problem(code, Text(fr, en))
    return SignatureVerdict(
        SignatureCheck(target, status, algorithm, reason=problem.message), problem
    )


def _wrapping(
    root: etree._Element,
    element: etree._Element,
    signatures: list[etree._Element],
    target: Text,
) -> Problem | None:
    element_id = element.get("ID")
    references = signatures[0].findall(f"{DS}SignedInfo/{DS}Reference")
    uris = [reference.get("URI") for reference in references]
    same_id = [found for found in root.iter() if found.get("ID") == element_id]
    if len(signatures) == 1 and element_id and uris == [f"#{element_id}"] and len(same_id) == 1:
        return None
    if len(same_id) > 1:
        detail = Text(
            f"{len(same_id)} éléments portent l'ID {element_id}",
            f"{len(same_id)} elements carry the ID {element_id}",
        )
    elif len(signatures) > 1:
        detail = Text("elle porte plusieurs signatures", "it carries several signatures")
    else:
        shown = ", ".join(str(uri) for uri in uris) or "aucune"
        detail = Text(
            f"référence {shown} au lieu de #{element_id}",
            f"reference {shown.replace('aucune', 'none')} instead of #{element_id}",
        )
    return Problem(
        ProblemCode.SIGNATURE_WRAPPING,
        Text(
            f"La signature de {target.fr} ne porte pas sur {target.fr} elle-même ({detail.fr}) : "
            "c'est la forme d'une attaque par enveloppement de signature (signature wrapping).",
            f"The signature of {target.en} does not cover {target.en} itself ({detail.en}): it "
            "is the shape of a signature wrapping attack.",
        ),
    )


def _refused_algorithms(signature: etree._Element, target: Text) -> Problem | None:
    signing = _algorithm(signature, "SignedInfo/SignatureMethod")
    digest = _algorithm(signature, "SignedInfo/Reference/DigestMethod")
    canonical = _algorithm(signature, "SignedInfo/CanonicalizationMethod")
    transforms = {
        transform.get("Algorithm")
        for transform in signature.iterfind(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms/*")
    }
    odd = [
        str(name)
        for name in (signing, digest, canonical, *transforms)
        if name not in {RSA_SHA256, SHA256} | CANONICALISATIONS | ALLOWED_TRANSFORMS
    ]
    if signing == RSA_SHA256 and digest == SHA256 and canonical in CANONICALISATIONS and not odd:
        return None
    names = ", ".join(odd) or f"{signing}, {digest}"
    return Problem(
        ProblemCode.ALGORITHM_REFUSED,
        Text(
            f"Algorithmes de la signature de {target.fr} refusés ({names}) : ce fournisseur signe "
            "en RSA-SHA256 avec une empreinte SHA-256 et la canonicalisation exclusive.",
            f"Algorithms of the signature of {target.en} refused ({names}): this provider signs "
            "with RSA-SHA256 over a SHA-256 digest and exclusive canonicalisation.",
        ),
    )


def _verifies(signature: etree._Element, entry: KeyEntry) -> bool:
    if entry.certificate_pem is None:
        return False
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(
        entry.certificate_pem, xmlsec.constants.KeyDataFormatCertPem
    )
    try:
        context.verify(signature)
    except xmlsec.Error:
        return False
    return True


def _digest_matches(element: etree._Element, signature: etree._Element) -> bool | None:
    """Whether the element, as it is now, still has the digest that was signed; None when the
    digest cannot be recomputed here (a canonicalisation other than the exclusive one)."""
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    transform = signature.find(
        f"{DS}SignedInfo/{DS}Reference/{DS}Transforms/{DS}Transform[@Algorithm='{EXC_C14N}']"
    )
    if reference is None or transform is None:
        return None
    expected = (reference.findtext(f"{DS}DigestValue") or "").strip()
    prefixes_node = transform.find(f"{{{EXC_C14N_NS}}}InclusiveNamespaces")
    prefixes = (prefixes_node.get("PrefixList") or "").split() if prefixes_node is not None else []
    # On a copy of the whole document, so that the element keeps its namespace context.
    document = copy.deepcopy(element.getroottree().getroot())
    element_id = element.get("ID")
    twin = next(found for found in document.iter() if found.get("ID") == element_id)
    enveloped = twin.find(f"{DS}Signature")
    if enveloped is not None:
        twin.remove(enveloped)
    canonical = etree.tostring(
        twin, method="c14n", exclusive=True, with_comments=False, inclusive_ns_prefixes=prefixes
    )
    # SHA-256 only: any other digest method was refused before the keys were tried.
    actual = base64.b64encode(hashlib.sha256(canonical).digest()).decode()
    return actual == expected


def _foreign_certificate(signature: etree._Element, keys: Sequence[KeyEntry]) -> Text:
    """A remark when the signature carries a certificate that is not one of the provider's."""
    embedded = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    if not embedded:
        return Text("", "")
    try:
        der = base64.b64decode("".join(embedded.split()))
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return Text(
            "; le certificat joint est illisible", "; the attached certificate is unreadable"
        )
    published = {
        _public_der(x509.load_pem_x509_certificate(entry.certificate_pem))
        for entry in keys
        if entry.certificate_pem is not None
    }
    if _public_der(certificate) in published:
        return Text("", "")
    return Text(
        "; le certificat joint n'est pas un certificat publié du fournisseur",
        "; the attached certificate is not one the provider publishes",
    )


def _public_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _algorithm(signature: etree._Element, path: str) -> str | None:
    found = signature.find("/".join(f"{DS}{step}" for step in path.split("/")))
    return found.get("Algorithm") if found is not None else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
