"""Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JSON Web Key Set.

The key set is published with the next key already in it: relying parties fetch it to verify
what the provider signs, and key rotation (docs/keys.md) relies on the next key being known
before it is used.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from werkzeug.wrappers import Response

from idp.claims.identity import RIGHTS_DETAILS_TYPE
from idp.oidc.acr import ACR_VALUES_SUPPORTED
from idp.oidc.claims_catalogue import claims_supported, scopes_supported
from idp.oidc.published import (
    OAUTH_DISCOVERY_PATH,
    OIDC_DISCOVERY_PATH,
    Document,
    PublishedDocuments,
)
from idp.oidc.views.common import (
    AUTHORIZE_PATH,
    END_SESSION_PATH,
    INTROSPECTION_PATH,
    JWKS_PATH,
    PAR_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    USERINFO_PATH,
    bp,
    endpoint_url,
)
from idp.runtime import Runtime

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]

# GET and HEAD of these addresses are answered by idp.oidc.published before Flask sees them. The
# routes stay for what Flask does with them (405 to other methods, OPTIONS, url_for) and serve
# the same bytes to an app called without that layer.


@bp.get(JWKS_PATH)
def jwks() -> Response:
    """RFC 7517 key set: current, next and still-published retired keys, public parts only."""
    return _as_response(_documents().jwks())


@bp.get(OIDC_DISCOVERY_PATH)
def openid_configuration() -> Response:
    return _as_response(_documents().metadata())


@bp.get(OAUTH_DISCOVERY_PATH)
def oauth_authorization_server() -> Response:
    """RFC 8414 asks for the same document at this address."""
    return _as_response(_documents().metadata())


def provider_metadata(rt: Runtime) -> dict[str, Any]:
    issuer = rt.settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": endpoint_url(issuer, AUTHORIZE_PATH),
        "token_endpoint": endpoint_url(issuer, TOKEN_PATH),
        "userinfo_endpoint": endpoint_url(issuer, USERINFO_PATH),
        "jwks_uri": endpoint_url(issuer, JWKS_PATH),
        "revocation_endpoint": endpoint_url(issuer, REVOCATION_PATH),
        "introspection_endpoint": endpoint_url(issuer, INTROSPECTION_PATH),
        "end_session_endpoint": endpoint_url(issuer, END_SESSION_PATH),
        "pushed_authorization_request_endpoint": endpoint_url(issuer, PAR_PATH),
        # Per client (require_pushed_authorization_requests in its registration), not for all.
        "require_pushed_authorization_requests": False,
        "scopes_supported": scopes_supported(rt.catalogue),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": SIGNING_ALGORITHMS,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": SIGNING_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": SIGNING_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS[:3],
        "introspection_endpoint_auth_signing_alg_values_supported": SIGNING_ALGORITHMS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims_supported(),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        # A request_uri from the pushed authorization request endpoint only: none is fetched.
        "request_uri_parameter_supported": False,
        "acr_values_supported": list(ACR_VALUES_SUPPORTED),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["fr-CA", "en-CA"],
        "claims_locales_supported": ["fr-CA", "en-CA"],
        "authorization_details_types_supported": [RIGHTS_DETAILS_TYPE],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }


def _documents() -> PublishedDocuments:
    documents: PublishedDocuments = current_app.extensions["idp.published"]
    return documents


def _as_response(document: Document) -> Response:
    response = Response(document.body, mimetype="application/json")
    for name, value in document.headers:
        response.headers[name] = value
    return response
