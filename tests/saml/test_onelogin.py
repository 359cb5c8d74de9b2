"""OneLogin's python3-saml, in strict mode, as the service provider.

A second, independent SAML implementation checks what pysaml2 (the provider's own library)
might let pass: OneLogin validates the Response's destination, audience, times, signatures
(message and assertion), decrypts AES-256-GCM assertions, and checks the provider's Redirect
LogoutRequests and LogoutResponses (signature over the query, destination, issuer).

The SP settings are the AMF and IQEA registrations of ``conftest.py`` (same entity IDs,
endpoints and key pairs); the provider's part comes from its published metadata through
``OneLogin_Saml2_IdPMetadataParser``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT

from tests.saml.conftest import ServiceProvider
from tests.saml.test_logout import (
    IDP_ENTITY_ID,
    PostedForm,
    browse_to_acs,
    check_redirect_signature,
    continue_to_acs,
    is_signed_in,
    path_of,
    pysaml2_sign_in,
    redirect_query,
    start_round,
)

ATTRIBUTE = "urn:clicsequr:attribute:"
RETURN_TO = "https://amf.example.gouv.qc.ca/tableau-de-bord"


# -- OneLogin, as AMF or IQEA ------------------------------------------------------------------


def onelogin_settings(sp: ServiceProvider, idp_metadata: str, *, encrypted: bool) -> dict:
    idp = OneLogin_Saml2_IdPMetadataParser.parse(
        idp_metadata,
        required_sso_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
        required_slo_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
    )
    own: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp.entity_id,
            "assertionConsumerService": {"url": sp.acs, "binding": BINDING_HTTP_POST},
            "singleLogoutService": {"url": sp.slo, "binding": BINDING_HTTP_REDIRECT},
            "NameIDFormat": NAMEID_FORMAT_PERSISTENT,
            "x509cert": Path(sp.cert_file).read_text("utf-8"),
            "privateKey": Path(sp.key_file).read_text("utf-8"),
        },
        "security": {
            "authnRequestsSigned": True,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "wantMessagesSigned": True,
            "wantAssertionsSigned": True,
            "wantAssertionsEncrypted": encrypted,
            "wantNameId": True,
            "wantNameIdEncrypted": False,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
        },
    }
    merged = OneLogin_Saml2_IdPMetadataParser.merge_settings(own, idp)
    # merge_settings takes the IdP's wish for signed requests; this SP signs them anyway.
    merged["security"]["authnRequestsSigned"] = True
    return merged


def request_data(url: str, **data: Any) -> dict[str, Any]:
    """What OneLogin reads of the request the SP receives (its own URL, the message)."""
    parts = urlsplit(url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {},
        "post_data": {},
        **data,
    }


def onelogin(settings: dict, url: str, **data: Any) -> OneLogin_Saml2_Auth:
    return OneLogin_Saml2_Auth(request_data(url, **data), settings)


def redirect_data(location: str) -> dict[str, Any]:
    """A Redirect-binding message as OneLogin reads it: the parameters and the raw query."""
    return {
        "get_data": redirect_query(location),
        "query_string": urlsplit(location).query,
        "validate_signature_from_qs": True,
    }


def onelogin_sign_in(
    client: Any, auth: Any, person: Any, sp: ServiceProvider, settings: dict
) -> tuple[OneLogin_Saml2_Auth, PostedForm]:
    """OneLogin's signed Redirect AuthnRequest, the sign-in, the Response processed."""
    starter = onelogin(settings, f"{sp.entity_id}/login")
    url = starter.login(return_to=RETURN_TO)
    request_id = starter.get_last_request_id()
    assert url.startswith("http://localhost/saml/sso?"), url
    form = browse_to_acs(client, auth, person, url)
    return process_response(form, sp, settings, request_id), form


def process_response(
    form: PostedForm, sp: ServiceProvider, settings: dict, request_id: str
) -> OneLogin_Saml2_Auth:
    assert form.action == sp.acs
    assert form.fields["RelayState"] == RETURN_TO
    consumer = onelogin(settings, sp.acs, post_data=form.fields)
    consumer.process_response(request_id=request_id)
    assert consumer.get_errors() == [], consumer.get_last_error_reason()
    assert consumer.is_authenticated()
    return consumer


