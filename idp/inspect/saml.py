"""Inspecting a SAML response: parsed safely, both signatures checked, every part explained.

The document is refused before parsing when it carries a DTD or an entity declaration
(:mod:`idp.saml.safe_xml`), then read as it is, untrusted: what it says is explained even when
its signatures fail, and each failure is named. An assertion encrypted for a service provider
cannot be read here (only that provider holds the key); its algorithms are reported and the
response's own signature is still checked.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import unquote_plus

import xmlsec
from lxml import etree

from idp.inspect.attributes import (
    explain_attribute,
    field,
    name_id_text,
    status_text,
)
from idp.inspect.report import (
    Item,
    Kind,
    ProblemCode,
    Report,
    Section,
    SignatureCheck,
    SignatureStatus,
    Text,
)
from idp.inspect.timing import check_expiry, check_not_before, check_past, from_xml
from idp.inspect.vocabulary import acr_text
from idp.inspect.xmldsig import check_signature
from idp.keystore import KeyStore
from idp.saml.provider import entity_id
from idp.saml.safe_xml import MAX_XML_BYTES, UnsafeXmlError, parse

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
XENC = "{http://www.w3.org/2001/04/xmlenc#}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
RESPONSE = Text("la réponse", "the response")
ASSERTION = Text("l'assertion", "the assertion")
_BASE64 = re.compile(rb"[A-Za-z0-9+/=\s]+")

TimeCheckFunction = Callable[[Report, str, datetime], None]


def decode_saml(data: str | bytes) -> bytes | None:
    """The XML of raw XML, base64 (as posted in ``SAMLResponse``) or a ``SAMLResponse=…``
    form field; None when it is none of these."""
    raw = (data.encode() if isinstance(data, str) else data).strip()
    if raw.startswith(b"SAMLResponse="):
        raw = unquote_plus(raw.split(b"&", 1)[0].removeprefix(b"SAMLResponse=").decode()).encode()
    if raw.startswith(b"<") or raw.startswith(b"\xef\xbb\xbf<"):
        return raw
    if len(raw) > MAX_XML_BYTES * 2 or not _BASE64.fullmatch(raw):
        return None
    try:
        decoded = base64.b64decode(b"".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if decoded.lstrip().startswith(b"<") else None


def inspect_saml(
    data: str | bytes,
    keystore: KeyStore,
    now: datetime,
    *,
    issuer: str | None = None,
    audience: str | None = None,
) -> Report:
    """Verify and explain a SAML response; ``issuer`` (the provider's OIDC issuer, whose
    ``/saml/metadata`` is the entity ID) and ``audience`` (an SP entity ID) checked if given."""
    report = Report(Kind.UNREADABLE, now)
    root = _parse(data, report)
    if root is None:
        return report
    report.payload = _pretty(root)
    if root.tag != f"{SAMLP}Response":
        local = etree.QName(root).localname
        report.problem(
            ProblemCode.UNEXPECTED_TYPE,
            f"Ce document est un {local}, pas une réponse d'authentification SAML "
            "(samlp:Response).",
            f"This document is a {local}, not a SAML authentication response (samlp:Response).",
        )
        return report
    report.kind = Kind.SAML_RESPONSE
    inspection = _Inspection(report, root, keystore, issuer, audience)
    inspection.run()
    return report


def _parse(data: str | bytes, report: Report) -> etree._Element | None:
    xml = decode_saml(data)
    if xml is None:
        report.problem(
            ProblemCode.MALFORMED,
            "Ni un JWT (trois parties séparées par des points) ni une réponse SAML (en base64 ou "
            "en XML).",
            "Neither a JWT (three parts separated by dots) nor a SAML response (base64 or XML).",
        )
        return None
    try:
        return parse(xml)
    except UnsafeXmlError as exc:
        # safe_xml has one exception for its three refusals; its message tells them apart.
        reason = str(exc)
        if "well-formed" in reason:
            report.problem(
                ProblemCode.MALFORMED,
                f"Le XML est mal formé ({reason}).",
                f"The XML is not well-formed ({reason}).",
            )
        elif "too large" in reason:
            report.problem(
                ProblemCode.UNSAFE_XML,
                f"Document refusé avant lecture : plus de {MAX_XML_BYTES // 1024} Kio.",
                f"Document refused before reading: more than {MAX_XML_BYTES // 1024} KiB.",
            )
        else:
            report.problem(
                ProblemCode.UNSAFE_XML,
                "Document refusé avant lecture : il contient une déclaration DTD ou d'entité "
                "(forme des attaques XXE et « billion laughs »).",
                "Document refused before reading: it contains a DTD or entity declaration (the "
                "shape of XXE and billion laughs attacks).",
            )
        return None


def _pretty(root: etree._Element) -> str:
    # Indented on a copy: the document checked keeps its exact whitespace.
    shown = copy.deepcopy(root)
    etree.indent(shown)
    return str(etree.tostring(shown, encoding="unicode"))


class _Inspection:
    """One pass over a response; it fills ``report`` as it goes."""

    def __init__(
        self,
        report: Report,
        root: etree._Element,
        keystore: KeyStore,
        issuer: str | None,
        audience: str | None,
    ) -> None:
        self.report = report
        self.root = root
        self.keys = [e for e in keystore.published() if e.certificate_pem is not None]
        self.issuer = issuer
        self.expected_issuer = entity_id(issuer) if issuer else None
        self.audience = audience

    def run(self) -> None:
        if self._ids_unique():
            # xmlsec finds the element a reference names through the registered ID attribute.
            xmlsec.tree.add_ids(self.root, ["ID"])
        self._signature(self.root, RESPONSE)
        status = self._response()
        assertions = self.root.findall(f"{SAML}Assertion")
        encrypted = self.root.findall(f"{SAML}EncryptedAssertion")
        self._stray_assertions()
        if len(assertions) + len(encrypted) > 1:
            self.report.problem(
                ProblemCode.UNEXPECTED_CONTENT,
                "La réponse contient plusieurs assertions; ce fournisseur n'en met qu'une.",
                "The response contains several assertions; this provider puts only one.",
            )
        elif not assertions and not encrypted and status == SUCCESS:
            self.report.problem(
                ProblemCode.MISSING,
                "La réponse annonce un succès mais ne contient aucune assertion.",
                "The response announces success but contains no assertion.",
            )
        if assertions:
            self._assertion(assertions[0])
        elif encrypted:
            self._encrypted(encrypted[0])

    # -- signatures -------------------------------------------------------------------------

    def _ids_unique(self) -> bool:
        ids = [element.get("ID") for element in self.root.iter() if element.get("ID")]
        return len(ids) == len(set(ids))

    def _signature(self, element: etree._Element, target: Text) -> None:
        verdict = check_signature(self.root, element, self.keys, target)
        self.report.signatures.append(verdict.check)
        if verdict.problem is not None:
            self.report.problems.append(verdict.problem)
        elif verdict.check.key is not None:
            self.report.note_signer(verdict.check.key)

    def _stray_assertions(self) -> None:
        stray = [
            element
            for element in self.root.iter(f"{SAML}Assertion")
            if element.getparent() is not self.root
            and getattr(element.getparent(), "tag", None) != f"{SAML}EncryptedAssertion"
        ]
        if stray:
            places = ", ".join(sorted({etree.QName(e.getparent()).localname for e in stray}))
            self.report.problem(
                ProblemCode.SIGNATURE_WRAPPING,
                f"Une assertion se trouve à un endroit inattendu (dans {places}) : c'est la forme "
                "d'une attaque par enveloppement de signature (signature wrapping).",
                f"An assertion sits in an unexpected place (inside {places}): it is the shape of "
                "a signature wrapping attack.",
            )

    # -- the response -----------------------------------------------------------------------

    def _response(self) -> str | None:
        root = self.root
        items = [field("ID", root.get("ID"))]
        self._time(root.get("IssueInstant"), "Response IssueInstant", check_past, required=True)
        items.append(field("IssueInstant", root.get("IssueInstant")))
        items.append(self._issuer(root, RESPONSE))
        for name in ("Destination", "InResponseTo"):
            if root.get(name) is not None:
                items.append(field(name, root.get(name)))
        code = root.find(f"{SAMLP}Status/{SAMLP}StatusCode")
        status = code.get("Value") if code is not None else None
        items.append(Item("StatusCode", status, status_text(status)))
        second = code.find(f"{SAMLP}StatusCode") if code is not None else None
        if second is not None:
            items.append(Item("StatusCode", second.get("Value"), status_text(second.get("Value"))))
        message = root.findtext(f"{SAMLP}Status/{SAMLP}StatusMessage")
        if message:
            items.append(field("StatusMessage", message))
        if status != SUCCESS:
            detail = second.get("Value") if second is not None else status
            self.report.note(
                f"Cette réponse n'authentifie personne : statut {detail}.",
                f"This response authenticates no one: status {detail}.",
            )
        self.report.sections.append(Section(Text("Réponse", "Response"), tuple(items)))
        return status

    def _issuer(self, element: etree._Element, target: Text) -> Item:
        value = element.findtext(f"{SAML}Issuer")
        if self.expected_issuer is not None and value != self.expected_issuer:
            self.report.problem(
                ProblemCode.WRONG_ISSUER,
                f"Émetteur inattendu pour {target.fr} : {value}, et non {self.expected_issuer}.",
                f"Unexpected issuer of {target.en}: {value}, not {self.expected_issuer}.",
            )
        return field("Issuer", value, self.issuer or "…")

    def _time(
        self, value: str | None, name: str, check: TimeCheckFunction, *, required: bool
    ) -> None:
        if value is None:
            if required:
                self.report.problem(
                    ProblemCode.MISSING,
                    f"{name} est absent, alors que ce fournisseur le met toujours.",
                    f"{name} is missing, whereas this provider always sets it.",
                )
            return
        moment = from_xml(value)
        if moment is None:
            self.report.problem(
                ProblemCode.MALFORMED,
                f"{name} n'est pas une date ({value}).",
                f"{name} is not a date ({value}).",
            )
            return
        check(self.report, name, moment)

    # -- the assertion ----------------------------------------------------------------------

    def _assertion(self, assertion: etree._Element) -> None:
        self._signature(assertion, ASSERTION)
        items = [field("ID", assertion.get("ID"))]
        self._time(
            assertion.get("IssueInstant"), "Assertion IssueInstant", check_past, required=True
        )
        items.append(field("IssueInstant", assertion.get("IssueInstant")))
        items.append(self._issuer(assertion, ASSERTION))
        items.extend(self._subject(assertion))
        items.extend(self._conditions(assertion))
        items.extend(self._authn_statement(assertion))
        self.report.sections.append(Section(Text("Assertion", "Assertion"), tuple(items)))
        attributes = tuple(
            explain_attribute(
                str(attribute.get("Name")),
                [value.text or "" for value in attribute.findall(f"{SAML}AttributeValue")],
            )
            for attribute in assertion.iterfind(f"{SAML}AttributeStatement/{SAML}Attribute")
        )
        self.report.sections.append(Section(Text("Attributs", "Attributes"), attributes))

    def _subject(self, assertion: etree._Element) -> list[Item]:
        items = []
        name_id = assertion.find(f"{SAML}Subject/{SAML}NameID")
        if name_id is not None:
            format_ = name_id.get("Format")
            short = (format_ or "").rsplit(":", 1)[-1] or None
            items.append(Item("NameID", name_id.text, name_id_text(format_), label=short))
        confirmation = assertion.find(f"{SAML}Subject/{SAML}SubjectConfirmation")
        if confirmation is None:
            return items
        items.append(field("SubjectConfirmation Method", confirmation.get("Method")))
        data = confirmation.find(f"{SAML}SubjectConfirmationData")
        if data is None:
            return items
        name = "SubjectConfirmationData NotOnOrAfter"
        self._time(data.get("NotOnOrAfter"), name, check_expiry, required=True)
        items.append(field(name, data.get("NotOnOrAfter")))
        for attribute, response_attribute in (("Recipient", "Destination"), ("InResponseTo",) * 2):
            value = data.get(attribute)
            if value is None:
                continue
            items.append(field(attribute, value))
            expected = self.root.get(response_attribute)
            if expected is not None and value != expected:
                self.report.problem(
                    ProblemCode.UNEXPECTED_CONTENT,
                    f"L'assertion ne concorde pas avec la réponse : {attribute} vaut {value}, "
                    f"mais {response_attribute} vaut {expected}.",
                    f"The assertion disagrees with the response: {attribute} is {value}, but "
                    f"{response_attribute} is {expected}.",
                )
        return items

    def _conditions(self, assertion: etree._Element) -> list[Item]:
        conditions = assertion.find(f"{SAML}Conditions")
        if conditions is None:
            self.report.problem(
                ProblemCode.MISSING,
                "L'assertion n'a pas de Conditions (durée de validité, destinataire).",
                "The assertion has no Conditions (validity period, audience).",
            )
            return []
        items = []
        for name, check in (("NotBefore", check_not_before), ("NotOnOrAfter", check_expiry)):
            self._time(conditions.get(name), f"Conditions {name}", check, required=True)
            items.append(field(f"Conditions {name}", conditions.get(name)))
        audiences = [
            element.text or ""
            for element in conditions.iterfind(f"{SAML}AudienceRestriction/{SAML}Audience")
        ]
        items.extend(field("Audience", value) for value in audiences)
        if self.audience is not None and self.audience not in audiences:
            shown = ", ".join(audiences)
            self.report.problem(
                ProblemCode.WRONG_AUDIENCE,
                f"Destinataire inattendu : l'assertion est destinée à {shown or 'personne'}, et "
                f"non à {self.audience}, qui doit la refuser.",
                f"Unexpected audience: the assertion is meant for {shown or 'no one'}, not "
                f"{self.audience}, which must refuse it.",
            )
        return items

    def _authn_statement(self, assertion: etree._Element) -> list[Item]:
        statement = assertion.find(f"{SAML}AuthnStatement")
        if statement is None:
            return []
        self._time(statement.get("AuthnInstant"), "AuthnInstant", check_past, required=True)
        items = [field("AuthnInstant", statement.get("AuthnInstant"))]
        if statement.get("SessionIndex"):
            items.append(field("SessionIndex", statement.get("SessionIndex")))
        context = statement.find(f"{SAML}AuthnContext")
        if context is not None:
            class_ref = context.findtext(f"{SAML}AuthnContextClassRef")
            items.append(Item("AuthnContextClassRef", class_ref, acr_text(class_ref)))
            authority = context.findtext(f"{SAML}AuthenticatingAuthority")
            if authority:
                items.append(field("AuthenticatingAuthority", authority))
        return items

    # -- an encrypted assertion -------------------------------------------------------------

    def _encrypted(self, container: etree._Element) -> None:
        data_method = container.find(f"{XENC}EncryptedData/{XENC}EncryptionMethod")
        key_method = container.find(f".//{XENC}EncryptedKey/{XENC}EncryptionMethod")
        data_algorithm = data_method.get("Algorithm") if data_method is not None else None
        key_algorithm = key_method.get("Algorithm") if key_method is not None else None
        reason = Text(
            "Assertion chiffrée pour le fournisseur de services : seul lui détient la clé qui "
            "la déchiffre, si bien que son contenu et sa signature ne peuvent pas être vérifiés "
            "ici.",
            "Assertion encrypted for the service provider: only it holds the key that decrypts "
            "it, so its content and its signature cannot be checked here.",
        )
        self.report.signatures.append(
            SignatureCheck(ASSERTION, SignatureStatus.UNCHECKED, None, reason=reason)
        )
        self.report.notes.append(reason)
        items = (
            field("EncryptedData EncryptionMethod", data_algorithm),
            field("EncryptedKey EncryptionMethod", key_algorithm),
        )
        self.report.sections.append(
            Section(Text("Assertion chiffrée", "Encrypted assertion"), items)
        )
