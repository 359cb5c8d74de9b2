"""Citizens' services (relying parties with the ``citizen`` audience): only citizen accounts,
consent without an enterprise, the person's identity and nothing about enterprises or rights,
and the ``acr`` the sign-in reached (emailed code or security question)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import lxml.html
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from idp.accounts.models import AccountRole
from idp.claims.identity import build_citizen_identity, oidc_claims, saml_attributes
from idp.extensions import db
from idp.relying_parties import RegistryError, load_registry
from tests.citizens.conftest import OLIVIER, CitizenBrowser, live_session
from tests.conftest import MutableClock, csrf_token
from tests.oidc.conftest import pkce_pair, redirect_params, write_client
from tests.oidc.live_server import WallClock
from tests.saml.conftest import ServiceProvider, _service_provider

MFA = "urn:clicsequr:acr:mfa"
KBA = "urn:clicsequr:acr:kba"
CALLBACK = "http://127.0.0.1:8765/citoyens/callback"
ENTERPRISE_CALLBACK = "http://127.0.0.1:8765/entreprises/callback"
CITIZEN_SCOPES = ["openid", "profile", "email"]
ENTERPRISE_ONLY_CLAIMS = {"enterprise", "role", "rights", "agent", "authorization_details"}
CITIZEN_SP = "https://permis.example.gouv.qc.ca/saml"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def citizen_client(client_id: str, ministry: str = "melccfp", **fields: Any) -> dict[str, Any]:
    return {
        "kind": "oidc",
        "client_id": client_id,
        "ministry": ministry,
        "audience": "citizen",
        "name_fr": f"Service citoyen {client_id}",
        "name_en": f"Citizen service {client_id}",
        "redirect_uris": [CALLBACK],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"],
        "scopes": CITIZEN_SCOPES,
        **fields,
    }


@pytest.fixture
def citizen_sp(tmp_path: Path) -> ServiceProvider:
    """A SAML service provider of the citizens (asked only by the SAML tests)."""
    return _service_provider(tmp_path / "sps", CITIZEN_SP, "permis-citoyens")


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> MutableClock:
    # The SAML library stamps and checks messages with the wall clock.
    return WallClock() if "citizen_sp" in request.fixturenames else MutableClock()


@pytest.fixture
def relying_parties(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    if "citizen_sp" in request.fixturenames:
        sp: ServiceProvider = request.getfixturevalue("citizen_sp")
        (directory / "permis-saml-metadata.xml").write_text(sp.metadata(), "utf-8")
        (directory / "permis-saml.toml").write_text(
            "\n".join(
                [
                    'kind = "saml"',
                    f'entity_id = "{sp.entity_id}"',
                    'ministry = "melccfp"',
                    'audience = "citizen"',
                    'name_fr = "Permis de chasse (SAML)"',
                    'name_en = "Hunting licence (SAML)"',
                    'metadata_file = "permis-saml-metadata.xml"',
                ]
            )
            + "\n",
            "utf-8",
        )
    write_client(directory, citizen_client("permis-chasse"))
    write_client(directory, citizen_client("permis-peche"))
    write_client(directory, citizen_client("amf-citoyens", ministry="amf"))
    write_client(directory, citizen_client("permis-mfa", minimum_acr=MFA))
    write_client(
        directory,
        {
            "kind": "oidc",
            "client_id": "iqea-spa",
            "ministry": "melccfp",
            "name_fr": "Inventaire québécois des émissions atmosphériques",
            "name_en": "Québec air emissions inventory",
            "redirect_uris": [ENTERPRISE_CALLBACK],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "scopes": ["openid", "profile", "email", "enterprise"],
        },
    )
    return directory


@pytest.fixture
def app_config(app_config: dict[str, Any], relying_parties: Path) -> dict[str, Any]:
    return {**app_config, "relying_parties_dir": relying_parties}


@pytest.fixture
def esm(factory):
    return factory.person(role=AccountRole.ESM)


# -- a relying party's side ---------------------------------------------------------------------


class Visit:
    """One authorization request of a citizen's service, and what it gets back."""

    def __init__(self, client_id: str, redirect_uri: str = CALLBACK, **extra: str) -> None:
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.verifier, challenge = pkce_pair()
        self.state = secrets.token_urlsafe(12)
        self.nonce = secrets.token_urlsafe(12)
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(CITIZEN_SCOPES),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        self.url = "/oidc/authorize?" + urlencode(params)


