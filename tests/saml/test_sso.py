"""SAML single sign-on: AuthnRequests from the test SPs, Responses read back by pysaml2.

Each test drives the flow the way a browser does (:class:`SamlBrowser`): the SP's pysaml2
client makes the AuthnRequest (HTTP-Redirect or HTTP-POST, signed), the provider stores it and
sends the browser to ``/saml/sso/<token>``, the person signs in, chooses an enterprise and
agrees, and the provider answers with a form posting the ``SAMLResponse`` to the ACS. The
Response is then checked both as XML (signatures, encryption, status) and as pysaml2 sees it.

Besides the two SPs of ``tests/saml/conftest.py``, this module registers an OIDC client of the
AMF (to compare the NameID with the OIDC ``sub``) and a MELCCFP SP that needs the IQEA verifier
right (the right the consultant holds through external proxies).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import pytest
import xmlsec
from joserfc import jwt
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.saml import (
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    AuthnContextClassRef,
)
from saml2.samlp import (
    STATUS_INVALID_NAMEID_POLICY,
    STATUS_NO_AUTHN_CONTEXT,
    STATUS_NO_PASSIVE,
    STATUS_REQUEST_DENIED,
    STATUS_RESPONDER,
    STATUS_SUCCESS,
    RequestedAuthnContext,
)
from sqlalchemy import select

from idp.accounts.models import UserSession
from idp.audit.models import AuditEvent
from idp.enterprises.models import EnterpriseStatus
from idp.extensions import db
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy
from idp.relying_parties import new_client_secret
from tests.conftest import TEST_PASSWORD, Person, csrf_token
from tests.oidc.conftest import Browser, exchange, write_client
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.test_views import add_passkey, options_in, post_answer
from tests.saml.conftest import IQEA_SP, ServiceProvider, _service_provider

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
RSA_OAEP = {
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
}
ACR_MFA = "urn:clicsequr:acr:mfa"
ACR_PHR = "urn:clicsequr:acr:phr"
PASSKEY_STEP = "/connexion/cle-d-acces/confirmer"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ATTRIBUTE = "urn:clicsequr:attribute:"

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
}

VERIFICATION_SP = "https://verification.example.gouv.qc.ca/saml"
AMF_PORTAL = "amf-portal"
AMF_CALLBACK = "https://amf.example.gouv.qc.ca/oidc/callback"


# -- registrations --------------------------------------------------------------------------------


@pytest.fixture
def amf_portal_secret() -> tuple[str, str]:
    """The secret of the AMF OIDC client and its SHA-256."""
    return new_client_secret()


@pytest.fixture
def verification_sp(tmp_path: Path) -> ServiceProvider:
    return _service_provider(tmp_path / "sps", VERIFICATION_SP, "verification")


@pytest.fixture
def relying_parties(
    relying_parties: Path,
    amf_portal_secret: tuple[str, str],
    verification_sp: ServiceProvider,
) -> Path:
    """The two SPs of the conftest, a MELCCFP verification SP and an AMF OIDC client."""
    (relying_parties / "verification-metadata.xml").write_text(verification_sp.metadata(), "utf-8")
    (relying_parties / "verification.toml").write_text(
        "\n".join(
            [
                'kind = "saml"',
                f'entity_id = "{VERIFICATION_SP}"',
                'ministry = "melccfp"',
                'name_fr = "Vérification IQEA"',
                'name_en = "IQEA verification"',
                'metadata_file = "verification-metadata.xml"',
                'required_rights = ["melccfp.iqea.verifier"]',
            ]
        )
        + "\n",
        "utf-8",
    )
    write_client(
        relying_parties,
        {
            "kind": "oidc",
            "client_id": AMF_PORTAL,
            "ministry": "amf",
            "name_fr": "Services en ligne de l'AMF",
            "name_en": "AMF online services",
            "redirect_uris": [AMF_CALLBACK],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": amf_portal_secret[1],
            "scopes": ["openid", "profile", "email", "enterprise"],
        },
    )
    return relying_parties


# -- the browser ----------------------------------------------------------------------------------


def saml_form(html: str) -> tuple[str, dict[str, str]] | None:
    """The action and fields of the page's form that carries a SAML message, if any."""
    page = lxml.html.fromstring(html)
    for form in page.iterfind(".//form"):
        fields = {i.get("name"): i.get("value", "") for i in form.iterfind(".//input")}
        if fields.keys() & {"SAMLRequest", "SAMLResponse"}:
            return form.get("action", ""), fields
    return None


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Posted:
    """The form the provider gives the browser to post to the SP's ACS."""

    action: str
    saml_response: str
    relay_state: str | None
    request_id: str
    sp_client: Saml2Client
    token_path: str | None
    # The pages the person went through: "sign-in", "choice", "consent".
    pages: list[str] = field(default_factory=list)

    @property
    def xml(self) -> bytes:
        return base64.b64decode(self.saml_response)

    @property
    def root(self) -> etree._Element:
        return etree.fromstring(self.xml)

    @property
    def status_codes(self) -> list[str]:
        return [e.get("Value", "") for e in self.root.iterfind(".//samlp:StatusCode", NS)]

    def parsed(self) -> Any:
        """The Response as the SP's pysaml2 reads it (signatures checked, decrypted)."""
        return self.sp_client.parse_authn_request_response(
            self.saml_response, BINDING_HTTP_POST, outstanding={self.request_id: "/"}
        )

    def attributes(self) -> dict[str, list[str]]:
        return dict(self.parsed().ava)


