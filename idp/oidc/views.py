"""Public OpenID Connect endpoints.

The JSON Web Key Set is published first: relying parties fetch it to verify what the provider
signs, and key rotation (docs/keys.md) relies on the next key being there before it is used.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from idp.web.context import runtime

bp = Blueprint("oidc", __name__)

# Long enough to spare the provider, short enough that a new `next` key is seen well before
# the rotation that makes it current (docs/keys.md).
JWKS_MAX_AGE_SECONDS = 3600


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """RFC 7517 key set: current, next and still-published retired keys, public parts only."""
    response = jsonify(runtime().keystore.jwks())
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
