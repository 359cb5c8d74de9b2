"""Relying parties as data: one TOML file per ministry site in ``IDP_RELYING_PARTIES_DIR``.

Every file is validated when the provider starts and by ``idp clients check``; unknown keys,
unknown ministries or rights, unsafe redirect URIs and incoherent authentication settings stop
the start with the file and the field named. ``docs/relying-parties.md`` is the reference a
ministry reads to integrate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from idp.api.scopes import check_management_scope
from idp.ministries.catalogue import Catalogue, SentenceNamed
from idp.net import is_loopback_host

# Scopes that are not rights of the catalogue.
STANDARD_SCOPES = frozenset({"openid", "profile", "email", "enterprise", "offline_access"})
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
_CLIENT_ID = r"^[a-z0-9][a-z0-9_-]{2,63}$"
_SHA256_HEX = r"^[0-9a-f]{64}$"


def _check_redirect_uri(uri: str) -> str:
    """Absolute, HTTPS (plain HTTP only on loopback), no fragment, no user info (RFC 9700 2.1)."""
    parts = urlsplit(uri)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(f"{uri!r} must be an absolute https URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{uri!r}: plain http is only allowed on a loopback address")
    if parts.fragment or "#" in uri:
        raise ValueError(f"{uri!r} must not have a fragment")
    if parts.username or parts.password:
        raise ValueError(f"{uri!r} must not carry user information")
    if "*" in uri:
        raise ValueError(f"{uri!r}: wildcards are not allowed; URIs match exactly")
    return uri


RedirectUri = Annotated[str, Field(min_length=8, max_length=2000)]


class OidcClient(SentenceNamed):
    """An OpenID Connect relying party (a ministry site or back-end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["oidc"]
    client_id: str = Field(pattern=_CLIENT_ID)
    ministry: str
    audience: Literal["enterprise", "citizen"] = "enterprise"
    redirect_uris: tuple[RedirectUri, ...] = ()
    post_logout_redirect_uris: tuple[RedirectUri, ...] = ()
    backchannel_logout_uri: str | None = None
    # Where security events about the people this site knows are pushed (RFC 8935; the
    # events are RFC 8417 SETs, docs/security-events.md).
    security_events_endpoint: str | None = None
    token_endpoint_auth_method: Literal[
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none"
    ]
    client_secret_sha256: str | None = Field(default=None, pattern=_SHA256_HEX)
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    # S105: an algorithm name, not a secret.
    id_token_signed_response_alg: Literal["RS256", "ES256", "PS256"] = "RS256"  # noqa: S105
    grant_types: tuple[
        Literal["authorization_code", "refresh_token", "client_credentials"], ...
    ] = (
        "authorization_code",
        "refresh_token",
    )
    scopes: tuple[str, ...] = ("openid",)
    # What the back-end may ask for with client_credentials to call the Management API
    # (docs/management-api.md): `management:<its own ministry>:<resource>` only.
    management_scopes: tuple[str, ...] = ()
    required_rights: tuple[str, ...] = ()
    # A citizen service that needs the emailed code (not a security question), or any service
    # that needs a passkey (phishing-resistant), says so here.
    minimum_acr: Literal["urn:clicsequr:acr:mfa", "urn:clicsequr:acr:phr"] | None = None
    # PKCE (S256) in every authorization request (RFC 9700 2.1.1). `false` only for a legacy
    # confidential site that cannot send it: its codes are then open to injection by anyone
    # who can put a stolen code in the site's callback (docs/relying-parties.md). A TOML
    # boolean only: a security switch is not guessed from "no" or 0.
    require_pkce: StrictBool = True
    # Every authorization request pushed to /oidc/par first (RFC 9126 5): a plain request in the
    # browser's address bar is refused, so its parameters are never seen or changed on the way.
    require_pushed_authorization_requests: StrictBool = False

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _safe_uris(cls, uris: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_redirect_uri(uri) for uri in uris)

    @field_validator("backchannel_logout_uri", "security_events_endpoint", "jwks_uri")
    @classmethod
    def _safe_uri(cls, uri: str | None) -> str | None:
        return _check_redirect_uri(uri) if uri is not None else None

    @model_validator(mode="after")
    def _coherent(self) -> OidcClient:
        method = self.token_endpoint_auth_method
        if method in SECRET_METHODS and not self.client_secret_sha256:
            raise ValueError(f"{method} needs client_secret_sha256 (see `idp clients secret`)")
        if method not in SECRET_METHODS and self.client_secret_sha256:
            raise ValueError(
                f"client_secret_sha256 is only for {', '.join(sorted(SECRET_METHODS))}"
            )
        keys = [k for k in (self.jwks, self.jwks_uri) if k]
        if method == "private_key_jwt" and len(keys) != 1:
            raise ValueError("private_key_jwt needs exactly one of jwks, jwks_uri, jwks_file")
        if method == "none" and not self.require_pkce:
            raise ValueError("a public client (method none) cannot set require_pkce = false")
        if method == "none" and "client_credentials" in self.grant_types:
            raise ValueError("a public client (method none) cannot use client_credentials")
        if "authorization_code" in self.grant_types and not self.redirect_uris:
            raise ValueError("authorization_code needs at least one redirect URI")
        if "refresh_token" in self.grant_types and "authorization_code" not in self.grant_types:
            raise ValueError("refresh_token comes with authorization_code")
        if "openid" not in self.scopes and "authorization_code" in self.grant_types:
            raise ValueError("scopes must include openid")
        if self.management_scopes and "client_credentials" not in self.grant_types:
            raise ValueError("management_scopes come with the client_credentials grant")
        for scope in self.management_scopes:
            check_management_scope(scope, self.ministry)
        return self

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"  # noqa: S105 (a method name)

    def check_secret(self, secret: str) -> bool:
        """Constant-time comparison of the secret's SHA-256 with the registered one.

        Secrets are 256-bit random values made by the provider, so a fast hash is safe here and
        a password hasher would only cap the token endpoint at tens of requests per second.
        """
        if not self.client_secret_sha256:
            return False
        digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, self.client_secret_sha256)


