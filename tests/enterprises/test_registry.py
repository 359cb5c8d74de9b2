"""Asking the enterprise register: the file of fictional enterprises and the HTTPS service."""

from __future__ import annotations

import json

import pytest
import requests
import responses
from responses import matchers

from idp.enterprises.registry import (
    EnterpriseFacts,
    EnterpriseRegistryUnavailableError,
    FileEnterpriseRegistry,
    HttpEnterpriseRegistry,
    registry_from_settings,
)
from tests.conftest import ROOT

URL = "https://registre.example.gouv.qc.ca/v1/verification"
TOKEN = "token-of-the-enterprise-register-0123456789"
BOULANGERIE = EnterpriseFacts(
    "1190000005", "Boulangerie du Vieux-Port inc.", "business_corporation"
)


@pytest.fixture
def demo_file() -> FileEnterpriseRegistry:
    return FileEnterpriseRegistry(ROOT / "config" / "demo-enterprises.toml")


def test_the_file_knows_an_enterprise_by_its_three_facts(demo_file):
    assert demo_file.matches(BOULANGERIE)


def test_the_name_is_compared_without_case_accents_or_extra_spaces(demo_file):
    assert demo_file.matches(
        EnterpriseFacts("1190000005", "  BOULANGERIE du vieux-port   INC. ", "business_corporation")
    )
    assert demo_file.matches(
        EnterpriseFacts("3390000006", "Cooperative forestiere du Haut-Saint-Maurice", "cooperative")
    )


@pytest.mark.parametrize(
    "facts",
    [
        EnterpriseFacts("1190000099", "Boulangerie du Vieux-Port inc.", "business_corporation"),
        EnterpriseFacts("1190000005", "Boulangerie du Port inc.", "business_corporation"),
        EnterpriseFacts("1190000005", "Boulangerie du Vieux-Port inc.", "cooperative"),
    ],
    ids=["unknown NEQ", "other name", "other legal form"],
)
def test_any_wrong_fact_is_no_match(demo_file, facts):
    assert not demo_file.matches(facts)


@responses.activate
def test_the_service_is_asked_with_the_facts_and_the_bearer_token():
    responses.post(
        URL,
        json={"match": True},
        match=[
            matchers.json_params_matcher(
                {
                    "neq": "1190000005",
                    "legal_name": "Boulangerie du Vieux-Port inc.",
                    "legal_form": "business_corporation",
                }
            ),
            matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"}),
        ],
    )
    registry = HttpEnterpriseRegistry(URL, token=TOKEN, timeout_seconds=2)
    assert registry.matches(BOULANGERIE) is True
    [call] = responses.calls
    assert json.loads(call.request.body)["neq"] == "1190000005"


@responses.activate
def test_the_service_saying_no_is_no_match():
    responses.post(URL, json={"match": False})
    assert HttpEnterpriseRegistry(URL, token=None, timeout_seconds=2).matches(BOULANGERIE) is False


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 500, "json": {"match": True}},
        {"status": 302, "headers": {"Location": "https://elsewhere.example/"}},
        {"status": 200, "body": "not json"},
        {"status": 200, "json": {"match": "yes"}},
        {"status": 200, "json": ["match"]},
        {"body": requests.ConnectionError("refused")},
        {"body": requests.Timeout("slow")},
    ],
    ids=["500", "redirect", "not json", "not a boolean", "not an object", "refused", "timeout"],
)
@responses.activate
def test_anything_but_a_boolean_answer_is_unavailable(reply):
    responses.post(URL, **reply)
    with pytest.raises(EnterpriseRegistryUnavailableError):
        HttpEnterpriseRegistry(URL, token=TOKEN, timeout_seconds=2).matches(BOULANGERIE)


def test_the_setting_chooses_the_implementation(tmp_path):
    assert isinstance(registry_from_settings(URL, TOKEN, 2), HttpEnterpriseRegistry)
    path = tmp_path / "enterprises.toml"
    path.write_text(
        '[[enterprises]]\nneq = "1190000005"\nlegal_name = "X"\nlegal_form = "cooperative"\n'
    )
    assert isinstance(registry_from_settings(str(path), None, 2), FileEnterpriseRegistry)


def test_the_app_uses_the_configured_registry(runtime):
    assert isinstance(runtime.enterprise_registry, FileEnterpriseRegistry)
    assert runtime.enterprise_registry.matches(BOULANGERIE)
