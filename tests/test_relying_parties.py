"""Relying-party files: validated at start-up and by `idp clients check`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from idp.ministries.catalogue import load_catalogue
from idp.relying_parties import RegistryError, load_registry, new_client_secret

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue(ROOT / "config" / "catalogue.toml")
SECRET = "s3cr3t-value-made-by-idp-clients-secret-command-0123"
SECRET_SHA256 = hashlib.sha256(SECRET.encode()).hexdigest()

VALID = f'''
kind = "oidc"
client_id = "iqea-backend"
ministry = "melccfp"
name_fr = "Inventaire québécois des émissions atmosphériques"
name_en = "Québec Air Emissions Inventory"
redirect_uris = ["https://iqea.example.gouv.qc.ca/callback"]
post_logout_redirect_uris = ["https://iqea.example.gouv.qc.ca/"]
backchannel_logout_uri = "https://iqea.example.gouv.qc.ca/backchannel-logout"
token_endpoint_auth_method = "client_secret_basic"
client_secret_sha256 = "{SECRET_SHA256}"
scopes = ["openid", "profile", "email", "enterprise", "melccfp.iqea.operator"]
required_rights = ["melccfp.iqea.operator"]
'''


def write(directory: Path, text: str, name: str = "client.toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_client_loads(tmp_path):
    write(tmp_path, VALID)
    client = load_registry(tmp_path, CATALOGUE).client("iqea-backend")
    assert client is not None
    assert client.id_token_signed_response_alg == "RS256"
    assert client.grant_types == ("authorization_code", "refresh_token")
    assert client.check_secret(SECRET)
    assert not client.check_secret(SECRET + "x")
    assert not client.check_secret("")
    # No article unless the file gives one: « à Inventaire… » until it says "l'".
    assert client.sentence_name.a("fr") == "à Inventaire québécois des émissions atmosphériques"
    write(tmp_path, VALID.replace('kind = "oidc"', 'kind = "oidc"\narticle_fr = "l\'"'))
    client = load_registry(tmp_path, CATALOGUE).client("iqea-backend")
    assert client.sentence_name.a("fr") == "à l'Inventaire québécois des émissions atmosphériques"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"https://iqea.example.gouv.qc.ca/callback"',
            '"http://iqea.example.gouv.qc.ca/cb"',
            "loopback",
        ),
        (
            '"https://iqea.example.gouv.qc.ca/callback"',
            '"https://iqea.example/cb#frag"',
            "fragment",
        ),
        ('"https://iqea.example.gouv.qc.ca/callback"', '"https://*.example/cb"', "wildcard"),
        (
            '"https://iqea.example.gouv.qc.ca/callback"',
            '"https://u:p@iqea.example/cb"',
            "user information",
        ),
        ('"https://iqea.example.gouv.qc.ca/callback"', '"/relative"', "absolute"),
        (f'client_secret_sha256 = "{SECRET_SHA256}"', "", "needs client_secret_sha256"),
        (f'"{SECRET_SHA256}"', '"not-a-hash"', "client_secret_sha256"),
        ('"client_secret_basic"', '"private_key_jwt"', "client_secret_sha256 is only"),
        ('ministry = "melccfp"', 'ministry = "nowhere"', "not in the catalogue"),
        ('"melccfp.iqea.operator"]\nrequired', '"amf.payments"]\nrequired', "neither standard"),
        (
            'required_rights = ["melccfp.iqea.operator"]',
            'required_rights = ["amf.payments"]',
            "not rights of melccfp",
        ),
        ('kind = "oidc"', 'kind = "oidc"\ncolour = "blue"', "colour"),
        ('kind = "oidc"', 'kind = "cas"', "kind must be"),
        ('client_id = "iqea-backend"', 'client_id = "IQEA backend"', "client_id"),
        ('"client_secret_basic"', '"magic"', "token_endpoint_auth_method"),
        ('scopes = ["openid", ', "scopes = [", "openid"),
        ('kind = "oidc"', 'kind = "oidc"\nrequire_pkce = "no"', "require_pkce"),
        ('kind = "oidc"', 'kind = "oidc"\narticle_fr = "le"', "elides"),
        ('kind = "oidc"', 'kind = "oidc"\narticle_fr = "the"', "must be one of"),
        ('kind = "oidc"', 'kind = "oidc"\nthe_en = "yes"', "the_en"),
    ],
)
def test_invalid_files_are_refused_with_the_reason(tmp_path, old, new, message):
    assert old in VALID
    write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(RegistryError) as error:
        load_registry(tmp_path, CATALOGUE)
    assert "client.toml" in str(error.value)
    assert message in str(error.value)


def test_private_key_jwt_needs_exactly_one_key_source(tmp_path):
    base = VALID.replace('"client_secret_basic"', '"private_key_jwt"').replace(
        f'client_secret_sha256 = "{SECRET_SHA256}"', ""
    )
    write(tmp_path, base)
    with pytest.raises(RegistryError, match="exactly one of"):
        load_registry(tmp_path, CATALOGUE)
    jwks = {
        "keys": [
            {
                "kty": "EC",
                "crv": "P-256",
                "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            }
        ]
    }
    (tmp_path / "iqea.jwks.json").write_text(json.dumps(jwks))
    write(tmp_path, base + 'jwks_file = "iqea.jwks.json"\n')
    client = load_registry(tmp_path, CATALOGUE).client("iqea-backend")
    assert client.jwks == jwks
    write(tmp_path, base + 'jwks_file = "../outside.json"\n')
    with pytest.raises(RegistryError, match="inside"):
        load_registry(tmp_path, CATALOGUE)


def test_public_client_cannot_use_client_credentials(tmp_path):
    text = VALID.replace('"client_secret_basic"', '"none"').replace(
        f'client_secret_sha256 = "{SECRET_SHA256}"',
        'grant_types = ["authorization_code", "client_credentials"]',
    )
    write(tmp_path, text)
    with pytest.raises(RegistryError, match="public client"):
        load_registry(tmp_path, CATALOGUE)


def test_pkce_is_required_unless_a_confidential_client_opts_out(tmp_path):
    write(tmp_path, VALID)
    assert load_registry(tmp_path, CATALOGUE).client("iqea-backend").require_pkce is True
    write(tmp_path, VALID + "require_pkce = false\n")
    assert load_registry(tmp_path, CATALOGUE).client("iqea-backend").require_pkce is False


def test_public_client_cannot_opt_out_of_pkce(tmp_path):
    text = VALID.replace('"client_secret_basic"', '"none"').replace(
        f'client_secret_sha256 = "{SECRET_SHA256}"', "require_pkce = false"
    )
    write(tmp_path, text)
    with pytest.raises(RegistryError, match="cannot set require_pkce = false"):
        load_registry(tmp_path, CATALOGUE)


def test_duplicate_client_ids_and_every_problem_listed(tmp_path):
    write(tmp_path, VALID, "a.toml")
    write(tmp_path, VALID, "b.toml")
    write(tmp_path, "kind = ", "c.toml")
    with pytest.raises(RegistryError) as error:
        load_registry(tmp_path, CATALOGUE)
    assert "b.toml: client_id 'iqea-backend' is used twice" in str(error.value)
    assert "c.toml" in str(error.value)


def test_citizen_service_asks_for_no_rights(tmp_path):
    write(tmp_path, VALID.replace('kind = "oidc"', 'kind = "oidc"\naudience = "citizen"'))
    with pytest.raises(RegistryError, match="citizen"):
        load_registry(tmp_path, CATALOGUE)


def test_new_client_secret_is_256_bits_and_matches_its_hash():
    secret, digest = new_client_secret()
    assert len(secret) >= 43
    assert hashlib.sha256(secret.encode()).hexdigest() == digest


def test_clients_check_command(app, tmp_path):
    runner = app.test_cli_runner()
    write(tmp_path / "good", VALID)
    ok = runner.invoke(args=["clients", "check", "--dir", str(tmp_path / "good")])
    assert ok.exit_code == 0, ok.output
    assert "iqea-backend" in ok.output
    assert "warn" not in ok.output
    write(tmp_path / "legacy", VALID + "require_pkce = false\n")
    legacy = runner.invoke(args=["clients", "check", "--dir", str(tmp_path / "legacy")])
    assert legacy.exit_code == 0, legacy.output
    assert "warn iqea-backend: require_pkce = false" in legacy.output
    write(tmp_path / "bad", VALID.replace('ministry = "melccfp"', 'ministry = "x"'))
    bad = runner.invoke(args=["clients", "check", "--dir", str(tmp_path / "bad")])
    assert bad.exit_code == 1
    assert "not in the catalogue" in bad.output


def test_shipped_relying_parties_are_valid():
    load_registry(ROOT / "relying_parties", CATALOGUE)


def test_app_refuses_to_start_with_a_bad_relying_party(app_config, tmp_path):
    from idp import create_app

    write(tmp_path / "rps", VALID.replace('ministry = "melccfp"', 'ministry = "x"'))
    with pytest.raises(RegistryError):
        create_app({**app_config, "relying_parties_dir": tmp_path / "rps"})