SAML_METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
BINDING_HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


class SpEndpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    binding: str
    location: str
    response_location: str | None = None
    # AssertionConsumerService only: its index attribute and isDefault flag.
    index: int | None = None
    is_default: bool = False


class SamlServiceProvider(SentenceNamed):
    """A SAML 2.0 service provider; its endpoints and certificates come from its metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["saml"]
    entity_id: str = Field(min_length=1, max_length=1024)
    ministry: str
    audience: Literal["enterprise", "citizen"] = "enterprise"
    metadata_file: str
    required_rights: tuple[str, ...] = ()
    # Signed AuthnRequests and LogoutRequests (Redirect and POST signatures) are required.
    authn_requests_signed: bool = True
    # Assertions encrypted to the encryption certificate of the SP's metadata.
    encrypt_assertions: bool = False
    # Read from the metadata file when the registry is loaded.
    metadata_xml: str = ""
    metadata_path: str = ""
    assertion_consumer_services: tuple[SpEndpoint, ...] = ()
    single_logout_services: tuple[SpEndpoint, ...] = ()
    signing_certificates: tuple[str, ...] = ()
    encryption_certificates: tuple[str, ...] = ()

    @property
    def client_id(self) -> str:
        # What the activity history and shared code call the relying party.
        return self.entity_id

    def acs_for(self, url: str | None, index: int | None = None) -> SpEndpoint | None:
        """The HTTP-POST assertion consumer service named by URL or index, or the first one."""
        posts = [e for e in self.assertion_consumer_services if e.binding == BINDING_HTTP_POST]
        if url is not None:
            return next((e for e in posts if e.location == url), None)
        if index is not None:
            # The metadata's own index attribute, not a position in the list.
            return next((e for e in posts if e.index == index), None)
        default = next((e for e in posts if e.is_default), None)
        return default or (posts[0] if posts else None)

    def slo_endpoint(self) -> SpEndpoint | None:
        """Where this SP takes LogoutRequests and LogoutResponses in the browser."""
        for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
            for endpoint in self.single_logout_services:
                if endpoint.binding == binding:
                    return endpoint
        return None


class RegistryError(RuntimeError):
    """The relying-parties directory cannot be used; the message lists every problem."""


class Registry:
    """The relying parties of this process: OIDC clients by client id, SAML SPs by entity id."""

    def __init__(
        self,
        clients: dict[str, OidcClient],
        service_providers: dict[str, SamlServiceProvider] | None = None,
    ) -> None:
        self._clients = clients
        self._service_providers = service_providers or {}

    def client(self, client_id: str) -> OidcClient | None:
        return self._clients.get(client_id)

    def service_provider(self, entity_id: str) -> SamlServiceProvider | None:
        return self._service_providers.get(entity_id)

    @property
    def clients(self) -> list[OidcClient]:
        return sorted(self._clients.values(), key=lambda c: c.client_id)

    @property
    def service_providers(self) -> list[SamlServiceProvider]:
        return sorted(self._service_providers.values(), key=lambda sp: sp.entity_id)


def load_registry(directory: Path, catalogue: Catalogue) -> Registry:
    """Read and check every ``*.toml`` file of the directory; all problems are reported at once."""
    clients: dict[str, OidcClient] = {}
    providers: dict[str, SamlServiceProvider] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.toml")) if directory.exists() else []:
        try:
            party = _load_file(path, catalogue)
        except (ValueError, OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{path.name}: {_describe(exc)}")
            continue
        if isinstance(party, SamlServiceProvider):
            if party.entity_id in providers:
                problems.append(f"{path.name}: entity_id {party.entity_id!r} is used twice")
                continue
            providers[party.entity_id] = party
            continue
        if party.client_id in clients:
            problems.append(f"{path.name}: client_id {party.client_id!r} is used twice")
            continue
        clients[party.client_id] = party
    if problems:
        raise RegistryError("Relying parties refused:\n  " + "\n  ".join(problems))
    return Registry(clients, providers)


def _load_file(path: Path, catalogue: Catalogue) -> OidcClient | SamlServiceProvider:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("kind") == "saml":
        return _load_service_provider(path, data, catalogue)
    if data.get("kind") != "oidc":
        raise ValueError(f"kind must be 'oidc' or 'saml' (got {data.get('kind')!r})")
    if "jwks_file" in data:
        # A key set kept beside the file (the demo sites write theirs there).
        if "jwks" in data or "jwks_uri" in data:
            raise ValueError("give only one of jwks, jwks_uri, jwks_file")
        jwks_path = (path.parent / data.pop("jwks_file")).resolve()
        if path.parent.resolve() not in jwks_path.parents:
            raise ValueError("jwks_file must be inside the relying-parties directory")
        data["jwks"] = json.loads(jwks_path.read_text(encoding="utf-8"))
    client = OidcClient.model_validate(data)
    _check_against_catalogue(client, catalogue)
    return client


def _load_service_provider(
    path: Path, data: dict[str, Any], catalogue: Catalogue
) -> SamlServiceProvider:
    from idp.saml.metadata_reader import read_sp_metadata

    for derived in ("metadata_xml", "metadata_path", "assertion_consumer_services"):
        if derived in data:
            raise ValueError(f"{derived} is read from the metadata file, not given")
    metadata_path = (path.parent / str(data.get("metadata_file", ""))).resolve()
    if path.parent.resolve() not in metadata_path.parents:
        raise ValueError("metadata_file must be inside the relying-parties directory")
    provider = SamlServiceProvider.model_validate(data)
    read = read_sp_metadata(metadata_path.read_bytes(), provider.entity_id)
    provider = provider.model_copy(
        update={
            "metadata_xml": read.xml,
            "metadata_path": str(metadata_path),
            "assertion_consumer_services": read.assertion_consumer_services,
            "single_logout_services": read.single_logout_services,
            "signing_certificates": read.signing_certificates,
            "encryption_certificates": read.encryption_certificates,
        }
    )
    if not provider.acs_for(None):
        raise ValueError("the metadata has no HTTP-POST AssertionConsumerService")
    if provider.authn_requests_signed and not provider.signing_certificates:
        raise ValueError("authn_requests_signed needs a signing certificate in the metadata")
    if provider.encrypt_assertions and not provider.encryption_certificates:
        raise ValueError("encrypt_assertions needs an encryption certificate in the metadata")
    _check_against_catalogue(provider, catalogue)
    return provider


def _check_against_catalogue(
    client: OidcClient | SamlServiceProvider, catalogue: Catalogue
) -> None:
    ministry = catalogue.ministry(client.ministry)
    if ministry is None:
        raise ValueError(f"ministry {client.ministry!r} is not in the catalogue")
    scopes = client.scopes if isinstance(client, OidcClient) else ()
    unknown_scopes = set(scopes) - STANDARD_SCOPES - ministry.right_ids
    if unknown_scopes:
        raise ValueError(
            f"scopes {sorted(unknown_scopes)} are neither standard nor rights of {ministry.key}"
        )
    unknown_rights = set(client.required_rights) - ministry.right_ids
    if unknown_rights:
        raise ValueError(
            f"required_rights {sorted(unknown_rights)} are not rights of {ministry.key}"
        )
    rights_asked = set(scopes) & ministry.right_ids
    if client.audience == "citizen" and (
        client.required_rights or rights_asked or "enterprise" in scopes
    ):
        raise ValueError("a citizen service asks for no enterprise scope and no rights")


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
    return str(exc)


def new_client_secret() -> tuple[str, str]:
    """A 256-bit random secret and the SHA-256 to register; the secret is shown once."""
    secret = secrets.token_urlsafe(32)
    return secret, hashlib.sha256(secret.encode("utf-8")).hexdigest()