def sign_in_at(browser: CitizenBrowser, login: str, account: Any, *, by: str) -> Any:
    """Go through the citizens' sign-in the service sent the person to; returns the last answer."""
    parts = urlsplit(login)
    assert parts.path == "/citoyens/connexion", login
    query = "?" + parts.query
    if by == "question":
        return browser.sign_in_by_question(account, query=query)
    return browser.sign_in(account, query=query)


def authorize(
    browser: CitizenBrowser,
    visit: Visit,
    account: Any = None,
    *,
    by: str = "code",
    expect_consent: bool | None = None,
) -> dict[str, str]:
    """Open the request, sign in if sent to, agree if asked; the parameters sent to the site."""
    response = browser.client.get(visit.url)
    if response.status_code == 302 and "/connexion" in response.headers["Location"]:
        assert account is not None, response.headers["Location"]
        done = sign_in_at(browser, response.headers["Location"], account, by=by)
        assert done.status_code == 302, done.get_data(as_text=True)
        assert done.headers["Location"].startswith("/oidc/authorize?"), done.headers["Location"]
        response = browser.client.get(done.headers["Location"])
    consented = False
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert 'value="allow"' in page, page[:1000]
        consented = True
        response = browser.post(visit.url, {"decision": "allow"}, page=None)
    if expect_consent is not None:
        assert consented == expect_consent
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    location = response.headers["Location"]
    assert location.startswith(visit.redirect_uri + "?"), location
    params = redirect_params(location)
    assert params.get("state") == visit.state
    return params