class SamlBrowser:
    """Sends AuthnRequests from a test SP and goes through the provider's pages."""

    def __init__(self, client: Any, auth: Any, idp_metadata: str) -> None:
        self.client = client
        self.auth = auth
        self.idp_metadata = idp_metadata

    def send(
        self,
        sp: ServiceProvider,
        *,
        binding: str = BINDING_HTTP_REDIRECT,
        relay_state: str = "rs1",
        **kwargs: Any,
    ) -> tuple[str, Saml2Client, Any]:
        """The AuthnRequest (signed with RSA-SHA256) and the provider's first answer."""
        saml_client = sp.client(self.idp_metadata)
        request_id, info = saml_client.prepare_for_authenticate(
            binding=binding, relay_state=relay_state, sign=True, sigalg=RSA_SHA256, **kwargs
        )
        if binding == BINDING_HTTP_REDIRECT:
            response = self.client.get(path_of(dict(info["headers"])["Location"]))
        else:
            form = saml_form(info["data"])
            assert form is not None
            response = self.client.post(path_of(form[0]), data=form[1])
        return request_id, saml_client, response

    def sign_in(self, person: Person, login_location: str) -> Any:
        self.auth.form_post(
            path_of(login_location), {"user_code": person.user_code, "password": person.password}
        )
        done = self.auth.code_step(self.auth.smtp.last_code(person.email))
        assert done.status_code == 302, done.get_data(as_text=True)[:500]
        return done

    def run(
        self,
        sp: ServiceProvider,
        person: Person | None = None,
        *,
        enterprise_id: int | None = None,
        consent: bool = True,
        passkey: SoftwareAuthenticator | None = None,
        **kwargs: Any,
    ) -> Posted:
        """Send an AuthnRequest and go on until the provider posts a Response to the ACS (the
        person answers the passkey step with ``passkey`` when it is asked)."""
        request_id, saml_client, response = self.send(sp, **kwargs)
        pages: list[str] = []
        token_path = None
        for _ in range(8):
            if response.status_code == 302:
                location = response.headers["Location"]
                if urlsplit(location).path.startswith("/saml/sso/"):
                    token_path = urlsplit(location).path
                    response = self.client.get(path_of(location))
                    continue
                if urlsplit(location).path == PASSKEY_STEP:
                    assert passkey is not None, "the passkey step was asked without a passkey"
                    pages.append("passkey")
                    page = self.client.get(path_of(location)).get_data(as_text=True)
                    answer = passkey.get(options_in(page))
                    response = post_answer(self.auth, path_of(location), page, answer)
                    continue
                assert urlsplit(location).path == "/connexion", location
                assert person is not None, "sign-in asked without a person"
                pages.append("sign-in")
                response = self.client.get(path_of(self.sign_in(person, location).location))
                continue
            html = response.get_data(as_text=True)
            form = saml_form(html)
            if form is not None:
                action, fields = form
                return Posted(
                    action=action,
                    saml_response=fields["SAMLResponse"],
                    relay_state=fields.get("RelayState"),
                    request_id=request_id,
                    sp_client=saml_client,
                    token_path=token_path,
                    pages=pages,
                )
            assert token_path is not None, f"{response.status_code}: {html[:500]}"
            if 'name="enterprise"' in html:
                assert enterprise_id is not None, "the enterprise choice page was shown"
                pages.append("choice")
                response = self.decide(token_path, html, enterprise=str(enterprise_id))
            elif 'value="allow"' in html:
                pages.append("consent")
                response = self.decide(token_path, html, decision="allow" if consent else "deny")
            else:
                raise AssertionError(f"unexpected page {response.status_code}: {html[:800]}")
        raise AssertionError("no Response after 8 steps")

    def decide(self, token_path: str, html: str, **choice: str) -> Any:
        return self.client.post(token_path, data={**choice, "csrf_token": csrf_token(html)})


