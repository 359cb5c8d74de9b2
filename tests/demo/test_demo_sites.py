"""The demo ministry sites as the provider sees them: their registrations and the welcome."""

from __future__ import annotations

import shutil
from pathlib import Path

from demo_rp.amf.sp import write_metadata
from idp.demo.cli import DEMO_MANAGEMENT_CLIENT, DEMO_MANAGEMENT_SECRET, _demo_sites
from idp.relying_parties import load_registry

REGISTRATIONS = Path(__file__).resolve().parents[2] / "demo_rp" / "registrations"


def demo_registry(runtime, tmp_path: Path):
    """The demo registrations, with the AMF metadata written as the demo runner writes it."""
    directory = tmp_path / "registrations"
    directory.mkdir()
    for toml in REGISTRATIONS.glob("*.toml"):
        shutil.copy(toml, directory / toml.name)
    write_metadata(
        directory / "amf-metadata.xml",
        base_url="http://127.0.0.1:5002",
        instance_dir=tmp_path / "amf",
    )
    return load_registry(directory, runtime.catalogue)


def test_demo_registrations_load(runtime, tmp_path):
    registry = demo_registry(runtime, tmp_path)
    iqea = registry.client("iqea")
    assert iqea is not None
    assert iqea.token_endpoint_auth_method == "private_key_jwt"
    assert iqea.jwks_uri == "http://127.0.0.1:5001/.well-known/jwks.json"
    amf = registry.service_provider("http://127.0.0.1:5002/saml/metadata")
    assert amf is not None
    assert amf.encrypt_assertions
    assert amf.authn_requests_signed
    assert amf.acs_for(None) is not None
    assert amf.acs_for(None).location == "http://127.0.0.1:5002/saml/acs"


def test_the_demo_management_back_end_is_melccfps_with_its_published_secret(runtime, tmp_path):
    manager = demo_registry(runtime, tmp_path).client(DEMO_MANAGEMENT_CLIENT)
    assert manager is not None
    assert manager.check_secret(DEMO_MANAGEMENT_SECRET)
    assert manager.grant_types == ("client_credentials",)
    assert manager.management_scopes == (
        "management:melccfp:registrations",
        "management:melccfp:mailbox",
        "management:melccfp:audit",
    )


def test_welcome_lists_every_demo_site(runtime, tmp_path):
    registry = demo_registry(runtime, tmp_path)

    class WithDemoSites:
        def __init__(self) -> None:
            self.registry = registry

    sites = dict(_demo_sites(WithDemoSites()))  # type: ignore[arg-type]
    assert sites["Inventaire québécois des émissions atmosphériques (OIDC)"] == (
        "http://127.0.0.1:5001/"
    )
    assert sites["Autorité des marchés financiers (SAML)"] == "http://127.0.0.1:5002/"
