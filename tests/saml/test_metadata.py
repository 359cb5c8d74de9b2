"""The provider's SAML metadata, its keys across a rotation, and the SP registrations refused.

``/saml/metadata`` is what every service provider trusts: it is checked as XML (endpoints,
NameID formats, the current and next signing certificates, the enveloped signature verified
with the ``xmlsec`` binding), against the SAML metadata schema pysaml2 ships, and as pysaml2's
own ``MetadataStore`` reads it. Registrations are checked when the registry loads: each broken
one is refused with its file named.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.xml.schema import XMLSchemaError
from saml2.xml.schema import validate as validate_schema

from idp import create_app
from idp.keystore import rotate_keys
from idp.relying_parties import RegistryError, load_registry
from tests.conftest import RequestIsolatingClient
from tests.saml.conftest import AMF_SP, ServiceProvider

ISSUER = "http://localhost"
ENTITY_ID = f"{ISSUER}/saml/metadata"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
BINDING_HTTP_ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "alg": "urn:oasis:names:tc:SAML:metadata:algsupport",
}


# -- helpers --------------------------------------------------------------------------------------


def fetch(client: Any) -> tuple[Any, etree._Element]:
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    return response, etree.fromstring(response.get_data())


def idp_descriptor(root: etree._Element) -> etree._Element:
    descriptors = root.findall("md:IDPSSODescriptor", NS)
    assert len(descriptors) == 1
    return descriptors[0]


def endpoints(descriptor: etree._Element, tag: str) -> set[tuple[str, str]]:
    return {(e.get("Binding"), e.get("Location")) for e in descriptor.iterfind(f"md:{tag}", NS)}


def signing_certificates(root: etree._Element) -> list[bytes]:
    """DER of every signing certificate of the IDPSSODescriptor, in order."""
    found = []
    for key in idp_descriptor(root).iterfind("md:KeyDescriptor", NS):
        assert key.get("use") in (None, "signing")
        for certificate in key.iterfind(".//ds:X509Certificate", NS):
            found.append(base64.b64decode("".join(certificate.text.split())))
    return found


def der(pem: bytes | None) -> bytes:
    assert pem is not None
    certificate = x509.load_pem_x509_certificate(pem)
    return certificate.public_bytes(serialization.Encoding.DER)


def pem(der_bytes: bytes) -> bytes:
    certificate = x509.load_der_x509_certificate(der_bytes)
    return certificate.public_bytes(serialization.Encoding.PEM)


def verify(root: etree._Element, certificate_pem: bytes) -> None:
    """Verify the enveloped signature of the root (raises xmlsec.Error when it does not)."""
    xmlsec.tree.add_ids(root, ["ID"])
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(certificate_pem, xmlsec.constants.KeyDataFormatCertPem)
    signature = root.find("ds:Signature", NS)
    assert signature is not None, "the metadata is not signed"
    context.verify(signature)


# -- the metadata ---------------------------------------------------------------------------------


def test_metadata_is_served_as_saml_metadata(client):
    response, root = fetch(client)

    assert response.mimetype == "application/samlmetadata+xml"
    assert root.tag == f"{{{NS['md']}}}EntityDescriptor"
    assert root.get("entityID") == ENTITY_ID


def test_metadata_lists_the_endpoints_and_name_id_formats(client):
    descriptor = idp_descriptor(fetch(client)[1])

    assert (
        "urn:oasis:names:tc:SAML:2.0:protocol"
        in descriptor.get("protocolSupportEnumeration").split()
    )
    bindings = {BINDING_HTTP_REDIRECT, BINDING_HTTP_POST}
    assert endpoints(descriptor, "SingleSignOnService") == {
        (binding, f"{ISSUER}/saml/sso") for binding in bindings
    }
    assert endpoints(descriptor, "SingleLogoutService") == {
        (binding, f"{ISSUER}/saml/slo") for binding in bindings
    }
    formats = [e.text for e in descriptor.iterfind("md:NameIDFormat", NS)]
    assert sorted(formats) == sorted([NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT])


def test_metadata_lists_the_current_and_next_signing_certificates(client, runtime):
    certificates = signing_certificates(fetch(client)[1])

    current = der(runtime.keystore.current("RSA").certificate_pem)
    upcoming = der(runtime.keystore.next("RSA").certificate_pem)
    assert current != upcoming
    assert certificates == [current, upcoming]


def test_metadata_signature_is_enveloped_rsa_sha256(client):
    root = fetch(client)[1]

    signature = root.find("ds:Signature", NS)
    assert signature is not None
    assert root.index(signature) == 0  # first child, before Extensions and descriptors
    assert root.get("ID")
    info = signature.find("ds:SignedInfo", NS)
    assert info.find("ds:CanonicalizationMethod", NS).get("Algorithm") == EXC_C14N
    assert info.find("ds:SignatureMethod", NS).get("Algorithm") == RSA_SHA256
    references = info.findall("ds:Reference", NS)
    assert [r.get("URI") for r in references] == [f"#{root.get('ID')}"]
    transforms = [t.get("Algorithm") for t in references[0].iterfind(".//ds:Transform", NS)]
    assert transforms == [ENVELOPED, EXC_C14N]
    assert references[0].find("ds:DigestMethod", NS).get("Algorithm") == SHA256


def test_metadata_signature_verifies_with_the_current_certificate(client, runtime):
    root = fetch(client)[1]

    verify(root, runtime.keystore.current("RSA").certificate_pem)
    with pytest.raises(xmlsec.Error):
        verify(root, runtime.keystore.next("RSA").certificate_pem)


def test_tampered_metadata_does_not_verify(client, runtime):
    root = fetch(client)[1]
    location = idp_descriptor(root).find("md:SingleSignOnService", NS)
    location.set("Location", "https://attacker.example/saml/sso")

    with pytest.raises(xmlsec.Error):
        verify(root, runtime.keystore.current("RSA").certificate_pem)


def test_metadata_advertises_only_the_algorithms_the_provider_accepts(client):
    # Incoming signatures must be RSA-SHA256 (idp/saml/messages.py): advertising weaker
    # algorithms (algsupport extension) would invite service providers to use them.
    root = fetch(client)[1]

    signing = {e.get("Algorithm") for e in root.iterfind(".//alg:SigningMethod", NS)}
    digests = {e.get("Algorithm") for e in root.iterfind(".//alg:DigestMethod", NS)}
    assert signing <= {RSA_SHA256}
    weak = ("md5", "sha1", "ripemd160")
    assert not [d for d in digests if d.rsplit("#", 1)[-1] in weak]


def test_metadata_is_valid_against_the_saml_schema(client):
    response, _root = fetch(client)
    xml = response.get_data(as_text=True)

    validate_schema(xml)
    with pytest.raises(XMLSchemaError):
        validate_schema(xml.replace("<ns0:IDPSSODescriptor", "<ns0:Unknown/><ns0:IDPSSODescriptor"))


def test_pysaml2_metadata_store_loads_it(amf_sp, idp_metadata, runtime):
    store = amf_sp.client(idp_metadata).metadata

    assert ENTITY_ID in store.identity_providers()
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        services = store.single_sign_on_service(ENTITY_ID, binding)
        assert [s["location"] for s in services] == [f"{ISSUER}/saml/sso"]
    certificates = [
        base64.b64decode(cert) for _name, cert in store.certs(ENTITY_ID, "idpsso", "signing")
    ]
    assert der(runtime.keystore.current("RSA").certificate_pem) in certificates
    assert der(runtime.keystore.next("RSA").certificate_pem) in certificates


# -- key rotation ---------------------------------------------------------------------------------


def restart(app_config: dict[str, Any], clock: Any) -> Any:
    """A new app on the same database and keys directory, as after restarting the workers."""
    restarted = create_app(app_config, clock=clock)
    restarted.config["TESTING"] = True
    restarted.test_client_class = RequestIsolatingClient
    return restarted


class TestKeyRotation:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        # This class rotates keys: its own directory, never the keys the suite shares.
        app_config["keys_dir"] = tmp_path / "keys"
        return app_config

    def test_after_a_rotation_the_former_next_certificate_is_current(
        self, app_config, clock, runtime, client
    ):
        before = signing_certificates(fetch(client)[1])
        settings = runtime.settings
        retention = timedelta(seconds=settings.keys_retired_retention_seconds)
        rotate_keys(settings.keys_dir, clock, settings.issuer, retention)

        restarted = restart(app_config, clock)
        after_runtime = restarted.extensions["idp.runtime"]
        root = fetch(restarted.test_client())[1]
        after = signing_certificates(root)

        new_current = der(after_runtime.keystore.current("RSA").certificate_pem)
        new_next = der(after_runtime.keystore.next("RSA").certificate_pem)
        assert after == [new_current, new_next]
        assert new_current == before[1]  # the former next
        assert before[0] not in after
        assert new_next not in before
        # A service provider holding the former metadata already trusts the new signer.
        verify(root, pem(before[1]))


# -- registrations refused ------------------------------------------------------------------------


def amf_registration(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "saml",
        "entity_id": AMF_SP,
        "ministry": "amf",
        "name_fr": "Autorité des marchés financiers",
        "name_en": "Autorité des marchés financiers",
        "metadata_file": "amf-metadata.xml",
        "authn_requests_signed": True,
        "encrypt_assertions": True,
    }
    fields.update(overrides)
    return fields


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def refusal(
    tmp_path: Path,
    runtime: Any,
    sp: ServiceProvider,
    *,
    edit: Callable[[etree._Element], None] | None = None,
    text: Callable[[str], str] | None = None,
    **overrides: Any,
) -> str:
    """Register the AMF SP (its metadata changed by ``edit``/``text``); the registry's error."""
    directory = tmp_path / "refused"
    directory.mkdir()
    root = etree.fromstring(sp.metadata().encode("utf-8"))
    if edit is not None:
        edit(root)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    if text is not None:
        xml = text(xml)
    (directory / "amf-metadata.xml").write_text(xml, "utf-8")
    fields = amf_registration(**overrides)
    lines = [f"{key} = {toml_value(value)}" for key, value in fields.items()]
    (directory / "amf.toml").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(RegistryError) as refused:
        load_registry(directory, runtime.catalogue)
    message = str(refused.value)
    assert "amf.toml" in message
    return message