def redeem(client: Any, visit: Visit, code: str) -> dict[str, Any]:
    response = client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": visit.redirect_uri,
            "code_verifier": visit.verifier,
            "client_id": visit.client_id,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def decode(client: Any, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    return dict(jwt.decode(token, keys, algorithms=["RS256", "ES256", "PS256"]).claims)


def userinfo(client: Any, access_token: str) -> dict[str, Any]:
    response = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def tokens_for(
    browser: CitizenBrowser, visit: Visit, account: Any = None, **kw: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The token response and the ID token's claims of a whole visit."""
    params = authorize(browser, visit, account, **kw)
    tokens = redeem(browser.client, visit, params["code"])
    return tokens, decode(browser.client, tokens["id_token"])


# -- a citizen at a citizen's service -----------------------------------------------------------


def test_a_citizen_signs_in_to_a_citizen_service(browser, citizen, runtime):
    browser.language("en")
    visit = Visit("permis-chasse")

    first = browser.client.get(visit.url)
    assert first.status_code == 302
    login = first.headers["Location"]
    assert urlsplit(login).path == "/citoyens/connexion"
    assert "acr" not in parse_qs(urlsplit(login).query)
    done = sign_in_at(browser, login, citizen, by="code")
    consent = browser.client.get(done.headers["Location"])

    assert consent.status_code == 200
    page = consent.get_data(as_text=True)
    assert 'value="allow"' in page
    assert "Acting for" not in page
    agreed = browser.post(visit.url, {"decision": "allow"})
    assert agreed.status_code == 302
    params = redirect_params(agreed.headers["Location"])
    assert params["state"] == visit.state
    tokens = redeem(browser.client, visit, params["code"])
    claims = decode(browser.client, tokens["id_token"])

    assert claims["aud"] == "permis-chasse"
    assert claims["nonce"] == visit.nonce
    assert claims["sub"]
    assert claims["sub"] != str(citizen.id)
    assert claims["name"] == "Olivier Lavoie"
    assert claims["given_name"] == "Olivier"
    assert claims["family_name"] == "Lavoie"
    assert claims["email"] == OLIVIER.email
    assert claims["email_verified"] is True
    assert claims["acr"] == MFA
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["sid"] == live_session(citizen).sid
    assert not ENTERPRISE_ONLY_CLAIMS & set(claims)
    access = decode(browser.client, tokens["access_token"])
    assert access["sub"] == claims["sub"]
    assert access["acr"] == MFA
    assert not ENTERPRISE_ONLY_CLAIMS & set(access)
    info = userinfo(browser.client, tokens["access_token"])
    assert info == {
        "sub": claims["sub"],
        "name": "Olivier Lavoie",
        "given_name": "Olivier",
        "family_name": "Lavoie",
        "email": OLIVIER.email,
        "email_verified": True,
    }


def test_the_consent_page_names_the_service_and_no_enterprise(browser, citizen, factory):
    factory.enterprise("Aciérie Saint-Laurent inc.")
    browser.language("en")
    visit = Visit("permis-chasse")
    first = browser.client.get(visit.url)
    done = sign_in_at(browser, first.headers["Location"], citizen, by="code")
    page = browser.client.get(done.headers["Location"]).get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<h1>Send your information to Citizen service permis-chasse?</h1>" in main
    assert "This is your first visit to the services of the Ministère de" in main
    assert "Your name" in main
    assert "Your email address" in main
    for enterprise_words in ("Acting for", "Aciérie", "enterprise", "Connected services"):
        assert enterprise_words not in main


def test_the_consent_is_asked_once_per_ministry(browser, citizen):
    authorize(browser, Visit("permis-chasse"), citizen, expect_consent=True)
    authorize(browser, Visit("permis-chasse"), expect_consent=False)
    authorize(browser, Visit("permis-peche"), expect_consent=False)
    authorize(browser, Visit("amf-citoyens"), expect_consent=True)


def test_a_refused_consent_gives_access_denied(browser, citizen):
    visit = Visit("permis-chasse")
    first = browser.client.get(visit.url)
    done = sign_in_at(browser, first.headers["Location"], citizen, by="code")
    browser.client.get(done.headers["Location"])
    refused = browser.post(visit.url, {"decision": "deny"})
    assert refused.status_code == 302
    params = redirect_params(refused.headers["Location"])
    assert params["error"] == "access_denied"
    assert "code" not in params


def test_the_subject_is_pairwise_per_ministry(browser, citizen):
    _tokens, hunting = tokens_for(browser, Visit("permis-chasse"), citizen)
    _tokens, fishing = tokens_for(browser, Visit("permis-peche"))
    _tokens, amf = tokens_for(browser, Visit("amf-citoyens"))
    assert hunting["sub"] == fishing["sub"]
    assert amf["sub"] != hunting["sub"]
    assert {hunting["aud"], fishing["aud"], amf["aud"]} == {
        "permis-chasse",
        "permis-peche",
        "amf-citoyens",
    }


def test_an_unregistered_enterprise_scope_asked_gives_nothing_about_enterprises(browser, citizen):
    visit = Visit("permis-chasse", scope="openid profile email enterprise melccfp.iqea.operator")
    tokens, claims = tokens_for(browser, visit, citizen)
    assert not ENTERPRISE_ONLY_CLAIMS & set(claims)
    assert set(tokens["scope"].split()) <= set(CITIZEN_SCOPES)
    assert not ENTERPRISE_ONLY_CLAIMS & set(userinfo(browser.client, tokens["access_token"]))


# -- the security question and acr ----------------------------------------------------------------


def test_a_sign_in_by_security_question_is_kba(browser, citizen):
    tokens, claims = tokens_for(browser, Visit("permis-chasse"), citizen, by="question")
    assert claims["acr"] == KBA
    assert claims["amr"] == ["pwd", "kba"]
    assert decode(browser.client, tokens["access_token"])["acr"] == KBA


@pytest.mark.parametrize(
    ("client_id", "extra"),
    [("permis-chasse", {"acr_values": MFA}), ("permis-mfa", {})],
    ids=["acr_values", "minimum_acr"],
)
def test_a_service_asking_for_the_emailed_code_sends_a_kba_session_back(
    browser, citizen, client_id, extra
):
    browser.sign_in_by_question(citizen)
    assert live_session(citizen).amr == "pwd kba"
    visit = Visit(client_id, **extra)

    response = browser.client.get(visit.url)

    assert response.status_code == 302
    login = response.headers["Location"]
    parts = urlsplit(login)
    assert parts.path == "/citoyens/connexion"
    assert parse_qs(parts.query)["acr"] == ["mfa"]
    # The question is not offered on the way: only the emailed code.
    assert browser.user_code_step(citizen.user_code, "?" + parts.query).status_code == 302
    browser.password_step()
    question = browser.client.get("/citoyens/connexion/question")
    assert question.headers["Location"].endswith("/connexion/code")
    done = browser.code_step(citizen.email)
    assert done.headers["Location"].startswith("/oidc/authorize?")
    params = authorize(browser, visit)
    claims = decode(browser.client, redeem(browser.client, visit, params["code"])["id_token"])
    assert claims["acr"] == MFA
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_prompt_none_with_a_kba_session_at_a_service_asking_for_the_code(browser, citizen):
    browser.sign_in_by_question(citizen)
    visit = Visit("permis-mfa", prompt="none")
    response = browser.client.get(visit.url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CALLBACK + "?")
    assert redirect_params(response.headers["Location"])["error"] == "login_required"


def test_a_code_session_is_enough_for_a_service_asking_for_the_code(browser, citizen):
    browser.sign_in(citizen)
    _tokens, claims = tokens_for(browser, Visit("permis-mfa"))
    assert claims["acr"] == MFA


def test_either_acr_accepted_lets_a_kba_session_through(browser, citizen):
    browser.sign_in_by_question(citizen)
    visit = Visit("permis-chasse", acr_values=f"{MFA} {KBA}")
    _tokens, claims = tokens_for(browser, visit)
    assert claims["acr"] == KBA


# -- each portal's sessions at its own services -------------------------------------------------


def test_an_enterprise_session_at_a_citizen_service_is_sent_to_the_citizen_sign_in(
    browser, auth, esm
):
    auth.sign_in(esm)
    response = browser.client.get(Visit("permis-chasse").url)
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/citoyens/connexion"
    assert parse_qs(parts.query)["next"][0].startswith("/oidc/authorize?")

    silent = browser.client.get(Visit("permis-chasse", prompt="none").url)
    assert silent.status_code == 302
    assert silent.headers["Location"].startswith(CALLBACK + "?")
    assert redirect_params(silent.headers["Location"])["error"] == "login_required"


def test_a_citizen_session_at_an_enterprise_service_is_sent_to_the_enterprise_sign_in(
    browser, citizen
):
    browser.sign_in(citizen)
    response = browser.client.get(Visit("iqea-spa", ENTERPRISE_CALLBACK).url)
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/connexion"
    assert parse_qs(parts.query)["next"][0].startswith("/oidc/authorize?")

    silent = browser.client.get(Visit("iqea-spa", ENTERPRISE_CALLBACK, prompt="none").url)
    assert silent.status_code == 302
    assert silent.headers["Location"].startswith(ENTERPRISE_CALLBACK + "?")
    assert redirect_params(silent.headers["Location"])["error"] == "login_required"


def test_an_enterprise_account_cannot_sign_in_on_the_way_to_a_citizen_service(browser, esm):
    browser.language("en")
    response = browser.client.get(Visit("permis-chasse").url)
    login = response.headers["Location"]
    parts = urlsplit(login)
    browser.user_code_step(esm.user_code, "?" + parts.query)
    refused = browser.password_step(esm.password)
    assert refused.status_code == 200
    assert "The user code or the password is not right" in refused.get_data(as_text=True)


# -- the registry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"scopes": ["openid", "profile", "email", "enterprise"]},
            "a citizen service asks for no enterprise scope and no rights",
        ),
        (
            {"required_rights": ["melccfp.iqea.operator"]},
            "a citizen service asks for no enterprise scope and no rights",
        ),
        (
            {"scopes": ["openid", "profile", "melccfp.iqea.operator"]},
            "a citizen service asks for no enterprise scope and no rights",
        ),
    ],
    ids=["enterprise-scope", "required-rights", "right-as-scope"],
)
def test_the_registry_refuses_a_citizen_service_asking_for_enterprises_or_rights(
    tmp_path, runtime, changes, message
):
    directory = tmp_path / "registry"
    directory.mkdir()
    write_client(directory, citizen_client("permis-chasse", **changes))
    with pytest.raises(RegistryError) as refused:
        load_registry(directory, runtime.catalogue)
    assert "permis-chasse.toml" in str(refused.value)
    assert message in str(refused.value)


