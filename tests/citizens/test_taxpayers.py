"""Asking the tax authority: the file of fictional taxpayers and the HTTPS verification service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from idp.citizens.taxpayers import (
    FileTaxpayerRegistry,
    HttpTaxpayerRegistry,
    RegistryUnavailableError,
    TaxpayerFacts,
    registry_from_settings,
)
from tests.citizens.conftest import AMELIE, OLIVIER

URL = "https://verification.example.gouv.qc.ca/v1/identity"
TOKEN = "token-of-the-verification-service-0123456789"


def facts_of(taxpayer, **changes: str) -> TaxpayerFacts:
    fields = {
        "sin": taxpayer.sin.replace(" ", ""),
        "access_code": taxpayer.access_code,
        "notice_number": taxpayer.notice_number,
        "given_name": taxpayer.given_name,
        "family_name": taxpayer.family_name,
    }
    return TaxpayerFacts(**{**fields, **changes})


# -- the file -----------------------------------------------------------------------------------


@pytest.fixture
def registry(taxpayers_file: Path) -> FileTaxpayerRegistry:
    return FileTaxpayerRegistry(taxpayers_file)


@pytest.mark.parametrize("taxpayer", [AMELIE, OLIVIER])
def test_the_file_matches_a_taxpayer(registry, taxpayer):
    assert registry.matches(facts_of(taxpayer))


@pytest.mark.parametrize(
    ("field", "wrong"),
    [
        ("sin", OLIVIER.sin),  # someone else's number
        ("access_code", "176032"),
        ("notice_number", "P4LHXDGAKGY"),
        ("given_name", "Amélia"),
        ("family_name", "Bouchart"),
        ("given_name", "Olivier"),
        ("family_name", ""),
    ],
)
def test_each_wrong_fact_is_no_match(registry, field, wrong):
    assert not registry.matches(facts_of(AMELIE, **{field: wrong}))


def test_an_unknown_sin_is_no_match(registry):
    assert not registry.matches(facts_of(AMELIE, sin="046454286"))
    assert not registry.matches(facts_of(AMELIE, sin=""))


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("AMELIE", "BOUCHARD"),
        ("amelie", "bouchard"),
        ("Amelie", " Bouchard "),
        ("  Amélie  ", "bouchard"),
        ("AMÉLIE", "Bouchard"),
    ],
)
def test_names_are_compared_without_case_accents_or_extra_spaces(registry, given, family):
    assert registry.matches(facts_of(AMELIE, given_name=given, family_name=family))


def test_a_compound_name_is_compared_without_spaces_or_hyphens(tmp_path):
    path = tmp_path / "taxpayers.toml"
    path.write_text(
        "[[taxpayers]]\n"
        'sin = "046454286"\n'
        'access_code = "123456"\n'
        'notice_number = "ABCDE123456"\n'
        'given_name = "Marie-Ève"\n'
        'family_name = "Saint-Pierre  Côté"\n',
        encoding="utf-8",
    )
    registry = FileTaxpayerRegistry(path)
    facts = TaxpayerFacts("046454286", "123456", "ABCDE123456", "marie eve", "saint pierre cote")
    assert registry.matches(facts)
    # The notice number is compared without case too (the form upper-cases it anyway).
    assert registry.matches(
        TaxpayerFacts("046454286", "123456", "abcde123456", "Marie-Ève", "Saint-Pierre Côté")
    )


def test_an_empty_file_matches_nobody(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    assert not FileTaxpayerRegistry(path).matches(facts_of(AMELIE))


def test_the_facts_never_show_the_sin():
    facts = facts_of(AMELIE)
    digits = AMELIE.sin.replace(" ", "")
    for text in (repr(facts), str(facts), f"{facts!r}", f"{facts}"):
        assert digits not in text
        assert AMELIE.access_code not in text
        assert AMELIE.notice_number not in text


# -- the verification service -------------------------------------------------------------------


def http_registry(token: str | None = TOKEN, timeout: float = 2.5) -> HttpTaxpayerRegistry:
    return HttpTaxpayerRegistry(URL, token=token, timeout_seconds=timeout)


@responses.activate
def test_the_facts_are_posted_as_json_with_the_bearer_token():
    responses.post(
        URL,
        json={"match": True},
        match=[
            matchers.json_params_matcher(
                {
                    "sin": "090786666",
                    "access_code": "176031",
                    "notice_of_assessment_number": "P4LHXDGAKGZ",
                    "given_name": "Amélie",
                    "family_name": "Bouchard",
                },
                strict_match=True,
            ),
            matchers.header_matcher(
                {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
            ),
        ],
    )
    assert http_registry().matches(facts_of(AMELIE)) is True
    [call] = responses.calls
    assert call.request.method == "POST"
    assert call.request.headers["Content-Type"] == "application/json"
    assert json.loads(call.request.body)["sin"] == "090786666"
    assert call.request.req_kwargs["timeout"] == 2.5


@responses.activate
def test_without_a_token_no_authorization_header_is_sent():
    responses.post(URL, json={"match": True})
    assert http_registry(token=None).matches(facts_of(AMELIE))
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_the_sin_is_not_in_the_url():
    responses.post(URL, json={"match": False})
    http_registry().matches(facts_of(AMELIE))
    assert "090786666" not in responses.calls[0].request.url


@responses.activate
@pytest.mark.parametrize("answer", [True, False])
def test_the_answer_is_the_match_boolean(answer):
    responses.post(URL, json={"match": answer})
    assert http_registry().matches(facts_of(AMELIE)) is answer


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 404, 500, 502, 503, 201, 204])
def test_an_error_status_is_unavailable(status):
    responses.post(URL, status=status, json={"match": True})
    with pytest.raises(RegistryUnavailableError):
        http_registry().matches(facts_of(AMELIE))


@responses.activate
@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ConnectTimeout(),
        requests.exceptions.ReadTimeout(),
        requests.exceptions.ConnectionError(),
        requests.exceptions.SSLError(),
    ],
)
def test_a_service_out_of_reach_is_unavailable(error):
    responses.post(URL, body=error)
    with pytest.raises(RegistryUnavailableError):
        http_registry().matches(facts_of(AMELIE))


@responses.activate
@pytest.mark.parametrize(
    "body",
    ["<html>Service indisponible</html>", "", "{", "match=true"],
)
def test_a_body_that_is_not_json_is_unavailable(body):
    responses.post(URL, body=body, status=200, content_type="text/html")
    with pytest.raises(RegistryUnavailableError):
        http_registry().matches(facts_of(AMELIE))


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"matched": True},
        {"match": "true"},
        {"match": 1},
        {"match": 0},
        {"match": None},
        {"match": [True]},
        [True],
        {"result": {"match": True}},
        "true",
        None,
        True,
    ],
)
def test_a_missing_or_non_boolean_match_is_unavailable(answer):
    responses.post(URL, body=json.dumps(answer), content_type="application/json")
    with pytest.raises(RegistryUnavailableError):
        http_registry().matches(facts_of(AMELIE))


@responses.activate
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(status):
    elsewhere = "https://elsewhere.example/collect"
    responses.post(URL, status=status, headers={"Location": elsewhere})
    responses.post(elsewhere, json={"match": True})
    responses.get(elsewhere, json={"match": True})
    with pytest.raises(RegistryUnavailableError):
        http_registry().matches(facts_of(AMELIE))
    assert [call.request.url for call in responses.calls] == [URL]


# -- which one --------------------------------------------------------------------------------


def test_an_https_url_is_the_service():
    registry = registry_from_settings(URL, TOKEN, 3.0)
    assert isinstance(registry, HttpTaxpayerRegistry)


@responses.activate
def test_the_service_from_settings_uses_the_token_and_timeout():
    responses.post(URL, json={"match": True})
    assert registry_from_settings(URL, TOKEN, 3.0).matches(facts_of(AMELIE))
    call = responses.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.req_kwargs["timeout"] == 3.0


def test_a_loopback_http_url_is_the_service():
    registry = registry_from_settings("http://127.0.0.1:8080/v1/identity", None, 1.0)
    assert isinstance(registry, HttpTaxpayerRegistry)


def test_a_path_is_the_file(taxpayers_file):
    registry = registry_from_settings(str(taxpayers_file), None, 1.0)
    assert isinstance(registry, FileTaxpayerRegistry)
    assert registry.matches(facts_of(OLIVIER))


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        registry_from_settings(str(tmp_path / "nowhere.toml"), None, 1.0)