@pytest.fixture
def browser(client: Any, auth: Any, idp_metadata: str) -> SamlBrowser:
    return SamlBrowser(client, auth, idp_metadata)


@pytest.fixture
def operator_person(factory: Any, world: Any) -> Person:
    """Jean Roy of the emitter, holding an internal proxy with the IQEA operator right only."""
    runtime = factory.runtime
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=date(2027, 6, 30),
        description="Déclarations IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
    )
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    return Person(world.user, TEST_PASSWORD)


@pytest.fixture
def verifier_person(world: Any, second_client: Any) -> Person:
    """The consultant, with external verifier proxies from the emitter and a second client."""
    return Person(world.consultant, TEST_PASSWORD)


# -- XML helpers ----------------------------------------------------------------------------------


def idp_certificate(runtime: Any) -> bytes:
    pem = runtime.keystore.current("RSA").certificate_pem
    assert pem is not None
    return bytes(pem)


def signature_of(element: etree._Element) -> etree._Element:
    signature = element.find("ds:Signature", NS)
    assert signature is not None, f"{element.tag} is not signed"
    return signature


def assert_rsa_sha256_signature(element: etree._Element) -> None:
    """An enveloped RSA-SHA256 signature, exclusive c14n, SHA-256 digest of the element."""
    signature = signature_of(element)
    assert signature.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm") == RSA_SHA256
    assert (
        signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS).get("Algorithm") == EXC_C14N
    )
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    assert [r.get("URI") for r in references] == [f"#{element.get('ID')}"]
    assert references[0].find("ds:DigestMethod", NS).get("Algorithm") == SHA256
    transforms = [t.get("Algorithm") for t in references[0].iterfind(".//ds:Transform", NS)]
    assert EXC_C14N in transforms


def verify_signature(element: etree._Element, certificate_pem: bytes) -> None:
    """Verify with the xmlsec binding (raises xmlsec.Error when it does not verify)."""
    xmlsec.tree.add_ids(element.getroottree().getroot(), ["ID"])
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(certificate_pem, xmlsec.constants.KeyDataFormatCertPem)
    context.verify(signature_of(element))


def decrypt_assertion(root: etree._Element, sp: ServiceProvider) -> etree._Element:
    """The assertion of an EncryptedAssertion, decrypted in place with the SP's key."""
    encrypted = root.find("saml:EncryptedAssertion/xenc:EncryptedData", NS)
    assert encrypted is not None
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(sp.key_file, xmlsec.constants.KeyDataFormatPem))
    decrypted = xmlsec.EncryptionContext(manager).decrypt(encrypted)
    assert decrypted.tag == f"{{{NS['saml']}}}Assertion"
    return decrypted


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def open_session(account_id: int) -> UserSession:
    return db.session.scalars(
        select(UserSession).where(
            UserSession.account_id == account_id, UserSession.ended_at.is_(None)
        )
    ).one()


def oidc_subject(client: Any, auth: Any, runtime: Any, person: Person, secret: str) -> str:
    """The `sub` of the ID token the AMF OIDC client gets for ``person``."""
    oidc = Browser(client, auth)
    request = oidc.request(AMF_PORTAL, AMF_CALLBACK, ["openid", "profile"])
    code = oidc.authorize(person, request)["code"]
    tokens = exchange(client, request, code, secret).get_json()
    return str(jwt.decode(tokens["id_token"], runtime.keystore.key_set()).claims["sub"])


