"""`idp inspect` on SAML responses made by the provider's own pysaml2 server: genuine ones
explained, altered, re-signed, wrapped, expired and unsafe ones named for what they are."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import saml2.saml
import xmlsec
from lxml import etree
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from idp.inspect import Kind, ProblemCode, SignatureStatus, inspect_token
from idp.saml.provider import build_server
from tests.conftest import MutableClock
from tests.inspect.conftest import SUBJECT, service_provider

SP = "https://sp.example/saml"
SEALED_SP = "https://sealed.example/saml"
ACS = "https://sp.example/acs"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
IDENTITY = {
    "urn:oid:2.5.4.42": ["Marie"],
    "urn:oid:2.5.4.4": ["Tremblay"],
    "urn:oid:2.16.840.1.113730.3.1.241": ["Marie Tremblay"],
    "urn:oid:0.9.2342.19200300.100.1.3": ["marie.tremblay@acierie.example"],
    "urn:clicsequr:attribute:enterprise-neq": ["1143256789"],
    "urn:clicsequr:attribute:enterprise-name": ["Aciérie Saint-Laurent inc."],
    "urn:clicsequr:attribute:role": ["esm"],
    "urn:clicsequr:attribute:rights": ["melccfp.iqea.operator", "melccfp.iqea.verifier"],
    "urn:clicsequr:attribute:rights-source": ["esm"],
    "urn:clicsequr:attribute:ministry": ["melccfp"],
}


@pytest.fixture
def clock() -> MutableClock:
    # pysaml2 stamps responses with the wall clock: the provider's clock starts there too.
    return MutableClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Two registered service providers: one with plain assertions, one with encrypted ones."""
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    for name, entity_id, encrypt in (("plain", SP, "false"), ("sealed", SEALED_SP, "true")):
        provider = service_provider(tmp_path / "sps" / name, entity_id)
        (directory / f"{name}-metadata.xml").write_text(provider.metadata(), "utf-8")
        (directory / f"{name}.toml").write_text(
            f'kind = "saml"\nentity_id = "{entity_id}"\nministry = "melccfp"\n'
            f'name_fr = "{name}"\nname_en = "{name}"\nmetadata_file = "{name}-metadata.xml"\n'
            f"encrypt_assertions = {encrypt}\n",
            "utf-8",
        )
    app_config["relying_parties_dir"] = directory
    return app_config


def signed_response(runtime, sp_entity_id: str = SP) -> str:
    server = build_server(runtime)
    provider = next(p for p in runtime.registry.service_providers if p.entity_id == sp_entity_id)
    encrypt = provider.encrypt_assertions
    response = server.create_authn_response(
        identity=IDENTITY,
        in_response_to="id-1",
        destination=ACS,
        sp_entity_id=sp_entity_id,
        name_id=saml2.saml.NameID(format=NAMEID_FORMAT_PERSISTENT, text=SUBJECT),
        authn={"class_ref": "urn:clicsequr:acr:mfa", "authn_auth": server.config.entityid},
        sign_response=True,
        sign_assertion=True,
        encrypt_assertion=encrypt,
        encrypt_assertion_self_contained=True,
        encrypt_cert_assertion=provider.encryption_certificates[0] if encrypt else None,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return str(response)


def b64(xml: str | bytes) -> str:
    return base64.b64encode(xml.encode() if isinstance(xml, str) else xml).decode()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["inspect", *args])


def first_line(result) -> str:
    return result.output.splitlines()[0]


def inspect(runtime, document: str | bytes, **options: Any):
    return inspect_token(
        document, runtime.keystore, runtime.clock(), issuer=runtime.settings.issuer, **options
    )


