"""The AMF demo site signing people in with the provider, and signing them out everywhere."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from saml2.xmldsig import SIG_RSA_SHA256

from demo_rp.amf.sessions import COOKIE_NAME
from tests.conftest import csrf_token
from tests.demo_rp.amf.conftest import (
    AMF_BASE,
    AMF_ENTITY_ID,
    AMF_RIGHTS,
    IDP_ISSUER,
    blocks_of,
    field,
    path_of,
    query_of,
)

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
}


def store(amf_app: Any) -> Any:
    return amf_app.extensions["amf"].store


def signed_in_name_id(amf: Any) -> str:
    page = amf.get("/transmis")
    assert page.status_code == 200
    return field(page.get_data(as_text=True), "name-id")


def is_signed_in_at_amf(amf: Any) -> bool:
    response = amf.get("/espace")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    return False


def is_signed_in_at_provider(client: Any) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    return False


# -- sign-in --------------------------------------------------------------------------------------


def test_the_home_page_offers_clicsequr_in_french_then_english(amf):
    home = amf.get("/")
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    assert "Se connecter avec clicSÉQUR" in text
    assert "Effectuer des paiements" in text
    assert '<html lang="fr">' in text
    assert home.headers["Cache-Control"] == "no-store"
    policy = home.headers["Content-Security-Policy"]
    assert "script-src" not in policy
    assert "default-src 'none'" in policy

    switched = amf.get("/langue/en?next=/")
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/"
    english = amf.get("/").get_data(as_text=True)
    assert "Sign in with clicSÉQUR" in english
    assert "Make payments" in english
    assert '<html lang="en">' in english


def test_the_metadata_served_is_the_one_the_provider_registered(amf, relying_parties):
    served = amf.get("/saml/metadata")
    assert served.status_code == 200
    assert served.mimetype == "application/samlmetadata+xml"
    assert served.get_data(as_text=True) == (relying_parties / "amf-metadata.xml").read_text()
    root = etree.fromstring(served.get_data())
    assert root.get("entityID") == AMF_ENTITY_ID
    uses = {k.get("use") for k in root.iter("{urn:oasis:names:tc:SAML:2.0:metadata}KeyDescriptor")}
    assert uses == {"signing", "encryption"}


def test_sign_in_shows_the_person_and_the_enterprise(journey, esm_person, world, amf):
    request = amf.get("/connexion")
    location = request.headers["Location"]
    assert location.startswith(f"{IDP_ISSUER}/saml/sso?")
    query = query_of(location)
    assert query["SigAlg"] == SIG_RSA_SHA256
    assert query["Signature"]

    answer = journey.sign_in(esm_person)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/espace"
    assert COOKIE_NAME in answer.headers["Set-Cookie"]
    assert "HttpOnly" in answer.headers["Set-Cookie"]
    page = journey.page("/espace").get_data(as_text=True)
    assert field(page, "name") == "Marie Tremblay"
    assert field(page, "email") == world.esm.email
    assert field(page, "role") == "Responsable des services électroniques"
    assert field(page, "enterprise-name") == "Aciérie Saint-Laurent inc."
    assert field(page, "enterprise-neq") == world.emitter.neq
    assert "agent" not in page.split('data-section="enterprise"')[1].split("</dl>")[0]


def test_a_person_without_any_amf_right_is_told_so(journey, world):
    from tests.conftest import TEST_PASSWORD, Person

    answer = journey.sign_in(Person(world.other_user, TEST_PASSWORD))

    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert 'data-reason="request_denied"' in page
    assert "Demandez une procuration" in page
    assert not is_signed_in_at_amf(journey.amf)


def test_a_response_is_used_once(journey, esm_person, amf):
    action, fields = journey.provider_form(esm_person)
    assert amf.post(path_of(action), data=fields).status_code == 302

    again = amf.post(path_of(action), data=fields)

    assert again.status_code == 400


def test_the_esm_sees_every_block_enabled_and_pays(journey, esm_person, amf, amf_app, world):
    journey.sign_in(esm_person)

    page = journey.page("/espace").get_data(as_text=True)

    assert blocks_of(page) == dict.fromkeys(AMF_RIGHTS, "enabled")
    assert "Vous avez accès à 8 des 8 blocs fonctionnels" in page
    form = journey.page("/blocs/paiements").get_data(as_text=True)
    paid = amf.post(
        "/blocs/paiements",
        data={
            "fee": "annual",
            "amount": "1 250,00",
            "invoice": "F-2026-118",
            "csrf_token": csrf_token(form),
        },
    )
    assert paid.status_code == 302
    after = journey.page("/blocs/paiements").get_data(as_text=True)
    assert "Votre paiement est enregistré" in after
    [payment] = store(amf_app).transactions(world.emitter.neq)
    assert payment.kind == "payment"
    assert payment.details["amount"] == "1250.00"
    assert payment.reference in after
    journey.amf.get("/langue/en?next=/espace")
    english = lxml.html.fromstring(journey.page("/espace").get_data()).text_content()
    assert "Enterprise file" in english
    assert "You have access to 8 of the Autorité's 8 functional blocks" in english
    assert "1\u00a0250,00\u00a0$" in after


def test_a_payments_only_user_sees_one_block_and_cannot_disclose(
    journey, payments_person, amf, amf_app, world
):
    journey.sign_in(payments_person)

    page = journey.page("/espace").get_data(as_text=True)

    states = blocks_of(page)
    assert states.pop("amf.payments") == "enabled"
    assert states == dict.fromkeys(AMF_RIGHTS - {"amf.payments"}, "disabled")
    assert field(page, "rights-source").startswith("Procuration interne de l'entreprise")
    disabled = lxml.html.fromstring(page).xpath("//*[@data-right='amf.disclosures.31_103']")[0]
    assert "il vous faut une procuration comportant le droit" in disabled.text_content()
    assert not disabled.xpath(".//a")
    # Refused on the server too, with a valid CSRF token: nothing is recorded.
    token = csrf_token(journey.page("/blocs/paiements").get_data(as_text=True))
    refused = amf.post(
        "/blocs/divulgations",
        data={
            "disclosure_type": "conflict",
            "subject": "Conflit",
            "description": "Détails",
            "attest": "yes",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 403
    assert amf.get("/blocs/divulgations").status_code == 403
    assert store(amf_app).transactions(world.emitter.neq) == []
    paid = amf.post("/blocs/paiements", data={"fee": "filing", "amount": "75", "csrf_token": token})
    assert paid.status_code == 302
    assert [t.kind for t in store(amf_app).transactions(world.emitter.neq)] == ["payment"]


def test_a_form_without_its_csrf_token_is_refused(journey, esm_person, amf, amf_app, world):
    journey.sign_in(esm_person)

    response = amf.post("/blocs/paiements", data={"fee": "annual", "amount": "10"})

    assert response.status_code == 400
    assert store(amf_app).transactions(world.emitter.neq) == []


def test_an_agent_sees_the_firm_it_acts_through(journey, consultant_person, world):
    journey.sign_in(consultant_person)

    page = journey.page("/espace").get_data(as_text=True)

    assert field(page, "name") == "Karim Haddad"
    assert field(page, "enterprise-name") == "Aciérie Saint-Laurent inc."
    assert field(page, "agent").startswith(f"Conseils Verts Québec inc. (NEQ {world.firm.neq})")
    assert {r for r, s in blocks_of(page).items() if s == "enabled"} == {"amf.requests.follow_up"}


# -- what the provider sent -----------------------------------------------------------------------


def test_the_transmitted_page_shows_the_decrypted_assertion(journey, esm_person, amf):
    action, fields = journey.provider_form(esm_person)
    raw = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    assert raw.find("saml:EncryptedAssertion", NS) is not None
    assert raw.find("saml:Assertion", NS) is None
    amf.post(path_of(action), data=fields)

    page = journey.page("/transmis").get_data(as_text=True)

    [xml] = lxml.html.fromstring(page).xpath("//pre[@data-xml='response']")
    shown = etree.fromstring(xml.text_content().encode("utf-8"))
    assert shown.find("saml:EncryptedAssertion", NS) is None
    assertion = shown.find("saml:Assertion", NS)
    assert assertion is not None
    name_id = assertion.findtext("saml:Subject/saml:NameID", namespaces=NS)
    assert name_id == field(page, "name-id")
    audience = assertion.findtext(".//saml:Audience", namespaces=NS)
    assert audience == AMF_ENTITY_ID
    values = assertion.xpath(
        ".//saml:Attribute[@Name='urn:clicsequr:attribute:rights']/saml:AttributeValue/text()",
        namespaces=NS,
    )
    assert set(values) == AMF_RIGHTS
    assert "urn:clicsequr:attribute:enterprise-neq" in page
    assert fields["SAMLResponse"] in page


# -- single logout --------------------------------------------------------------------------------


def test_sign_out_sends_a_signed_logout_request_and_the_answer_ends_the_session(
    journey, esm_person, amf, amf_app, client
):
    journey.sign_in(esm_person)
    name_id = signed_in_name_id(amf)
    token = csrf_token(journey.page("/espace").get_data(as_text=True))

    leaving = amf.post("/deconnexion", data={"csrf_token": token})

    location = leaving.headers["Location"]
    assert location.startswith(f"{IDP_ISSUER}/saml/slo?")
    query = query_of(location)
    assert query["SigAlg"] == SIG_RSA_SHA256
    assert query["Signature"]
    assert query["RelayState"]
    # Not over yet here: the provider's answer ends the local session.
    assert store(amf_app).session_count(name_id) == 1
    assert is_signed_in_at_provider(client)

    answered = client.get(path_of(location))

    assert not is_signed_in_at_provider(client)
    assert answered.headers["Location"].startswith(f"{AMF_BASE}/saml/slo?SAMLResponse=")
    assert query_of(answered.headers["Location"])["RelayState"] == query["RelayState"]
    done = journey.to_site(answered)
    assert done.status_code == 302
    assert done.headers["Location"] == "/deconnecte"
    assert store(amf_app).session_count(name_id) == 0
    assert not is_signed_in_at_amf(amf)
    page = journey.page("/deconnecte").get_data(as_text=True)
    assert "Vous êtes déconnecté" in page
    assert "n'a pas confirmé" not in page


def test_a_logout_request_from_the_provider_ends_the_session(
    journey, esm_person, amf, amf_app, client, auth
):
    journey.sign_in(esm_person)
    name_id = signed_in_name_id(amf)

    # The person signs out at the provider: it goes round its service providers.
    signed_out = auth.sign_out()
    round_path = urlsplit(signed_out.headers["Location"]).path
    assert round_path.startswith("/saml/slo/")
    to_amf = client.get(round_path)
    assert to_amf.headers["Location"].startswith(f"{AMF_BASE}/saml/slo?SAMLRequest=")
    relay_state = query_of(to_amf.headers["Location"])["RelayState"]

    answer = journey.to_site(to_amf)

    assert store(amf_app).session_count(name_id) == 0
    assert not is_signed_in_at_amf(amf)
    location = answer.headers["Location"]
    assert location.startswith(f"{IDP_ISSUER}/saml/slo?SAMLResponse=")
    query = query_of(location)
    assert query["RelayState"] == relay_state
    assert query["SigAlg"] == SIG_RSA_SHA256
    assert query["Signature"]
    finished = client.get(path_of(location))
    assert finished.status_code == 302, finished.get_data(as_text=True)[:500]
    assert urlsplit(finished.headers["Location"]).path == "/connexion"
    # The round is over: the provider accepted the answer.
    assert client.get(round_path).status_code == 400


def test_a_logout_request_with_a_bad_signature_ends_nothing(
    journey, esm_person, amf, amf_app, client, auth
):
    journey.sign_in(esm_person)
    name_id = signed_in_name_id(amf)
    signed_out = auth.sign_out()
    to_amf = client.get(urlsplit(signed_out.headers["Location"]).path)
    location = to_amf.headers["Location"]
    signature = query_of(location)["Signature"]
    forged = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    tampered = location.replace(
        "Signature=" + urlsplit(location).query.split("Signature=")[1].split("&")[0],
        "Signature=" + forged.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"),
    )

    response = amf.get(path_of(tampered))

    assert response.status_code == 400
    assert store(amf_app).session_count(name_id) == 1
    assert is_signed_in_at_amf(amf)
