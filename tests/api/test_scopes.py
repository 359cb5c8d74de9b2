"""Management scopes in a relying party's file: its own ministry's, known resources, with the
client_credentials grant; anything else stops the start with the file named."""

from __future__ import annotations

import pytest

from idp.api.scopes import ManagementResource, check_management_scope, management_scope
from idp.relying_parties import RegistryError, load_registry
from tests.oidc.conftest import write_client

BACK_END = {
    "kind": "oidc",
    "client_id": "melccfp-manager",
    "ministry": "melccfp",
    "name_fr": "Gestion",
    "name_en": "Management",
    "token_endpoint_auth_method": "client_secret_basic",
    "client_secret_sha256": "0" * 64,
    "grant_types": ["client_credentials"],
    "scopes": [],
}


def test_a_scope_names_the_ministry_and_the_resource():
    assert management_scope("melccfp", ManagementResource.AUDIT) == "management:melccfp:audit"
    assert check_management_scope("management:melccfp:mailbox", "melccfp")


@pytest.mark.parametrize(
    ("scopes", "grant_types", "message"),
    [
        (["management:amf:registrations"], ["client_credentials"], "another ministry"),
        (["management:melccfp:everything"], ["client_credentials"], "not a management scope"),
        (["melccfp:registrations"], ["client_credentials"], "not a management scope"),
        (["management:melccfp"], ["client_credentials"], "not a management scope"),
        (["management:melccfp:audit"], ["authorization_code"], "client_credentials"),
    ],
)
def test_a_file_asking_for_what_it_may_not_is_refused(
    tmp_path, runtime, scopes, grant_types, message
):
    fields = {**BACK_END, "management_scopes": scopes, "grant_types": grant_types}
    if "authorization_code" in grant_types:
        fields |= {"redirect_uris": ["https://x.example/cb"], "scopes": ["openid"]}
    write_client(tmp_path, fields)
    with pytest.raises(RegistryError, match=message) as refused:
        load_registry(tmp_path, runtime.catalogue)
    assert "melccfp-manager.toml" in str(refused.value)


def test_a_file_with_its_own_ministrys_scopes_loads(tmp_path, runtime):
    scopes = [management_scope("melccfp", r) for r in ManagementResource]
    write_client(tmp_path, {**BACK_END, "management_scopes": scopes})
    client = load_registry(tmp_path, runtime.catalogue).client("melccfp-manager")
    assert client is not None
    assert client.management_scopes == tuple(scopes)