def test_valid_signed_response_is_explained(app, runtime):
    kid = runtime.keystore.current("RSA").kid

    result = run(app, b64(signed_response(runtime)))

    assert result.exit_code == 0, result.output
    assert first_line(result).startswith(
        "VALIDE — réponse SAML : signatures vérifiées (RSA-SHA256)"
    )
    assert f"avec la clé courante {kid}" in first_line(result)
    assert "expire dans 5 min" in first_line(result)
    assert "La réponse : valide" in result.output
    assert "L'assertion : valide" in result.output
    assert "la valeur même du sub OpenID Connect" in result.output
    assert "responsable des services électroniques (esm)" in result.output
    assert "urn:oid:2.5.4.42 [givenName (given_name)] : Marie" in result.output
    assert "un mot de passe, puis un code à usage unique" in result.output


def test_every_attribute_of_the_provider_is_known(app, runtime):
    report = inspect(runtime, b64(signed_response(runtime)), audience=SP)

    assert report.kind is Kind.SAML_RESPONSE
    assert report.valid, report.problems
    attributes = report.sections[-1].items
    assert {item.name for item in attributes} == set(IDENTITY)
    assert all(item.known for item in attributes)
    assert [s.status for s in report.signatures] == [SignatureStatus.VALID] * 2
    names = {check.name for check in report.times}
    assert {"Conditions NotOnOrAfter", "SubjectConfirmationData NotOnOrAfter"} <= names