# -- sign-in -----------------------------------------------------------------------------------


def check_attributes(done: OneLogin_Saml2_Auth, reference: Any, neq: str, ministry: str) -> None:
    """OneLogin reads the same attributes as pysaml2 did for the same person and ministry."""
    attributes = done.get_attributes()
    assert attributes[f"{ATTRIBUTE}enterprise-neq"] == [neq]
    assert attributes[f"{ATTRIBUTE}ministry"] == [ministry]
    assert attributes[f"{ATTRIBUTE}rights"]
    ours = {name: sorted(values) for name, values in attributes.items()}
    theirs = {name: sorted(values) for name, values in reference.ava.items()}
    # pysaml2 gives the standard attributes their friendly names; the provider's own, the URIs.
    assert {n: v for n, v in ours.items() if n.startswith(ATTRIBUTE)} == {
        n: v for n, v in theirs.items() if n.startswith(ATTRIBUTE)
    }
    assert ours["urn:oid:2.5.4.42"] == theirs["givenName"]


def sent_response_xml(form: PostedForm) -> bytes:
    return base64.b64decode(form.fields["SAMLResponse"])


def test_onelogin_signs_in_to_amf_with_an_encrypted_assertion(
    client, auth, esm_person, world, amf_sp, idp_metadata
):
    settings = onelogin_settings(amf_sp, idp_metadata, encrypted=True)
    # pysaml2 first, for the same person: OneLogin must get the same NameID and attributes.
    reference = pysaml2_sign_in(client, auth, esm_person, amf_sp, idp_metadata)

    # OneLogin checks the Response's signature, decrypts the assertion into the Response, then
    # checks the assertion's own signature there.
    done, form = onelogin_sign_in(client, auth, esm_person, amf_sp, settings)

    assert b"EncryptedAssertion" in sent_response_xml(form)
    assert done.get_nameid() == reference.name_id.text
    assert done.get_nameid_format() == NAMEID_FORMAT_PERSISTENT
    assert done.get_session_index()
    check_attributes(done, reference, world.emitter.neq, "amf")
    assert "amf.payments" in done.get_attributes()[f"{ATTRIBUTE}rights"]


def test_onelogin_signs_in_to_iqea_with_a_plain_signed_assertion(
    client, auth, esm_person, world, iqea_sp, idp_metadata
):
    settings = onelogin_settings(iqea_sp, idp_metadata, encrypted=False)
    reference = pysaml2_sign_in(client, auth, esm_person, iqea_sp, idp_metadata)

    done, form = onelogin_sign_in(client, auth, esm_person, iqea_sp, settings)

    assert b"EncryptedAssertion" not in sent_response_xml(form)
    assert done.get_nameid() == reference.name_id.text
    assert done.get_nameid_format() == NAMEID_FORMAT_PERSISTENT
    check_attributes(done, reference, world.emitter.neq, "melccfp")
    assert "melccfp.iqea.operator" in done.get_attributes()[f"{ATTRIBUTE}rights"]


def test_onelogin_refuses_the_response_meant_for_another_request(
    client, auth, esm_person, iqea_sp, idp_metadata
):
    settings = onelogin_settings(iqea_sp, idp_metadata, encrypted=False)
    starter = onelogin(settings, f"{iqea_sp.entity_id}/login")
    form = browse_to_acs(client, auth, esm_person, starter.login(return_to=RETURN_TO))

    consumer = onelogin(settings, iqea_sp.acs, post_data=form.fields)
    consumer.process_response(request_id="ONELOGIN_not_the_request_sent")

    # Strict mode checks InResponseTo: the acceptance above is not vacuous.
    assert consumer.get_errors() == ["invalid_response"]
    assert not consumer.is_authenticated()


