"""The pysaml2 identity provider of this process, configured from the settings and keys.

Signing uses the current RSA key of the key store (``IDP_KEYS_DIR``) and its certificate; the
metadata also lists the *next* key's certificate, so service providers know it before a
rotation makes it current (``docs/keys.md``). Algorithms are set explicitly: pysaml2 would
otherwise sign with SHA-1.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from idp.runtime import Runtime
from idp.saml.crypto import InProcessCryptoBackend

SERVER_KEY = "idp.saml.server"
METADATA_PATH = "/saml/metadata"
SSO_PATH = "/saml/sso"
SLO_PATH = "/saml/slo"
# Validity of an assertion: long enough to cross a slow network, short enough to be useless
# to someone who copies it later.
ASSERTION_LIFETIME_MINUTES = 5
# Allowed difference between the service provider's clock and ours (IssueInstant).
ACCEPTED_CLOCK_SKEW_SECONDS = 180


class SamlUnavailableError(RuntimeError):
    """The ``xmlsec1`` program pysaml2 needs is not installed."""


def entity_id(issuer: str) -> str:
    return f"{issuer}{METADATA_PATH}"


def build_server(runtime: Runtime) -> Server:
    settings = runtime.settings
    xmlsec_binary = shutil.which("xmlsec1")
    if xmlsec_binary is None:
        raise SamlUnavailableError(
            "The SAML identity provider needs the xmlsec1 program (Debian package xmlsec1): "
            "`python3 dev.py demo` and `python3 dev.py test` install it."
        )
    current = runtime.keystore.current("RSA")
    upcoming = runtime.keystore.next("RSA")
    keys_dir = Path(settings.keys_dir)
    issuer = settings.issuer
    config: dict[str, Any] = {
        "entityid": entity_id(issuer),
        "xmlsec_binary": xmlsec_binary,
        "key_file": str(keys_dir / f"{current.kid}.pem"),
        "cert_file": str(keys_dir / f"{current.kid}.crt"),
        "additional_cert_files": [str(keys_dir / f"{upcoming.kid}.crt")] if upcoming else [],
        "accepted_time_diff": ACCEPTED_CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,
        "metadata": {
            "local": [sp.metadata_path for sp in runtime.registry.service_providers],
        },
        "service": {
            "idp": {
                "name": "clicSÉQUR",
                "endpoints": {
                    "single_sign_on_service": [
                        (f"{issuer}{SSO_PATH}", BINDING_HTTP_REDIRECT),
                        (f"{issuer}{SSO_PATH}", BINDING_HTTP_POST),
                    ],
                    "single_logout_service": [
                        (f"{issuer}{SLO_PATH}", BINDING_HTTP_REDIRECT),
                        (f"{issuer}{SLO_PATH}", BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                # Checked per service provider (its registration), not globally.
                "want_authn_requests_signed": False,
                "sign_response": True,
                "sign_assertion": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "policy": {
                    "default": {
                        "lifetime": {"minutes": ASSERTION_LIFETIME_MINUTES},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    },
                },
            }
        },
    }
    idp_config = IdPConfig()
    idp_config.load(config)
    server = Server(config=idp_config)
    server.sec.crypto = InProcessCryptoBackend(xmlsec_binary)
    return server


def init_saml(app: Flask) -> None:
    """Built on first use: pysaml2 reads every SP's metadata, which the OIDC-only tests skip."""
    app.extensions[SERVER_KEY] = None


def saml_server() -> Server:
    server = current_app.extensions.get(SERVER_KEY)
    if server is None:
        server = build_server(cast(Runtime, current_app.extensions["idp.runtime"]))
        current_app.extensions[SERVER_KEY] = server
    return cast(Server, server)