def authn_context(comparison: str, *refs: str) -> RequestedAuthnContext:
    return RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=ref) for ref in refs],
        comparison=comparison,
    )


# -- bindings, relay state, ACS ------------------------------------------------------------------


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST])
def test_signed_requests_in_both_bindings_get_a_response_at_the_acs(
    browser, amf_sp, esm_person, binding
):
    posted = browser.run(amf_sp, esm_person, binding=binding, relay_state="retour/à ?x=1&y")

    assert posted.pages == ["sign-in", "consent"]
    assert posted.action == amf_sp.acs == "https://amf.example.gouv.qc.ca/saml/acs"
    assert posted.relay_state == "retour/à ?x=1&y"
    assert posted.status_codes == [STATUS_SUCCESS]
    response = posted.parsed()
    assert response.in_response_to == posted.request_id
    assert response.name_id.text


def test_without_relay_state_none_is_posted(browser, iqea_sp, operator_person):
    posted = browser.run(iqea_sp, operator_person, relay_state="")

    assert posted.relay_state is None
    assert posted.status_codes == [STATUS_SUCCESS]


# -- encryption and signatures -------------------------------------------------------------------


def test_amf_assertion_is_encrypted_with_aes_gcm_and_rsa_oaep(browser, amf_sp, esm_person):
    posted = browser.run(amf_sp, esm_person)

    root = posted.root
    assert b"EncryptedAssertion" in posted.xml
    assert root.find("saml:Assertion", NS) is None
    assert not list(root.iter(f"{{{NS['saml']}}}Assertion"))
    data = root.find("saml:EncryptedAssertion/xenc:EncryptedData", NS)
    assert data.find("xenc:EncryptionMethod", NS).get("Algorithm") == AES256_GCM
    key_method = data.find(".//xenc:EncryptedKey/xenc:EncryptionMethod", NS)
    assert key_method.get("Algorithm") in RSA_OAEP
    # The SP's pysaml2 decrypts it with its key.
    response = posted.parsed()
    assert response.assertion is not None
    assert response.ava["mail"] == [esm_person.email]


def test_iqea_assertion_is_not_encrypted(browser, iqea_sp, operator_person):
    posted = browser.run(iqea_sp, operator_person)

    assert b"EncryptedAssertion" not in posted.xml
    assert posted.root.find("saml:Assertion", NS) is not None
    assert posted.parsed().ava["mail"] == [operator_person.email]


def test_iqea_response_and_assertion_are_signed_with_rsa_sha256(
    browser, runtime, iqea_sp, operator_person
):
    root = browser.run(iqea_sp, operator_person).root

    assertion = root.find("saml:Assertion", NS)
    assert_rsa_sha256_signature(root)
    assert_rsa_sha256_signature(assertion)
    verify_signature(root, idp_certificate(runtime))
    verify_signature(assertion, idp_certificate(runtime))


def test_amf_response_and_encrypted_assertion_are_signed_with_rsa_sha256(
    browser, runtime, amf_sp, esm_person
):
    root = browser.run(amf_sp, esm_person).root

    assert_rsa_sha256_signature(root)
    verify_signature(root, idp_certificate(runtime))
    assertion = decrypt_assertion(root, amf_sp)
    assert_rsa_sha256_signature(assertion)
    verify_signature(assertion, idp_certificate(runtime))


def test_a_tampered_response_is_refused_by_the_sp(browser, iqea_sp, operator_person):
    posted = browser.run(iqea_sp, operator_person)
    tampered = posted.xml.replace(operator_person.email.encode(), b"mallory@example.com")
    assert tampered != posted.xml
    posted.saml_response = base64.b64encode(tampered).decode("ascii")

    with pytest.raises(Exception, match="(?i)signature"):
        posted.parsed()


# -- attributes -----------------------------------------------------------------------------------