def test_onelogin_signed_post_authn_request_is_accepted(
    client, auth, esm_person, iqea_sp, idp_metadata
):
    settings = onelogin_settings(iqea_sp, idp_metadata, encrypted=False)
    authn_request = OneLogin_Saml2_Authn_Request(OneLogin_Saml2_Settings(settings))
    signed = OneLogin_Saml2_Utils.add_sign(
        authn_request.get_xml(),
        settings["sp"]["privateKey"],
        settings["sp"]["x509cert"],
        sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
        digest_algorithm=OneLogin_Saml2_Constants.SHA256,
    )
    encoded = base64.b64encode(signed).decode("ascii")

    response = client.post("/saml/sso", data={"SAMLRequest": encoded, "RelayState": RETURN_TO})

    form = continue_to_acs(client, auth, esm_person, response)
    done = process_response(form, iqea_sp, settings, authn_request.get_id())
    assert done.get_nameid()


# -- single logout -----------------------------------------------------------------------------


def test_onelogin_sp_initiated_logout_gets_a_success_response(
    client, auth, esm_person, iqea_sp, idp_metadata
):
    settings = onelogin_settings(iqea_sp, idp_metadata, encrypted=False)
    done, _form = onelogin_sign_in(client, auth, esm_person, iqea_sp, settings)
    starter = onelogin(settings, f"{iqea_sp.entity_id}/logout")
    url = starter.logout(
        return_to="https://iqea.example.gouv.qc.ca/au-revoir",
        name_id=done.get_nameid(),
        session_index=done.get_session_index(),
        name_id_format=done.get_nameid_format(),
    )
    assert url.startswith("http://localhost/saml/slo?"), url

    response = client.get(path_of(url))

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(iqea_sp.slo + "?"), location
    check_redirect_signature(location, idp_metadata)
    assert redirect_query(location)["RelayState"] == "https://iqea.example.gouv.qc.ca/au-revoir"
    assert not is_signed_in(client)
    consumer = onelogin(settings, iqea_sp.slo, **redirect_data(location))
    consumer.process_slo(request_id=starter.get_last_request_id())
    assert consumer.get_errors() == [], consumer.get_last_error_reason()
    assert b":status:Success" in _xml(consumer.get_last_response_xml())


def test_onelogin_refuses_a_logout_response_to_another_request(
    client, auth, esm_person, iqea_sp, idp_metadata
):
    settings = onelogin_settings(iqea_sp, idp_metadata, encrypted=False)
    done, _form = onelogin_sign_in(client, auth, esm_person, iqea_sp, settings)
    starter = onelogin(settings, f"{iqea_sp.entity_id}/logout")
    url = starter.logout(name_id=done.get_nameid(), name_id_format=done.get_nameid_format())
    location = client.get(path_of(url)).headers["Location"]

    consumer = onelogin(settings, iqea_sp.slo, **redirect_data(location))
    consumer.process_slo(request_id="ONELOGIN_not_the_request_sent")

    assert consumer.get_errors() == ["invalid_logout_response"]


def test_onelogin_answers_the_logout_request_of_a_sign_out_on_the_provider(
    client, auth, esm_person, iqea_sp, idp_metadata
):
    settings = onelogin_settings(iqea_sp, idp_metadata, encrypted=False)
    done, _form = onelogin_sign_in(client, auth, esm_person, iqea_sp, settings)

    response = start_round(auth, client)

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(iqea_sp.slo + "?"), location
    consumer = onelogin(settings, iqea_sp.slo, **redirect_data(location))
    answer_url = consumer.process_slo()
    assert consumer.get_errors() == [], consumer.get_last_error_reason()
    request_xml = _xml(consumer.get_last_request_xml())
    assert done.get_nameid().encode() in request_xml
    assert IDP_ENTITY_ID.encode() in request_xml
    assert answer_url.startswith("http://localhost/saml/slo?"), answer_url

    final = client.get(path_of(answer_url))

    assert final.status_code == 302, final.get_data(as_text=True)[:500]
    assert urlsplit(final.headers["Location"]).path == "/connexion"
    assert not is_signed_in(client)


def _xml(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
