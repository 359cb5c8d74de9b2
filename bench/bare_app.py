"""The ceilings: a tiny Flask app served by the same gunicorn settings as the provider.

    gunicorn -c bench/gunicorn_bare_conf.py bench.bare_app:app

Each endpoint does the least a provider's endpoint of that kind must do, so that the provider's
figure can be read against what this machine, Python, Flask and gunicorn allow at all:

- ``/bare``: a small JSON document, nothing else (discovery, JWKS, refresh);
- ``/rs256`` and ``/es256``: a JWT like an access token, signed RS256 (or ES256) with the
  provider's current RSA (or EC) key, parsed once at start-up (client_credentials);
- ``/argon2``: one argon2id verification at the parameters the provider uses (OWASP: 2
  iterations, 19 MiB, 1 lane), the hash made once at start-up (a complete sign-in verifies one
  password);
- ``/saml-sign``: one SAML assertion signed in-process (RSA-SHA256, exclusive c14n, SHA-256
  digest) with the provider's own backend, ``idp.saml.crypto.InProcessCryptoBackend``, and its
  current RSA key (a SAML response).

The keys directory is ``BENCH_KEYS_DIR`` (the provider's ``IDP_KEYS_DIR`` of the same run);
argon2 parameters are the provider's settings defaults unless ``IDP_ARGON2_*`` say otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bench.saml_signing import NODE_NAME, assertion_template
from idp.config import Settings
from idp.saml.crypto import InProcessCryptoBackend

PASSWORD = "Fleuve-Erable-2026"  # noqa: S105 (the published demo password)


def current_kid(keys_dir: Path, kty: str) -> str:
    keyring = json.loads((keys_dir / "keyring.json").read_text())
    return next(k["kid"] for k in keyring["keys"] if k["kty"] == kty and k["state"] == "current")


def _access_token(key: RSAKey | ECKey, kid: str, alg: str) -> str:
    now = int(time.time())
    claims = {
        "iss": "http://127.0.0.1",
        "aud": "bench",
        "client_id": "bench",
        "sub": "bench",
        "iat": now,
        "exp": now + 600,
        "jti": secrets.token_urlsafe(24),
        "scope": "",
    }
    header = {"alg": alg, "kid": kid, "typ": "at+jwt"}
    return jwt.encode(header, claims, key, algorithms=[alg])


def create_app() -> Flask:
    keys_dir = Path(os.environ["BENCH_KEYS_DIR"])
    kid = current_kid(keys_dir, "RSA")
    key_file = str(keys_dir / f"{kid}.pem")
    rsa_key = RSAKey.import_key((keys_dir / f"{kid}.pem").read_bytes())
    ec_kid = current_kid(keys_dir, "EC")
    ec_key = ECKey.import_key((keys_dir / f"{ec_kid}.pem").read_bytes())
    defaults = Settings.model_fields
    hasher = PasswordHasher(
        time_cost=int(os.environ.get("IDP_ARGON2_TIME_COST", defaults["argon2_time_cost"].default)),
        memory_cost=int(
            os.environ.get("IDP_ARGON2_MEMORY_COST_KIB", defaults["argon2_memory_cost_kib"].default)
        ),
        parallelism=int(
            os.environ.get("IDP_ARGON2_PARALLELISM", defaults["argon2_parallelism"].default)
        ),
    )
    password_hash = hasher.hash(PASSWORD)
    xmlsec_binary = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
    saml_backend = InProcessCryptoBackend(xmlsec_binary)

    app = Flask(__name__)

    @app.get("/bare")
    def bare() -> Any:
        return jsonify(status="ok")

    @app.get("/rs256")
    def rs256() -> Any:
        token = _access_token(rsa_key, kid, "RS256")
        return jsonify({"access_token": token, "token_type": "Bearer", "expires_in": 600})

    @app.get("/es256")
    def es256() -> Any:
        token = _access_token(ec_key, ec_kid, "ES256")
        return jsonify({"access_token": token, "token_type": "Bearer", "expires_in": 600})

    @app.get("/argon2")
    def argon2() -> Any:
        return jsonify(verified=hasher.verify(password_hash, PASSWORD))

    @app.get("/saml-sign")
    def saml_sign() -> Any:
        template, ident = assertion_template()
        signed = saml_backend.sign_statement(template, NODE_NAME, key_file, ident)
        return app.response_class(signed, mimetype="application/xml")

    return app


app = create_app() if "BENCH_KEYS_DIR" in os.environ else None