def test_esm_attributes_at_amf(browser, runtime, amf_sp, esm_person, world):
    ava = browser.run(amf_sp, esm_person).attributes()

    assert ava["givenName"] == ["Marie"]
    assert ava["sn"] == ["Tremblay"]
    assert ava["displayName"] == ["Marie Tremblay"]
    assert ava["mail"] == [esm_person.email]
    assert ava[f"{ATTRIBUTE}enterprise-neq"] == [world.emitter.neq]
    assert ava[f"{ATTRIBUTE}enterprise-name"] == ["Aciérie Saint-Laurent inc."]
    assert ava[f"{ATTRIBUTE}role"] == ["esm"]
    assert ava[f"{ATTRIBUTE}rights-source"] == ["esm"]
    assert ava[f"{ATTRIBUTE}ministry"] == ["amf"]
    assert sorted(ava[f"{ATTRIBUTE}rights"]) == sorted(runtime.catalogue.ministry("amf").right_ids)
    for absent in ("agent-neq", "agent-name", "proxy-id", "proxy-valid-until"):
        assert f"{ATTRIBUTE}{absent}" not in ava


def test_internal_proxy_user_attributes_at_iqea(browser, iqea_sp, operator_person, world):
    posted = browser.run(iqea_sp, operator_person)
    ava = posted.attributes()

    assert posted.pages == ["sign-in", "consent"]
    assert ava["displayName"] == ["Jean Roy"]
    assert ava[f"{ATTRIBUTE}enterprise-neq"] == [world.emitter.neq]
    assert ava[f"{ATTRIBUTE}role"] == ["user"]
    assert ava[f"{ATTRIBUTE}rights"] == ["melccfp.iqea.operator"]
    assert ava[f"{ATTRIBUTE}rights-source"] == ["internal"]
    assert ava[f"{ATTRIBUTE}ministry"] == ["melccfp"]
    assert ava[f"{ATTRIBUTE}proxy-id"][0].isdigit()
    assert ava[f"{ATTRIBUTE}proxy-valid-until"] == ["2027-06-30"]
    assert f"{ATTRIBUTE}agent-neq" not in ava


def test_consultant_under_external_proxy_chooses_the_enterprise(
    browser, verification_sp, verifier_person, world
):
    posted = browser.run(verification_sp, verifier_person, enterprise_id=world.emitter.id)
    ava = posted.attributes()

    assert posted.pages == ["sign-in", "choice", "consent"]
    assert ava[f"{ATTRIBUTE}enterprise-neq"] == [world.emitter.neq]
    assert ava[f"{ATTRIBUTE}agent-neq"] == [world.firm.neq]
    assert ava[f"{ATTRIBUTE}agent-name"] == ["Conseils Verts Québec inc."]
    assert ava[f"{ATTRIBUTE}rights"] == ["melccfp.iqea.verifier"]
    assert ava[f"{ATTRIBUTE}rights-source"] == ["external"]
    assert ava[f"{ATTRIBUTE}role"] == ["user"]
    assert ava[f"{ATTRIBUTE}proxy-valid-until"] == ["2027-01-01"]


def test_rights_of_another_ministry_never_appear(browser, amf_sp, iqea_sp, esm_person):
    at_amf = browser.run(amf_sp, esm_person).attributes()
    at_iqea = browser.run(iqea_sp, esm_person).attributes()

    assert at_amf[f"{ATTRIBUTE}rights"]
    assert all(right.startswith("amf.") for right in at_amf[f"{ATTRIBUTE}rights"])
    assert "melccfp.iqea.operator" in at_iqea[f"{ATTRIBUTE}rights"]
    assert all(right.startswith("melccfp.") for right in at_iqea[f"{ATTRIBUTE}rights"])


# -- NameID ---------------------------------------------------------------------------------------


def test_persistent_name_id_is_the_oidc_subject_of_the_ministry(
    browser, client, auth, runtime, amf_sp, esm_person, amf_portal_secret
):
    subject = oidc_subject(client, auth, runtime, esm_person, amf_portal_secret[0])
    posted = browser.run(amf_sp, esm_person)
    name_id = posted.parsed().name_id

    assert posted.pages == ["consent"]  # signed in at the OIDC client already
    assert name_id.format == NAMEID_FORMAT_PERSISTENT
    assert name_id.text == subject


