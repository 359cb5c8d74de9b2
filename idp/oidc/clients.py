"""The registered relying parties as authlib sees clients (``ClientMixin``)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.util import scope_to_list

from idp.relying_parties import OidcClient


class RegisteredClient(ClientMixin):
    """An :class:`OidcClient` registration with the checks authlib asks of a client."""

    def __init__(self, registration: OidcClient) -> None:
        self.registration = registration

    @property
    def client_id(self) -> str:
        return self.registration.client_id

    @property
    def id_token_signed_response_alg(self) -> str:
        return self.registration.id_token_signed_response_alg

    @property
    def client_metadata(self) -> dict[str, Any]:
        # Read by authlib's RP-initiated logout endpoint.
        return {"post_logout_redirect_uris": list(self.registration.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.registration.client_id

    def get_default_redirect_uri(self) -> None:
        # OpenID Connect makes redirect_uri required: no default is ever assumed.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.registration.scopes)
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison (RFC 9700 4.1.3): no prefix, case folding or normalisation.
        return redirect_uri in self.registration.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.registration.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # One method per client, at every endpoint (token, revocation, introspection).
        return method == self.registration.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.registration.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.registration.grant_types