def test_the_registry_accepts_a_citizen_service(tmp_path, runtime):
    directory = tmp_path / "registry"
    directory.mkdir()
    write_client(directory, citizen_client("permis-chasse", minimum_acr=MFA))
    client = load_registry(directory, runtime.catalogue).client("permis-chasse")
    assert client is not None
    assert client.audience == "citizen"
    assert client.minimum_acr == MFA


# -- the identity, as claims and as SAML attributes ------------------------------------------


def test_a_citizen_identity_as_saml_attributes(citizen, runtime):
    identity = build_citizen_identity(db.session, runtime, citizen, "melccfp")
    assert identity is not None

    attributes = saml_attributes(identity)

    assert attributes == {
        "urn:oid:2.5.4.42": ["Olivier"],
        "urn:oid:2.5.4.4": ["Lavoie"],
        "urn:oid:2.16.840.1.113730.3.1.241": ["Olivier Lavoie"],
        "urn:oid:0.9.2342.19200300.100.1.3": [OLIVIER.email],
        "urn:clicsequr:attribute:ministry": ["melccfp"],
    }
    claims = oidc_claims(identity, frozenset({"openid", "profile", "email", "enterprise"}))
    assert claims["sub"] == identity.subject
    assert not ENTERPRISE_ONLY_CLAIMS & set(claims)


