"""The table of facts against what the provider really issues: ID tokens, UserInfo,
authorization details, discovery, SAML assertions and the inspector's explanations."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import saml2.saml
from flask_babel import force_locale
from joserfc import jwt
from joserfc.jwk import KeySet
from lxml import etree
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from idp.claims.identity import (
    Identity,
    authorization_details,
    build_identity,
    oidc_claims,
    saml_attributes,
)
from idp.claims.table import A_RIGHT, BY_CLAIM, BY_SAML_NAME, FACTS, OBJECT_CLAIMS, Fact
from idp.extensions import db
from idp.inspect import inspect_token
from idp.inspect.attributes import VALUE_TEXTS as ATTRIBUTE_VALUE_TEXTS
from idp.inspect.claims import VALUE_TEXTS as CLAIM_VALUE_TEXTS
from idp.inspect.vocabulary import explained
from idp.oidc.claims_catalogue import TOKEN_CLAIMS
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy
from idp.saml.provider import build_server
from tests.inspect.conftest import service_provider
from tests.oidc.conftest import exchange

SP = "https://sp.example/saml"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
VERIFIER = "melccfp.iqea.verifier"
STANDARD_SCOPES = ("openid", "profile", "email", "enterprise")
# In the ID token but about the token only, and not published (OIDC Core 3.1.3.6).
UNPUBLISHED_TOKEN_CLAIMS = {"at_hash"}


@pytest.fixture
def relying_parties(relying_parties: Path, tmp_path: Path) -> Path:
    """The OIDC clients of tests/oidc, and a MELCCFP SAML service provider."""
    provider = service_provider(tmp_path / "sps" / "melccfp", SP)
    (relying_parties / "sp-metadata.xml").write_text(provider.metadata(), "utf-8")
    (relying_parties / "sp.toml").write_text(
        f'kind = "saml"\nentity_id = "{SP}"\nministry = "melccfp"\n'
        'name_fr = "SP"\nname_en = "SP"\nmetadata_file = "sp-metadata.xml"\n',
        "utf-8",
    )
    return relying_parties


@pytest.fixture
def consultant(runtime, world) -> Identity:
    """Karim Haddad acting for the emitter under an external verifier proxy: every fact."""
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=ProxyKind.EXTERNAL,
        ends_on=date(2027, 6, 30),
        description="Vérification IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({VERIFIER}))],
        agent_identifier=world.firm.neq,
        verified_at=runtime.clock(),
    )
    assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()
    today = runtime.clock().date()
    identity = build_identity(
        db.session, runtime, world.consultant, world.emitter, "melccfp", today
    )
    assert identity is not None
    assert identity.agent is not None
    return identity


def citizen_identity() -> Identity:
    return Identity(
        subject="s-1",
        given_name="Olivier",
        family_name="Lavoie",
        name="Olivier Lavoie",
        email="olivier.lavoie@courriel.example",
        ministry_key="melccfp",
        enterprise=None,
        agent=None,
        role="citizen",
        rights=frozenset(),
        source=None,
        proxy_id=None,
        proxy_valid_until=None,
    )


def leaf_claims(claims: dict[str, Any]) -> set[str]:
    """``given_name``, ``enterprise.neq``: the places of the claims, as the table names them."""
    return {
        f"{name}.{field}" if isinstance(value, dict) else name
        for name, value in claims.items()
        for field in (value if isinstance(value, dict) else [None])
    }


def person_facts(scope: str) -> set[str]:
    return {f.claim for f in FACTS if f.scope == scope and f.claim and not f.of_sign_in}


def check_explained(item: Any, fact: Fact) -> None:
    """The inspector's words for ``item`` are the table's, in French and in English."""
    assert item.known
    expected = explained(fact.explanation)
    assert item.explanation == expected
    # The French comes from the catalogue: a missing translation would show the English.
    assert expected.fr != expected.en
    assert expected.en == fact.explanation.msgid


def test_each_fact_has_one_row_and_one_place_per_protocol():
    keys = [fact.key for fact in FACTS]
    claims = [fact.claim for fact in FACTS if fact.claim]
    details = [fact.detail for fact in FACTS if fact.detail]
    attributes = [fact.saml.name for fact in FACTS if fact.saml]
    for places in (keys, claims, details, attributes):
        assert len(places) == len(set(places))
    objects = {fact.claim_name for fact in FACTS if fact.claim and "." in fact.claim}
    assert objects == set(OBJECT_CLAIMS)


def test_every_explanation_is_in_french(app):
    with app.test_request_context(), force_locale("fr"):
        for explanation in [fact.explanation for fact in FACTS] + list(OBJECT_CLAIMS.values()):
            assert str(explanation) != explanation.msgid


@pytest.mark.parametrize("scope", [*STANDARD_SCOPES, VERIFIER])
def test_a_scope_releases_exactly_its_rows(consultant, scope):
    claims = oidc_claims(consultant, frozenset({scope}))

    expected = person_facts(A_RIGHT if scope == VERIFIER else scope)
    # The subject names the person whatever else is asked for (openid makes the response).
    assert leaf_claims(claims) == expected | person_facts("openid")
    assert person_facts("openid") == {"sub"}


def test_a_citizen_gets_only_the_rows_for_citizens():
    identity = citizen_identity()

    claims = oidc_claims(identity, frozenset(STANDARD_SCOPES))
    attributes = saml_attributes(identity)

    for_citizens = [f for f in FACTS if f.holders.include(citizen=True) and not f.of_sign_in]
    assert leaf_claims(claims) == {f.claim for f in for_citizens if f.claim}
    assert set(attributes) == {f.saml.name for f in for_citizens if f.saml}


def test_authorization_details_carry_the_rows_with_a_detail(consultant):
    [entry] = authorization_details(consultant, frozenset({"openid", VERIFIER}))

    assert set(entry) - {"type"} == {fact.detail for fact in FACTS if fact.detail}
    assert entry["rights"] == [VERIFIER]


def test_issued_tokens_userinfo_and_discovery_agree_with_the_table(
    client, browser, operator_person, client_secrets, runtime
):
    request = browser.request(client_id="iqea")
    code = browser.authorize(operator_person, request)["code"]
    tokens = exchange(client, request, code, client_secrets["iqea"]).get_json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    id_token = jwt.decode(tokens["id_token"], keys).claims
    userinfo = client.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).get_json()
    supported = client.get("/.well-known/openid-configuration").get_json()["claims_supported"]

    table_claims = {fact.claim_name for fact in FACTS if fact.claim_name}
    about_the_token = set(TOKEN_CLAIMS) | UNPUBLISHED_TOKEN_CLAIMS
    assert set(id_token) - about_the_token <= table_claims
    assert {"sub", "email", "enterprise", "role", "rights", "acr", "amr", "sid"} <= set(id_token)
    assert set(userinfo) <= table_claims
    assert leaf_claims(userinfo) <= set(BY_CLAIM)
    assert table_claims <= set(supported)
    assert set(supported) == table_claims | set(TOKEN_CLAIMS)


def test_the_inspector_explains_a_real_token_from_the_table(
    client, browser, operator_person, client_secrets, runtime
):
    request = browser.request(client_id="iqea")
    code = browser.authorize(operator_person, request)["code"]
    tokens = exchange(client, request, code, client_secrets["iqea"]).get_json()

    for token in (tokens["id_token"], tokens["access_token"]):
        report = inspect_token(token, runtime.keystore, runtime.clock())
        items = report.sections[-1].items
        assert all(item.known for item in items)
        for item in items:
            if item.name in BY_CLAIM and item.name not in CLAIM_VALUE_TEXTS:
                check_explained(item, BY_CLAIM[item.name])
            for child in item.children:
                place = f"{item.name}.{child.name}"
                if item.name in OBJECT_CLAIMS:
                    check_explained(child, BY_CLAIM[place])
    details = next(i for i in items if i.name == "authorization_details")
    assert all(child.known for child in details.children[0].children)


def test_a_real_assertion_carries_exactly_the_attributes_of_the_facts_held(runtime, consultant):
    attributes = saml_attributes(consultant)
    xml = _signed_response(runtime, attributes)

    names = {
        attribute.get("Name")
        for attribute in etree.fromstring(xml.encode()).iter(f"{SAML}Attribute")
    }
    # The consultant has every fact: each attribute of the table is there, and nothing else.
    assert names == {fact.saml.name for fact in FACTS if fact.saml}
    assert names == set(BY_SAML_NAME)

    report = inspect_token(xml, runtime.keystore, runtime.clock())
    items = {item.name: item for item in report.sections[-1].items}
    assert set(items) == names
    for name, item in items.items():
        fact = BY_SAML_NAME[name]
        if fact.key not in ATTRIBUTE_VALUE_TEXTS:
            check_explained(item, fact)
        else:
            assert item.known
    assert items["urn:oid:2.5.4.42"].label == "givenName (given_name)"
    assert items["urn:clicsequr:attribute:proxy-id"].label == "authorization_details[].proxy_id"


def _signed_response(runtime, attributes: dict[str, list[str]]) -> str:
    """The response the provider's pysaml2 server makes for these attributes (idp/saml/views)."""
    server = build_server(runtime)
    response = server.create_authn_response(
        identity=attributes,
        in_response_to="id-1",
        destination=f"{SP}/acs",
        sp_entity_id=SP,
        name_id=saml2.saml.NameID(format=NAMEID_FORMAT_PERSISTENT, text="s-1"),
        authn={"class_ref": "urn:clicsequr:acr:mfa", "authn_auth": server.config.entityid},
        sign_response=True,
        sign_assertion=True,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return str(response)
