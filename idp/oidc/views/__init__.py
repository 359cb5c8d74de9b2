"""OpenID Connect endpoints, by group: :mod:`.discovery` (metadata and keys),
:mod:`.authorize` (the browser's sign-in to a relying party), :mod:`.pushed` (pushed
authorization requests), :mod:`.protocol` (token, UserInfo, revocation, introspection) and
:mod:`.end_session` (RP-initiated logout)."""

from idp.oidc.views import authorize, discovery, end_session, protocol, pushed
from idp.oidc.views.common import bp

__all__ = ["authorize", "bp", "discovery", "end_session", "protocol", "pushed"]