def test_raw_xml_and_english(app, runtime):
    result = run(app, signed_response(runtime), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert first_line(result).startswith("VALID — SAML response: signatures verified")


def test_altered_attribute_breaks_the_assertion_signature(app, runtime):
    altered = signed_response(runtime).replace(">1143256789<", ">1160000000<")

    result = run(app, b64(altered))

    assert result.exit_code == 1
    assert "L'assertion : invalide" in result.output
    assert "L'assertion a été modifiée après sa signature" in result.output
    report = inspect(runtime, altered)
    assert [s.status for s in report.signatures] == [SignatureStatus.INVALID] * 2
    assert {p.code for p in report.problems} == {ProblemCode.ALTERED}


def test_response_re_signed_with_another_key_is_a_forgery(app, runtime, tmp_path):
    root = etree.fromstring(signed_response(runtime).replace(">esm<", ">user<").encode())
    impostor = service_provider(tmp_path / "impostor", "https://impostor.example")
    key = xmlsec.Key.from_file(str(impostor.key_file), xmlsec.constants.KeyDataFormatPem)
    xmlsec.tree.add_ids(root, ["ID"])
    for signature in reversed(list(root.iter(f"{DS}Signature"))):  # the assertion's first
        context = xmlsec.SignatureContext()
        context.key = key
        context.sign(signature)

    report = inspect(runtime, etree.tostring(root))

    assert {p.code for p in report.problems} == {ProblemCode.BAD_SIGNATURE}
    assert "contrefaçon" in report.problems[0].message.fr


def test_signature_wrapping_with_a_duplicate_id(app, runtime):
    """XSW: the signed assertion hidden in Extensions, a forged copy with its ID in its place."""
    root = etree.fromstring(signed_response(runtime).encode())
    genuine = root.find(f"{SAML}Assertion")
    forged = copy.deepcopy(genuine)
    forged.remove(forged.find(f"{DS}Signature"))
    forged.find(f".//{SAML}AttributeValue").text = "Mallory"
    extensions = etree.Element(f"{SAMLP}Extensions")
    root.replace(genuine, forged)
    root.find(f"{SAML}Issuer").addnext(extensions)
    extensions.append(genuine)

    result = run(app, b64(etree.tostring(root)))

    assert result.exit_code == 1
    assert "enveloppement de signature" in result.output
    report = inspect(runtime, etree.tostring(root))
    codes = {p.code for p in report.problems}
    assert ProblemCode.SIGNATURE_WRAPPING in codes
    assert ProblemCode.NOT_SIGNED in codes


def test_signature_wrapping_with_a_reference_elsewhere(app, runtime):
    """XSW: a forged assertion carrying the genuine signature, which still names the genuine
    assertion (hidden inside the signature)."""
    root = etree.fromstring(signed_response(runtime).encode())
    genuine = root.find(f"{SAML}Assertion")
    forged = copy.deepcopy(genuine)
    forged.set("ID", "id-forged")
    forged.find(f".//{SAML}AttributeValue").text = "Mallory"
    hidden = copy.deepcopy(genuine)
    hidden.remove(hidden.find(f"{DS}Signature"))
    wrapper = etree.SubElement(forged.find(f"{DS}Signature"), f"{DS}Object")
    wrapper.append(hidden)
    root.replace(genuine, forged)

    report = inspect(runtime, etree.tostring(root))

    assertion_check = report.signatures[1]
    assert assertion_check.status is SignatureStatus.REFUSED
    assert assertion_check.reason is not None
    assert "#id-forged" in assertion_check.reason.en
    assert ProblemCode.SIGNATURE_WRAPPING in {p.code for p in report.problems}


def test_expired_conditions(app, runtime, clock):
    xml = signed_response(runtime)
    document = b64(xml)
    # From the response's own end of validity: pysaml2 stamps it with the wall clock.
    conditions = etree.fromstring(xml.encode()).find(f"{SAML}Assertion/{SAML}Conditions")
    clock.now = datetime.fromisoformat(conditions.get("NotOnOrAfter")) + timedelta(minutes=3)

    result = run(app, document)

    assert result.exit_code == 1
    assert "Expiré depuis 3 min (Conditions NotOnOrAfter : " in result.output
    assert "Expiré depuis 3 min (SubjectConfirmationData NotOnOrAfter : " in result.output
    report = inspect(runtime, document)
    assert {p.code for p in report.problems} == {ProblemCode.EXPIRED}
    assert all(s.valid for s in report.signatures)


def test_unsigned_response(app, runtime):
    root = etree.fromstring(signed_response(runtime).encode())
    for signature in list(root.iter(f"{DS}Signature")):
        signature.getparent().remove(signature)

    report = inspect(runtime, etree.tostring(root))

    assert [p.code for p in report.problems] == [ProblemCode.NOT_SIGNED] * 2
    assert report.problems[0].message.fr.startswith("La réponse n'est pas signée")


def test_wrong_audience(app, runtime):
    report = inspect(runtime, signed_response(runtime), audience="https://other.example/saml")

    assert [p.code for p in report.problems] == [ProblemCode.WRONG_AUDIENCE]


def test_encrypted_assertion_is_reported_and_the_response_still_checked(app, runtime):
    document = b64(signed_response(runtime, SEALED_SP))

    result = run(app, document)

    assert result.exit_code == 0, result.output
    assert "assertion chiffrée" in first_line(result)
    assert "http://www.w3.org/2009/xmlenc11#aes256-gcm" in result.output
    assert "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" in result.output
    report = inspect(runtime, document)
    assert [s.status for s in report.signatures] == [
        SignatureStatus.VALID,
        SignatureStatus.UNCHECKED,
    ]
    tampered = signed_response(runtime, SEALED_SP).replace(
        'InResponseTo="id-1"', 'InResponseTo="id-2"'
    )
    assert inspect(runtime, tampered).problems[0].code is ProblemCode.ALTERED


def test_document_with_a_dtd_is_refused(app):
    document = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'

    result = run(app, b64(document))

    assert result.exit_code == 1
    assert "déclaration DTD ou d'entité" in first_line(result)


def test_other_saml_message(app, runtime):
    document = '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x"/>'

    report = inspect(runtime, document)

    assert [p.code for p in report.problems] == [ProblemCode.UNEXPECTED_TYPE]
    assert "LogoutRequest" in report.problems[0].message.fr


def test_form_field_as_copied_from_a_browser(app, runtime):
    field = urlencode({"SAMLResponse": b64(signed_response(runtime)), "RelayState": "rs"})

    report = inspect(runtime, field)

    assert report.valid, report.problems


def test_base64_of_something_else_is_unreadable(app, runtime):
    report = inspect(runtime, b64("plain text, not XML"))

    assert report.kind is Kind.UNREADABLE
    assert [p.code for p in report.problems] == [ProblemCode.MALFORMED]