def test_persistent_name_id_differs_across_ministries_and_stays_at_each(
    browser, auth, amf_sp, iqea_sp, esm_person
):
    at_amf = browser.run(amf_sp, esm_person).parsed().name_id
    at_iqea = browser.run(iqea_sp, esm_person).parsed().name_id
    auth.sign_out()
    again = browser.run(amf_sp, esm_person).parsed().name_id

    assert at_amf.format == at_iqea.format == NAMEID_FORMAT_PERSISTENT
    assert at_amf.text != at_iqea.text
    assert again.text == at_amf.text


def test_transient_name_id_changes_at_each_sign_in(browser, auth, iqea_sp, operator_person):
    first = browser.run(iqea_sp, operator_person, nameid_format=NAMEID_FORMAT_TRANSIENT)
    auth.sign_out()
    second = browser.run(iqea_sp, operator_person, nameid_format=NAMEID_FORMAT_TRANSIENT)
    persistent = browser.run(iqea_sp, operator_person).parsed().name_id

    assert second.pages == ["sign-in"]
    names = [first.parsed().name_id, second.parsed().name_id]
    assert [n.format for n in names] == [NAMEID_FORMAT_TRANSIENT] * 2
    assert names[0].text != names[1].text
    assert persistent.text not in {names[0].text, names[1].text}


def test_unsupported_name_id_format_gets_a_signed_invalid_policy_status(browser, runtime, iqea_sp):
    posted = browser.run(iqea_sp, nameid_format=NAMEID_FORMAT_EMAILADDRESS)

    assert posted.pages == []
    assert posted.token_path is None  # answered at once, nobody signs in
    assert posted.action == iqea_sp.acs
    assert posted.relay_state == "rs1"
    assert posted.status_codes == [STATUS_RESPONDER, STATUS_INVALID_NAMEID_POLICY]
    root = posted.root
    assert root.get("InResponseTo") == posted.request_id
    assert root.find("saml:Assertion", NS) is None
    assert_rsa_sha256_signature(root)
    verify_signature(root, idp_certificate(runtime))


# -- ForceAuthn and IsPassive ---------------------------------------------------------------------


def test_force_authn_asks_a_signed_in_person_to_sign_in_again(browser, amf_sp, esm_person, world):
    first = browser.run(amf_sp, esm_person)
    first_instant = first.parsed().assertion.authn_statement[0].authn_instant
    without = browser.run(amf_sp, esm_person)
    forced = browser.run(amf_sp, esm_person, force_authn="true")

    assert without.pages == []
    assert forced.pages == ["sign-in"]
    statement = forced.parsed().assertion.authn_statement[0]
    assert instant(statement.authn_instant) >= instant(first_instant)
    authenticated_at = open_session(world.esm.id).authenticated_at
    assert instant(statement.authn_instant) == authenticated_at.replace(microsecond=0)


def test_is_passive_without_a_session_gets_no_passive(browser, amf_sp):
    posted = browser.run(amf_sp, is_passive="true")

    assert posted.pages == []
    assert posted.action == amf_sp.acs
    assert posted.status_codes == [STATUS_RESPONDER, STATUS_NO_PASSIVE]
    assert posted.root.get("InResponseTo") == posted.request_id
    assert posted.root.find("saml:EncryptedAssertion", NS) is None


def test_is_passive_with_a_session_and_consent_answers_without_a_page(browser, amf_sp, esm_person):
    browser.run(amf_sp, esm_person)
    posted = browser.run(amf_sp, is_passive="true")

    assert posted.pages == []
    assert posted.status_codes == [STATUS_SUCCESS]
    assert posted.parsed().ava["mail"] == [esm_person.email]


def test_is_passive_before_consent_gets_no_passive(browser, auth, amf_sp, esm_person):
    auth.sign_in(esm_person)
    posted = browser.run(amf_sp, is_passive="true")

    assert posted.pages == []
    assert posted.status_codes == [STATUS_RESPONDER, STATUS_NO_PASSIVE]


def test_is_passive_with_a_temporary_password_gets_no_passive(browser, auth, amf_sp, factory):
    auth.sign_in(factory.person(temporary=True))
    posted = browser.run(amf_sp, is_passive="true")

    assert posted.pages == []
    assert posted.status_codes == [STATUS_RESPONDER, STATUS_NO_PASSIVE]


