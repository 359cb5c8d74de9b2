"""Signing keys: generation, JWKS, rotation with the previous key still published."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.keystore import KeyState, KeyStore, KeystoreError, generate_keys, rotate_keys

RETENTION = timedelta(days=1)
ISSUER = "https://idp.example"


@pytest.fixture
def keys_dir(tmp_path):
    return tmp_path / "keys"


def test_generate_makes_current_and_next_of_each_type(keys_dir, clock):
    made = generate_keys(keys_dir, clock, ISSUER)
    assert sorted((e.kty, e.state) for e in made) == [
        ("EC", "current"),
        ("EC", "next"),
        ("RSA", "current"),
        ("RSA", "next"),
    ]
    assert generate_keys(keys_dir, clock, ISSUER) == []  # nothing replaced
    for entry in made:
        mode = stat.S_IMODE((keys_dir / f"{entry.kid}.pem").stat().st_mode)
        assert mode == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    rsa = [e for e in made if e.kty == "RSA"]
    assert all((keys_dir / f"{e.kid}.crt").exists() for e in rsa)


def test_jwks_has_public_parts_only(keys_dir, clock):
    generate_keys(keys_dir, clock, ISSUER)
    store = KeyStore.load(keys_dir, clock, RETENTION)
    jwks = store.jwks()
    assert len(jwks["keys"]) == 4
    for jwk in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
        assert jwk["use"] == "sig"
        assert jwk["kid"]
    assert json.dumps(jwks)


def test_missing_keys_refused_with_instructions(keys_dir, clock):
    with pytest.raises(KeystoreError, match="idp keys generate"):
        KeyStore.load(keys_dir, clock, RETENTION)


def _sign(store: KeyStore, alg: str) -> str:
    entry = store.signing_key(alg)
    return jwt.encode({"alg": alg, "kid": entry.kid}, {"sub": "x"}, entry.key, algorithms=[alg])


def test_rotation_keeps_old_tokens_verifiable_until_retention(keys_dir, clock):
    generate_keys(keys_dir, clock, ISSUER)
    before = KeyStore.load(keys_dir, clock, RETENTION)
    old_token = _sign(before, "RS256")
    next_kid = before.next("RSA").kid
    rotate_keys(keys_dir, clock, ISSUER, RETENTION)
    after = KeyStore.load(keys_dir, clock, RETENTION)
    assert after.current("RSA").kid == next_kid
    kids = {jwk["kid"] for jwk in after.jwks()["keys"]}
    assert before.current("RSA").kid in kids  # retired but still published
    assert len(kids) == 6
    published = KeySet.import_key_set(after.jwks())
    assert jwt.decode(old_token, published, algorithms=["RS256"]).claims["sub"] == "x"
    assert jwt.decode(_sign(after, "ES256"), published, algorithms=["ES256"]).claims["sub"] == "x"
    clock.advance(days=1)
    expired = KeyStore.load(keys_dir, clock, RETENTION)
    assert before.current("RSA").kid not in {j["kid"] for j in expired.jwks()["keys"]}
    assert expired.find(before.current("RSA").kid) is None
    rotate_keys(keys_dir, clock, ISSUER, RETENTION)
    assert not (keys_dir / f"{before.current('RSA').kid}.pem").exists()  # pruned


def test_rotate_one_type(keys_dir, clock):
    generate_keys(keys_dir, clock, ISSUER)
    before = KeyStore.load(keys_dir, clock, RETENTION)
    rotate_keys(keys_dir, clock, ISSUER, RETENTION, "EC")
    after = KeyStore.load(keys_dir, clock, RETENTION)
    assert after.current("RSA").kid == before.current("RSA").kid
    assert after.current("EC").kid == before.next("EC").kid
    assert [e.state for e in after.entries if e.kid == before.current("EC").kid] == [
        KeyState.RETIRED
    ]


def test_signing_key_by_algorithm(keys_dir, clock):
    generate_keys(keys_dir, clock, ISSUER)
    store = KeyStore.load(keys_dir, clock, RETENTION)
    assert store.signing_key("PS256").kty == "RSA"
    assert store.signing_key("ES256").kty == "EC"
    with pytest.raises(KeystoreError):
        store.signing_key("HS256")


def test_keys_commands(app, tmp_path):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0
    assert listed.output.count("current") == 2
    assert listed.output.count("next") == 2


def test_rotate_command_on_its_own_directory(app_config, clock, tmp_path):
    from idp import create_app

    app = create_app({**app_config, "keys_dir": tmp_path / "own-keys"}, clock=clock)
    before = app.extensions["idp.runtime"].keystore.next("RSA").kid
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    reloaded = KeyStore.load(tmp_path / "own-keys", clock, RETENTION)
    assert reloaded.current("RSA").kid == before


def test_production_does_not_generate_keys(app_config, tmp_path):
    from idp import create_app

    config = {
        **app_config,
        "env": "production",
        "issuer": "https://idp.example",
        "taxpayer_registry": "https://verification.example/v1/identity",
        "enterprise_registry": "https://registre.example/v1/verification",
        "keys_dir": tmp_path / "none",
    }
    with pytest.raises(KeystoreError):
        create_app(config)