def remove_key_descriptors(use: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        for key in root.iterfind(".//md:KeyDescriptor", NS):
            if key.get("use") in (use, None):
                key.getparent().remove(key)

    return edit


def test_the_unchanged_registration_loads(tmp_path, runtime, amf_sp):
    directory = tmp_path / "accepted"
    directory.mkdir()
    (directory / "amf-metadata.xml").write_text(amf_sp.metadata(), "utf-8")
    lines = [f"{key} = {toml_value(value)}" for key, value in amf_registration().items()]
    (directory / "amf.toml").write_text("\n".join(lines) + "\n", "utf-8")

    provider = load_registry(directory, runtime.catalogue).service_provider(AMF_SP)

    assert provider is not None
    assert provider.acs_for(None).location == amf_sp.acs
    assert provider.signing_certificates
    assert provider.encryption_certificates


def test_metadata_with_a_doctype_and_entity_is_refused(tmp_path, runtime, amf_sp):
    def with_entity(xml: str) -> str:
        declaration, _sep, rest = xml.partition("?>")
        doctype = '<!DOCTYPE md:EntityDescriptor [<!ENTITY name "AMF">]>'
        return f"{declaration}?>\n{doctype}\n{rest}"

    message = refusal(tmp_path, runtime, amf_sp, text=with_entity)

    assert "DTD" in message or "entity" in message


def test_metadata_of_another_entity_is_refused(tmp_path, runtime, amf_sp):
    message = refusal(tmp_path, runtime, amf_sp, entity_id="https://other.example.gouv.qc.ca/saml")

    assert "entityID" in message
    assert AMF_SP in message


def test_metadata_without_http_post_acs_is_refused(tmp_path, runtime, amf_sp):
    def artifact_only(root: etree._Element) -> None:
        for acs in root.iterfind(".//md:AssertionConsumerService", NS):
            acs.set("Binding", BINDING_HTTP_ARTIFACT)

    message = refusal(tmp_path, runtime, amf_sp, edit=artifact_only)

    assert "HTTP-POST AssertionConsumerService" in message


def test_signed_requests_without_a_signing_certificate_are_refused(tmp_path, runtime, amf_sp):
    message = refusal(tmp_path, runtime, amf_sp, edit=remove_key_descriptors("signing"))

    assert "authn_requests_signed" in message


def test_encrypted_assertions_without_an_encryption_certificate_are_refused(
    tmp_path, runtime, amf_sp
):
    message = refusal(tmp_path, runtime, amf_sp, edit=remove_key_descriptors("encryption"))

    assert "encrypt_assertions" in message


def test_an_unknown_key_in_the_registration_is_refused(tmp_path, runtime, amf_sp):
    message = refusal(tmp_path, runtime, amf_sp, want_assertions_signed=True)

    assert "want_assertions_signed" in message