# -- RequestedAuthnContext ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requested",
    [
        authn_context("exact", ACR_MFA),
        authn_context("minimum", PASSWORD_PROTECTED),
        authn_context("better", PASSWORD_PROTECTED),
        authn_context("maximum", ACR_MFA),
    ],
    ids=["exact-mfa", "minimum-ppt", "better-ppt", "maximum-mfa"],
)
def test_requested_authn_context_honoured(browser, iqea_sp, operator_person, requested):
    posted = browser.run(iqea_sp, operator_person, requested_authn_context=requested)

    assert posted.status_codes == [STATUS_SUCCESS]
    statement = posted.parsed().assertion.authn_statement[0]
    assert statement.authn_context.authn_context_class_ref.text == ACR_MFA


@pytest.mark.parametrize(
    "requested",
    [
        authn_context("exact", PASSWORD_PROTECTED),
        authn_context("better", ACR_PHR),
        authn_context("maximum", PASSWORD_PROTECTED),
    ],
    ids=["exact-ppt", "better-phr", "maximum-ppt"],
)
def test_authn_context_not_offered_gets_no_authn_context(browser, iqea_sp, requested):
    posted = browser.run(iqea_sp, requested_authn_context=requested)

    assert posted.pages == []
    assert posted.status_codes == [STATUS_RESPONDER, STATUS_NO_AUTHN_CONTEXT]


@pytest.mark.parametrize(
    "requested",
    [authn_context("exact", ACR_PHR), authn_context("better", ACR_MFA)],
    ids=["exact-phr", "better-mfa"],
)
def test_a_request_for_the_passkey_class_goes_through_the_passkey_step(
    browser, auth, iqea_sp, operator_person, requested
):
    key = SoftwareAuthenticator()
    auth.sign_in(operator_person)
    add_passkey(auth, key)

    posted = browser.run(iqea_sp, requested_authn_context=requested, passkey=key)

    assert posted.pages == ["passkey", "consent"]
    assert posted.status_codes == [STATUS_SUCCESS]
    statement = posted.parsed().assertion.authn_statement[0]
    assert statement.authn_context.authn_context_class_ref.text == ACR_PHR


def test_a_request_for_the_passkey_class_without_one_never_gets_an_assertion(
    browser, auth, client, iqea_sp, operator_person
):
    auth.sign_in(operator_person)
    _request_id, _saml_client, response = browser.send(
        iqea_sp, requested_authn_context=authn_context("exact", ACR_PHR)
    )
    step = client.get(path_of(response.headers["Location"]))
    assert urlsplit(step.headers["Location"]).path == PASSKEY_STEP
    page = client.get(path_of(step.headers["Location"]) + "&lang=en").get_data(as_text=True)
    assert "You have no passkey yet." in page


@pytest.mark.parametrize(
    ("requested", "stated"),
    [
        (None, ACR_PHR),
        (authn_context("minimum", ACR_MFA), ACR_PHR),
        (authn_context("exact", ACR_MFA), ACR_MFA),
        (authn_context("maximum", ACR_MFA), ACR_MFA),
    ],
    ids=["none", "minimum-mfa", "exact-mfa", "maximum-mfa"],
)
def test_a_passkey_session_states_the_strongest_class_the_request_accepts(
    browser, auth, iqea_sp, operator_person, requested, stated
):
    key = SoftwareAuthenticator()
    auth.sign_in(operator_person)
    add_passkey(auth, key)
    browser.run(iqea_sp, requested_authn_context=authn_context("exact", ACR_PHR), passkey=key)

    extra = {} if requested is None else {"requested_authn_context": requested}
    posted = browser.run(iqea_sp, **extra)

    assert posted.pages == []
    statement = posted.parsed().assertion.authn_statement[0]
    assert statement.authn_context.authn_context_class_ref.text == stated


def test_authn_statement_names_mfa_and_the_sign_in_time(browser, amf_sp, esm_person, world):
    before = datetime.now(UTC).replace(microsecond=0)
    statement = browser.run(amf_sp, esm_person).parsed().assertion.authn_statement[0]

    assert statement.authn_context.authn_context_class_ref.text == ACR_MFA
    authn_instant = instant(statement.authn_instant)
    assert authn_instant >= before
    assert authn_instant == open_session(world.esm.id).authenticated_at.replace(microsecond=0)


