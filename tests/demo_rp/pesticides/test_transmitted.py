"""« Ce que le fournisseur d'identité nous a transmis » for a citizen: the tokens checked again by
``idp.inspect`` against the keys the provider (the stand-in) publishes, and explained."""

from __future__ import annotations

import json
from typing import Any

import lxml.html

from tests.demo_rp.pesticides.conftest import CITIZEN, ProviderStandIn, Visitor


def page_of(visitor: Visitor) -> Any:
    response = visitor.client.get("/transmis")
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def section(page: Any, anchor: str) -> Any:
    [found] = page.xpath(f"//section[@data-section='{anchor}']")
    return found


def text_of(part: Any, xpath: str) -> str:
    [element] = part.xpath(xpath)
    return " ".join(element.text_content().split())


def verdict(part: Any) -> tuple[str, str]:
    [box] = part.xpath(".//*[@data-verdict]")
    return str(box.get("data-verdict")), " ".join(box.text_content().split())


def test_the_id_token_is_valid_signed_es256_and_names_no_enterprise(
    citizen: Visitor, provider: ProviderStandIn
) -> None:
    page = page_of(citizen)

    id_token = section(page, "jeton-identite")
    state, line = verdict(id_token)
    assert state == "valid", line
    assert line.startswith("VALIDE — jeton d'identité")
    assert f"signature vérifiée (ES256) avec la clé publiée {provider.key.kid}" in line
    assert text_of(id_token, ".//*[@data-field='kty']") == "EC"
    assert "Il ne nomme aucune entreprise." in id_token.text_content()
    payload = json.loads(text_of(id_token, ".//pre[@data-part='payload']"))
    assert payload["sub"] == CITIZEN["sub"]
    assert payload["email_verified"] is True
    assert "enterprise" not in payload
    assert "rights" not in payload
    for claim in ("sub", "name", "given_name", "family_name", "email", "email_verified"):
        assert id_token.xpath(f".//tr[@data-claim='{claim}']"), claim
    assert not id_token.xpath(".//tr[@data-claim='enterprise']")
    assert verdict(section(page, "jeton-acces"))[0] == "valid"
    userinfo = section(page, "userinfo")
    assert "Cette réponse n'est pas signée" in userinfo.text_content()
    assert json.loads(text_of(userinfo, ".//pre[@data-part='json']"))["name"] == CITIZEN["name"]


def test_in_english(citizen: Visitor, provider: ProviderStandIn) -> None:
    citizen.client.get("/langue/en")

    page = page_of(citizen)

    state, line = verdict(section(page, "jeton-identite"))
    assert state == "valid"
    assert line.startswith(
        f"VALID — ID token: signature verified (ES256) with the published key {provider.key.kid}"
    )
    assert "It names no business." in section(page, "jeton-identite").text_content()