def test_the_citizen_identity_is_pairwise_per_ministry(citizen, runtime):
    here = build_citizen_identity(db.session, runtime, citizen, "melccfp")
    again = build_citizen_identity(db.session, runtime, citizen, "melccfp")
    there = build_citizen_identity(db.session, runtime, citizen, "amf")
    assert here.subject == again.subject
    assert here.subject != there.subject


def test_no_citizen_identity_for_an_enterprise_account_or_an_inactive_citizen(
    citizen, runtime, esm
):
    from idp.accounts.models import AccountStatus

    assert build_citizen_identity(db.session, runtime, esm.account, "melccfp") is None
    citizen.status = AccountStatus.CANCELLED
    db.session.commit()
    assert build_citizen_identity(db.session, runtime, citizen, "melccfp") is None


# -- a SAML service of the citizens ----------------------------------------------------------


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def saml_response_form(html: str) -> dict[str, str] | None:
    page = lxml.html.fromstring(html)
    for form in page.iterfind(".//form"):
        fields = {i.get("name"): i.get("value", "") for i in form.iterfind(".//input")}
        if "SAMLResponse" in fields:
            return fields
    return None


def saml_round(
    browser: CitizenBrowser, sp: ServiceProvider, account: Any = None, *, by: str = "code"
) -> tuple[Any, list[str]]:
    """An AuthnRequest of the SP, the pages on the way, and the Response as pysaml2 reads it."""
    metadata = browser.client.get("/saml/metadata").get_data(as_text=True)
    saml_client = sp.client(metadata)
    request_id, info = saml_client.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg=RSA_SHA256
    )
    response = browser.client.get(path_of(dict(info["headers"])["Location"]))
    pages: list[str] = []
    token_path = None
    for _ in range(8):
        if response.status_code == 302:
            location = response.headers["Location"]
            if urlsplit(location).path.startswith("/saml/sso/"):
                token_path = urlsplit(location).path
                response = browser.client.get(path_of(location))
                continue
            pages.append(location)
            assert account is not None, location
            done = sign_in_at(browser, location, account, by=by)
            assert done.status_code == 302, done.get_data(as_text=True)[:500]
            response = browser.client.get(path_of(done.headers["Location"]))
            continue
        html = response.get_data(as_text=True)
        fields = saml_response_form(html)
        if fields is not None:
            parsed = saml_client.parse_authn_request_response(
                fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
            )
            return parsed, pages
        assert token_path is not None, html[:800]
        assert 'value="allow"' in html, html[:800]
        pages.append("consent")
        response = browser.client.post(
            token_path, data={"decision": "allow", "csrf_token": csrf_token(html)}
        )
    raise AssertionError("no SAML Response after 8 steps")


def test_a_citizen_signs_in_to_a_citizen_saml_service(browser, citizen, citizen_sp, runtime):
    parsed, pages = saml_round(browser, citizen_sp, citizen)

    assert urlsplit(pages[0]).path == "/citoyens/connexion"
    assert parse_qs(urlsplit(pages[0]).query)["acr"] == ["mfa"]
    assert pages[1:] == ["consent"]
    assert parsed.ava == {
        "givenName": ["Olivier"],
        "sn": ["Lavoie"],
        "displayName": ["Olivier Lavoie"],
        "mail": [OLIVIER.email],
        "urn:clicsequr:attribute:ministry": ["melccfp"],
    }
    statement = parsed.assertion.authn_statement[0]
    assert statement.authn_context.authn_context_class_ref.text == MFA
    # The NameID is the pairwise subject the OIDC services of the ministry know.
    identity = build_citizen_identity(db.session, runtime, citizen, "melccfp")
    assert parsed.assertion.subject.name_id.text == identity.subject


def test_a_kba_session_adds_the_emailed_code_for_a_saml_service(browser, citizen, citizen_sp):
    browser.sign_in_by_question(citizen)
    parsed, pages = saml_round(browser, citizen_sp, citizen)
    assert parse_qs(urlsplit(pages[0]).query)["acr"] == ["mfa"]
    assert parsed.assertion.authn_statement[0].authn_context.authn_context_class_ref.text == MFA
    assert live_session(citizen).amr == "pwd otp mfa"


def test_an_enterprise_session_at_a_citizen_saml_service_signs_in_as_a_citizen(
    browser, auth, esm, citizen, citizen_sp
):
    auth.sign_in(esm)
    parsed, pages = saml_round(browser, citizen_sp, citizen)
    assert urlsplit(pages[0]).path == "/citoyens/connexion"
    assert parsed.ava["mail"] == [OLIVIER.email]
    assert live_session(esm.account) is None
