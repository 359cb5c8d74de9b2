"""The page « Ce que le fournisseur d'identité nous a transmis » after a real sign-in: the
tokens checked again by ``idp.inspect`` against the provider's published keys, explained."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import lxml.html
from flask import Flask

from demo_rp.iqea import create_app
from demo_rp.iqea.extensions import EXTENSION_KEY
from demo_rp.iqea.keys import CLIENT_KEY_FILE
from demo_rp.iqea.sessions import COOKIE_NAME
from tests.demo_rp.iqea.conftest import Visitor, site_key_pem

ENTERPRISE_FR = "Entreprise pour laquelle la personne agit : son NEQ et son nom."
ENTERPRISE_EN = "Enterprise the person acts for: its NEQ and its name."


def page_of(visitor: Visitor) -> Any:
    response = visitor.client.get("/transmis")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "<script" not in html
    assert " style=" not in html
    return lxml.html.fromstring(html)


def section(page: Any, anchor: str) -> Any:
    [found] = page.xpath(f"//section[@data-section='{anchor}']")
    return found


def verdict(part: Any) -> tuple[str, str]:
    [box] = part.xpath(".//*[@data-verdict]")
    return str(box.get("data-verdict")), " ".join(box.text_content().split())


def text_of(part: Any, xpath: str) -> str:
    [element] = part.xpath(xpath)
    return " ".join(element.text_content().split())


def explanation(part: Any, claim: str) -> str:
    return text_of(part, f".//tr[@data-claim='{claim}']/td[@class='claim-explanation']")


def test_the_tokens_are_valid_signed_by_a_published_key_and_explained(
    operator: Visitor, runtime: Any
) -> None:
    operator.sign_in()
    current = runtime.keystore.current("RSA").kid

    page = page_of(operator)

    for anchor, kind in (("jeton-identite", "jeton d'identité"), ("jeton-acces", "jeton d'accès")):
        part = section(page, anchor)
        state, line = verdict(part)
        assert state == "valid", line
        assert line.startswith(f"VALIDE — {kind}"), line
        assert f"signature vérifiée (RS256) avec la clé publiée {current}" in line
        assert text_of(part, ".//*[@data-field='kid']") == current
        assert text_of(part, ".//*[@data-field='kty']") == "RSA"
        assert "Publiée dans le jeu de clés (JWKS)" in text_of(
            part, ".//*[@data-field='key-state']"
        )
        assert part.xpath(".//tr[@data-time='exp' and contains(@class, 'time-ok')]")
        assert not part.xpath(".//*[@data-problem]")
        assert part.xpath(".//details/pre[@data-part='raw']")
        assert json.loads(text_of(part, ".//pre[@data-part='header']"))["kid"] == current
    id_token = section(page, "jeton-identite")
    assert explanation(id_token, "enterprise") == ENTERPRISE_FR
    assert explanation(id_token, "enterprise.neq").startswith("Numéro d'entreprise du Québec")
    payload = json.loads(text_of(id_token, ".//pre[@data-part='payload']"))
    assert (
        text_of(id_token, ".//tr[@data-claim='enterprise.neq']/td[1]")
        == (payload["enterprise"]["neq"])
    )
    access = section(page, "jeton-acces")
    assert access.xpath(".//tr[@data-claim='authorization_details[0].ministry']")
    userinfo = section(page, "userinfo")
    assert "Cette réponse n'est pas signée" in userinfo.text_content()
    assert explanation(userinfo, "enterprise") == ENTERPRISE_FR

    operator.client.get("/langue/en?next=/transmis")
    english = page_of(operator)

    part = section(english, "jeton-identite")
    state, line = verdict(part)
    assert state == "valid"
    assert line.startswith(
        f"VALID — ID token: signature verified (RS256) with the published key {current}"
    )
    assert explanation(part, "enterprise") == ENTERPRISE_EN
    assert explanation(section(english, "userinfo"), "enterprise") == ENTERPRISE_EN


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_an_id_token_altered_in_the_session_store_is_shown_invalid(
    operator: Visitor, site: Flask
) -> None:
    operator.sign_in()
    cookie = operator.client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    store = site.extensions[EXTENSION_KEY].sessions
    loaded = store.load(cookie.value)
    assert loaded is not None
    data, _updated_at = loaded
    header, payload, signature = data["auth"]["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["enterprise"]["neq"] = "9999999999"
    data["auth"]["id_token"] = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    assert store.update(cookie.value, data)

    page = page_of(operator)

    part = section(page, "jeton-identite")
    state, line = verdict(part)
    assert state == "invalid"
    assert line.startswith(
        "INVALIDE — jeton d'identité (ID token) : la signature ne se vérifie pas"
    )
    [problem] = part.xpath(".//*[@data-problem='bad_signature']")
    assert "le jeton a été modifié après sa signature" in problem.text_content()
    assert part.xpath(".//dl[@data-signature='invalid']")
    # What the altered token claims is still shown, and explained.
    assert text_of(part, ".//tr[@data-claim='enterprise.neq']/td[1]") == "9999999999"
    assert verdict(section(page, "jeton-acces"))[0] == "valid"


def test_without_the_providers_keys_the_tokens_are_decoded_but_not_verified(
    tmp_path: Path,
) -> None:
    instance = tmp_path / "iqea"
    instance.mkdir()
    (instance / CLIENT_KEY_FILE).write_bytes(site_key_pem())
    # Nothing listens there: discovery and the JWKS cannot be read.
    site = create_app(
        {"IQEA_IDP_ISSUER": "http://127.0.0.1:9", "IQEA_INSTANCE_DIR": instance, "TESTING": True}
    )
    client = site.test_client()
    claims = {"iss": "http://127.0.0.1:9", "sub": "pairwise-sub", "aud": "iqea", "exp": 1}
    token = ".".join(
        [
            _b64(b'{"alg":"RS256","kid":"some-kid","typ":"JWT"}'),
            _b64(json.dumps(claims).encode()),
            _b64(b"signature"),
        ]
    )
    with client.session_transaction() as session:
        session["auth"] = {
            "sub": "pairwise-sub",
            "sid": "sid",
            "claims": {"sub": "pairwise-sub", "rights": []},
            "id_token": token,
            "access_token": "opaque",
            "expires_at": 2**40,
            "userinfo": {"sub": "pairwise-sub"},
        }

    response = client.get("/transmis")

    assert response.status_code == 200
    page = lxml.html.fromstring(response.get_data(as_text=True))
    part = section(page, "jeton-identite")
    state, line = verdict(part)
    assert state == "unchecked"
    assert line.startswith("NON VÉRIFIÉ — Les clés publiées de clicSÉQUR n'ont pas pu être lues")
    assert not part.xpath(".//*[@data-problem='unknown_key']")
    assert part.xpath(".//*[@data-problem='expired']")
    assert not part.xpath(".//dl[@data-signature]")
    assert explanation(part, "sub").startswith("Sujet :")
