"""`idp inspect` on JWTs: genuine tokens explained, forged, altered, expired and refused ones
named for what they are."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from idp import create_app
from idp.inspect import Kind, ProblemCode, SignatureStatus, inspect_token, render_text
from idp.keystore import KeyState, rotate_keys
from idp.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT
from idp.oidc.issuance import sign, timestamp
from tests.inspect.conftest import (
    SUBJECT,
    access_token_claims,
    b64url,
    decode_part,
    encode_part,
    id_token,
    id_token_claims,
)


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["inspect", *args], input=stdin)


def first_line(result) -> str:
    return result.output.splitlines()[0]


def test_valid_id_token_is_explained(app, runtime):
    token = id_token(runtime)
    kid = runtime.keystore.current("RSA").kid

    result = run(app, token)

    assert result.exit_code == 0, result.output
    assert first_line(result).startswith(
        "VALIDE — jeton d'identité (ID token) : signature vérifiée"
    )
    assert f"avec la clé courante {kid}" in first_line(result)
    assert "expire dans 10 min" in first_line(result)
    assert f"sub : {SUBJECT}" in result.output
    assert "un mot de passe, puis un code à usage unique transmis par courriel" in result.output
    assert "procuration externe" in result.output
    assert "Problèmes" not in result.output


def test_a_passkey_sign_in_is_explained(app, runtime):
    token = id_token(runtime, acr="urn:clicsequr:acr:phr", amr=["pwd", "hwk", "user", "mfa"])

    result = run(app, token)

    assert result.exit_code == 0, result.output
    assert "résistante à l'hameçonnage" in result.output
    assert "hwk (clé d'accès" in result.output
    assert "user (la personne s'est identifiée à sa clé" in result.output


def test_an_unknown_acr_names_the_ones_offered(app, runtime):
    result = run(app, id_token(runtime, acr="urn:example:acr:gold"), "--lang", "en")

    assert "Unknown authentication level" in result.output
    assert "urn:clicsequr:acr:phr, urn:clicsequr:acr:mfa, urn:clicsequr:acr:kba" in result.output


def test_each_claim_of_the_provider_is_known(app, runtime):
    report = inspect_token(id_token(runtime), runtime.keystore, runtime.clock())

    claims = report.sections[-1].items
    assert [item.name for item in claims] == list(id_token_claims(runtime))
    assert all(item.known for item in claims)
    enterprise = next(item for item in claims if item.name == "enterprise")
    assert [child.name for child in enterprise.children] == ["neq", "name"]
    exp = next(item for item in claims if item.name == "exp")
    assert exp.display == f"{exp.value} (2026-11-22 14:10:00 UTC)"


def test_unknown_claims_are_listed_as_such(app, runtime):
    report = inspect_token(id_token(runtime, is_admin=True), runtime.keystore, runtime.clock())

    unknown = [item for item in report.sections[-1].items if not item.known]
    assert [item.name for item in unknown] == ["is_admin"]
    assert report.valid
    assert "Revendication inconnue" in render_text(report, "fr")


def test_access_token_with_authorization_details(app, runtime):
    token = sign(runtime, "PS256", access_token_claims(runtime), "at+jwt")

    report = inspect_token(token, runtime.keystore, runtime.clock())

    assert report.kind is Kind.ACCESS_TOKEN
    assert report.valid, report.problems
    details = next(i for i in report.sections[-1].items if i.name == "authorization_details")
    entry = details.children[0]
    assert {child.name for child in entry.children} >= {"ministry", "source", "proxy_id", "agent"}
    source = next(child for child in entry.children if child.name == "source")
    assert "procuration externe" in source.explanation.fr
    assert all(child.known for child in entry.children)


def test_logout_token_in_es256(app, runtime):
    now = timestamp(runtime.clock())
    claims = {
        "iss": runtime.settings.issuer,
        "sub": SUBJECT,
        "aud": "iqea",
        "iat": now,
        "exp": now + 120,
        "jti": "j-1",
        "sid": "s-8f2c1d",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    token = sign(runtime, "ES256", claims, "logout+jwt")

    result = run(app, token, "--lang", "en")

    assert result.exit_code == 0, result.output
    assert first_line(result).startswith("VALID — logout token: signature verified (ES256)")
    assert "Back-channel logout event" in result.output


def test_forged_token_signed_by_another_key_with_the_same_kid(app, runtime):
    kid = runtime.keystore.current("RSA").kid
    impostor = RSAKey.generate_key(2048, private=True)
    token = jwt.encode(
        {"alg": "RS256", "kid": kid, "typ": "JWT"},
        id_token_claims(runtime),
        impostor,
        algorithms=["RS256"],
    )

    result = run(app, token)

    assert result.exit_code == 1
    assert first_line(result).startswith(
        f"INVALIDE — jeton d'identité (ID token) : la signature ne se vérifie pas avec la clé {kid}"
    )
    report = inspect_token(token, runtime.keystore, runtime.clock())
    assert [p.code for p in report.problems] == [ProblemCode.BAD_SIGNATURE]
    assert report.signatures[0].status is SignatureStatus.INVALID


def test_altered_payload(app, runtime):
    header, payload, signature = id_token(runtime).split(".")
    claims = decode_part(payload)
    claims["rights"] = ["melccfp.iqea.operator"]
    altered = ".".join([header, encode_part(claims), signature])

    result = run(app, altered)

    assert result.exit_code == 1
    assert "modifié après sa signature" in first_line(result)
    # The forged content is still shown: a tester wants to see what it claims.
    assert "melccfp.iqea.operator" in result.output


def test_expired_token(app, runtime, clock):
    token = id_token(runtime)
    clock.advance(minutes=13)

    result = run(app, token)

    assert result.exit_code == 1
    assert first_line(result).startswith(
        "INVALIDE — jeton d'identité (ID token) : expiré depuis 3 min (exp : "
    )
    english = run(app, token, "--lang", "en")
    assert first_line(english).startswith("INVALID — ID token: expired 3 min ago (exp: ")


def test_token_issued_in_the_future(app, runtime, clock):
    token = id_token(runtime)
    clock.advance(minutes=-5)

    report = inspect_token(token, runtime.keystore, runtime.clock())

    assert ProblemCode.ISSUED_IN_FUTURE in {p.code for p in report.problems}


def test_alg_none_refused(app, runtime):
    kid = runtime.keystore.current("RSA").kid
    header = encode_part({"alg": "none", "kid": kid, "typ": "JWT"})
    token = f"{header}.{encode_part(id_token_claims(runtime))}."

    result = run(app, token)

    assert result.exit_code == 1
    assert "algorithme none refusé" in first_line(result)
    report = inspect_token(token, runtime.keystore, runtime.clock())
    assert report.signatures[0].status is SignatureStatus.REFUSED


def test_hs256_with_the_public_key_as_secret_refused(app, runtime):
    entry = runtime.keystore.current("RSA")
    secret = entry.key.as_pem(private=False)
    signing_input = (
        f"{encode_part({'alg': 'HS256', 'kid': entry.kid, 'typ': 'JWT'})}."
        f"{encode_part(id_token_claims(runtime))}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(mac)}"

    result = run(app, token)

    assert result.exit_code == 1
    assert "algorithme HS256 refusé" in first_line(result)
    assert "confusion d'algorithme" in result.output


def test_unknown_kid(app, runtime):
    stranger = RSAKey.generate_key(2048, private=True)
    token = jwt.encode(
        {"alg": "RS256", "kid": "no-such-key", "typ": "JWT"},
        id_token_claims(runtime),
        stranger,
        algorithms=["RS256"],
    )

    result = run(app, token, "--lang", "en")

    assert result.exit_code == 1
    assert first_line(result).startswith("INVALID — ID token: no published key has kid no-such-key")


def test_algorithm_that_does_not_fit_the_key(app, runtime):
    rsa_kid = runtime.keystore.current("RSA").kid
    token = jwt.encode(
        {"alg": "ES256", "kid": rsa_kid, "typ": "JWT"},
        id_token_claims(runtime),
        ECKey.generate_key("P-256", private=True),
        algorithms=["ES256"],
    )

    report = inspect_token(token, runtime.keystore, runtime.clock())

    assert [p.code for p in report.problems] == [ProblemCode.KEY_TYPE_MISMATCH]


def test_wrong_audience_and_issuer(app, runtime):
    token = id_token(runtime, iss="https://evil.example")

    report = inspect_token(
        token, runtime.keystore, runtime.clock(), issuer=runtime.settings.issuer, audience="amf"
    )

    codes = {p.code for p in report.problems}
    assert codes == {ProblemCode.WRONG_ISSUER, ProblemCode.WRONG_AUDIENCE}
    result = run(app, id_token(runtime), "--audience", "amf-portal")
    assert result.exit_code == 1
    assert "destinataire inattendu : aud vaut iqea, et non amf-portal" in first_line(result)


def test_unexpected_type(app, runtime):
    token = sign(runtime, "RS256", id_token_claims(runtime), "secevent+jwt")

    report = inspect_token(token, runtime.keystore, runtime.clock())

    assert report.kind is Kind.OTHER_JWT
    assert [p.code for p in report.problems] == [ProblemCode.UNEXPECTED_TYPE]


@pytest.mark.parametrize("dash", [False, True])
def test_token_read_from_standard_input(app, runtime, dash):
    args = ["-"] if dash else []

    result = run(app, *args, stdin=id_token(runtime) + "\n")

    assert result.exit_code == 0, result.output
    assert first_line(result).startswith("VALIDE — jeton d'identité")


def test_json_output(app, runtime, clock):
    token = id_token(runtime)
    clock.advance(minutes=11)

    result = run(app, token, "--json", "--lang", "en")

    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["valid"] is False
    assert data["kind"] == "id_token"
    assert [p["code"] for p in data["problems"]] == ["expired"]
    assert data["signatures"][0]["status"] == "valid"
    assert data["signatures"][0]["key"]["state"] == "current"
    assert data["headline"].startswith("INVALID — ID token: expired 1 min ago")


def test_garbage_is_unreadable(app):
    result = run(app, "not a token at all")

    assert result.exit_code == 1
    assert first_line(result).startswith("INVALIDE — contenu illisible : ni un JWT")


def test_token_of_a_retired_but_published_key_is_valid(app_config, clock, tmp_path):
    keys_dir = tmp_path / "own-keys"
    before = create_app({**app_config, "keys_dir": keys_dir}, clock=clock)
    old_runtime = before.extensions["idp.runtime"]
    old_kid = old_runtime.keystore.current("RSA").kid
    with before.app_context():
        token = id_token(old_runtime)
    rotate_keys(keys_dir, clock, old_runtime.settings.issuer, timedelta(days=1), "RSA")
    clock.advance(minutes=1)
    after = create_app({**app_config, "keys_dir": keys_dir}, clock=clock)
    assert after.extensions["idp.runtime"].keystore.current("RSA").kid != old_kid

    result = after.test_cli_runner().invoke(args=["inspect", token])

    assert result.exit_code == 0, result.output
    assert f"avec la clé retirée {old_kid}" in first_line(result)
    assert "clé retirée, encore publiée" in result.output
    report = inspect_token(token, after.extensions["idp.runtime"].keystore, clock())
    assert report.signatures[0].key is not None
    assert report.signatures[0].key.state is KeyState.RETIRED


def test_nothing_to_inspect_is_a_usage_error(app):
    result = run(app, stdin="  \n")

    assert result.exit_code == 2
    assert "Nothing to inspect" in result.output