def test_assertion_is_for_this_sp_and_request_for_five_minutes(browser, iqea_sp, operator_person):
    posted = browser.run(iqea_sp, operator_person)
    assertion = posted.parsed().assertion

    conditions = assertion.conditions
    lifetime = instant(conditions.not_on_or_after) - instant(conditions.not_before)
    # pysaml2 reads the clock once for each bound: they may straddle a second.
    assert 5 * 60 <= lifetime.total_seconds() <= 5 * 60 + 1
    audiences = [a.text for r in conditions.audience_restriction for a in r.audience]
    assert audiences == [IQEA_SP]
    confirmation = assertion.subject.subject_confirmation[0]
    assert confirmation.method == "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    assert confirmation.subject_confirmation_data.recipient == iqea_sp.acs
    assert confirmation.subject_confirmation_data.in_response_to == posted.request_id


# -- no rights ------------------------------------------------------------------------------------


def test_no_rights_page_then_request_denied(browser, client, iqea_sp, world):
    other = Person(world.other_user, TEST_PASSWORD)
    request_id, _saml_client, response = browser.send(iqea_sp)
    token_path = response.headers["Location"]
    browser.sign_in(other, client.get(token_path).headers["Location"])

    page = client.get(token_path)
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert 'value="deny"' in html
    answer = browser.decide(token_path, html, decision="deny")

    form = saml_form(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert form is not None
    action, fields = form
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    assert action == iqea_sp.acs
    assert fields["RelayState"] == "rs1"
    assert root.get("InResponseTo") == request_id
    assert [e.get("Value") for e in root.iterfind(".//samlp:StatusCode", NS)] == [
        STATUS_RESPONDER,
        STATUS_REQUEST_DENIED,
    ]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "oidc:authorization:deny")
    ).one()
    assert event.subject_account_id == world.other_user.id
    assert event.details["relying_party"] == IQEA_SP
    assert event.details["reason"] == "no_rights"


# -- the pending request --------------------------------------------------------------------------


def test_unknown_request_token_gets_the_error_page(client):
    response = client.get("/saml/sso/unknown-token")

    assert response.status_code == 400


def test_a_completed_request_cannot_be_used_again(browser, client, amf_sp, esm_person):
    posted = browser.run(amf_sp, esm_person)
    assert posted.token_path is not None

    again = client.get(posted.token_path)
    assert again.status_code == 400
    assert "SAMLResponse" not in again.get_data(as_text=True)


def test_the_token_of_a_status_answer_cannot_be_used_again(
    browser, client, auth, amf_sp, esm_person
):
    # NoPassive completes the request too: signing in afterwards does not revive it.
    posted = browser.run(amf_sp, is_passive="true")
    assert posted.status_codes == [STATUS_RESPONDER, STATUS_NO_PASSIVE]
    auth.sign_in(esm_person)

    again = client.get(posted.token_path)
    assert again.status_code == 400
    assert "SAMLResponse" not in again.get_data(as_text=True)


@pytest.mark.parametrize("status", [EnterpriseStatus.SUSPENDED, EnterpriseStatus.CANCELLED])
def test_the_esm_of_an_enterprise_not_active_is_denied(
    browser, client, amf_sp, esm_person, world, status
):
    """Before #15 the status was never read: a suspended enterprise's ESM held every right."""
    world.emitter.status = status
    db.session.commit()
    _request_id, _saml_client, response = browser.send(amf_sp)
    token_path = response.headers["Location"]
    browser.sign_in(esm_person, client.get(token_path).headers["Location"])

    page = client.get(token_path)
    assert page.status_code == 403
    answer = browser.decide(token_path, page.get_data(as_text=True), decision="deny")
    _action, fields = saml_form(answer.get_data(as_text=True))
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    assert [e.get("Value") for e in root.iterfind(".//samlp:StatusCode", NS)] == [
        STATUS_RESPONDER,
        STATUS_REQUEST_DENIED,
    ]
    assert root.find(".//saml:Assertion", NS) is None
    assert root.find(".//saml:EncryptedAssertion", NS) is None
