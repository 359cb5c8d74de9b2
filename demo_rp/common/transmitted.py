"""The page « Ce que le fournisseur d'identité nous a transmis »: the tokens, checked again.

The ID token and the access token kept in the session are inspected by ``idp.inspect`` (the
provider's own explanation of its tokens) as they are *now*: signature against the keys the
provider publishes at its ``jwks_uri``, issuer, audience (this site's client id) and dates
against the site's clock. The UserInfo answer is JSON, not signed: its claims are explained
with the same sentences as the tokens' claims.

``idp.inspect`` verifies with the provider's :class:`~idp.keystore.KeyStore`, which a relying
party does not have: :func:`provider_keystore` builds one, read-only and public keys only, from
the provider's JWKS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from demo_rp.common import oidc
from demo_rp.common.i18n import texts
from idp.inspect import (
    Item,
    Problem,
    ProblemCode,
    Report,
    SignatureCheck,
    Text,
    headline,
    inspect_jwt,
)
from idp.inspect.claims import explain_claim, explain_claims, pretty_json
from idp.inspect.render import STATUS_LABELS
from idp.inspect.timing import format_moment
from idp.keystore import KeyEntry, KeyState, KeyStore, SigningKey

# -- the provider's keys, as a relying party knows them ----------------------------------------


def provider_keystore(jwks: Any, now: datetime) -> KeyStore:
    """The keys of the provider's JWKS as the :class:`KeyStore` that ``idp.inspect`` reads.

    Only what ``idp.inspect`` uses is meaningful: ``find(kid)``, ``published()``, ``entries``
    and each entry's ``kid``, ``kty``, ``key`` and ``state``. The keys are public: nothing can
    be signed with this store.

    A JWKS does not say which key is current, next or retired: every key is entered as
    :attr:`KeyState.PUBLISHED`, and the report says « published key ».
    """
    entries = []
    published = jwks.get("keys") if isinstance(jwks, dict) else None
    for jwk in published if isinstance(published, list) else []:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        key: SigningKey
        try:
            if jwk.get("kty") == "RSA":
                key = RSAKey.import_key(jwk)
            elif jwk.get("kty") == "EC":
                key = ECKey.import_key(jwk)
            else:
                continue  # the provider signs with RSA and EC keys only
        except (JoseError, ValueError, TypeError):
            continue
        kid = jwk.get("kid") or key.thumbprint()
        # created_at is not published; idp.inspect does not read it.
        entries.append(KeyEntry(str(kid), key.key_type, KeyState.PUBLISHED, now, key))
    # No retired entry: the clock and the retention are never consulted.
    return KeyStore(entries, lambda: now, timedelta(0))


class KeysUnavailableError(RuntimeError):
    """The provider's discovery document or JWKS could not be read."""


def fetch_provider_keystore(kids: Iterable[str], now: datetime) -> KeyStore:
    """The provider's published keys (authlib's cached copy), read again when a token names a
    key the cached copy lacks (a rotation since it was read)."""
    try:
        oidc.metadata()  # the discovery document, whose issuer is checked
        jwks = oidc.client().fetch_jwk_set()
        keystore = provider_keystore(jwks, now)
        if any(keystore.find(kid) is None for kid in kids):
            keystore = provider_keystore(oidc.client().fetch_jwk_set(force=True), now)
    except (oidc.ProviderError, requests.RequestException, RuntimeError, ValueError) as exc:
        raise KeysUnavailableError(str(exc)) from exc
    return keystore


def _kid(token: str | None) -> str | None:
    if not token or token.count(".") != 2:
        return None
    header = oidc.decode_unverified(token).header
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


# -- what the page shows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A line of a claims table: an item of a report, and where it sits (``enterprise.neq``)."""

    path: str
    item: Item
    depth: int

    @property
    def value(self) -> str:
        if self.item.children:
            return ""  # the rows below carry the values
        if self.item.display:
            return self.item.display
        return shown_value(self.item.value)


def shown_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(entry, str) for entry in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False)


def rows(items: Iterable[Item], prefix: str = "", depth: int = 0) -> Iterator[Row]:
    for item in items:
        if not prefix:
            path = item.name
        elif item.name.startswith("["):
            path = f"{prefix}{item.name}"
        else:
            path = f"{prefix}.{item.name}"
        yield Row(path, item, depth)
        yield from rows(item.children, path, depth + 1)


@dataclass(frozen=True)
class Table:
    title: Text
    rows: list[Row]


@dataclass(frozen=True)
class TokenSection:
    """A JWT kept in the session and its inspection (None: nothing was received)."""

    anchor: str
    title: str  # a text key
    description: str  # a text key
    raw: str | None
    report: Report | None
    # False when the provider's keys could not be read: the signature is not checked.
    keys_available: bool = True
    kind: str = "jwt"

    def verdict(self, lang: str) -> str | None:
        if self.report is None or not self.keys_available:
            return None
        return headline(self.report, lang)

    @property
    def valid(self) -> bool:
        return self.report is not None and self.keys_available and self.report.valid

    @property
    def problems(self) -> list[Problem]:
        if self.report is None:
            return []
        if self.keys_available:
            return self.report.problems
        # Without the provider's keys every kid looks unknown: that says nothing of the token.
        return [p for p in self.report.problems if p.code is not ProblemCode.UNKNOWN_KEY]

    @property
    def signatures(self) -> list[SignatureCheck]:
        return self.report.signatures if self.report is not None and self.keys_available else []

    @property
    def tables(self) -> list[Table]:
        if self.report is None:
            return []
        return [Table(s.title, list(rows(s.items))) for s in self.report.sections if s.items]


@dataclass(frozen=True)
class JsonSection:
    """An answer in plain JSON (not signed), its claims explained."""

    anchor: str
    title: str  # a text key
    description: str  # a text key
    json: str | None
    tables: list[Table] = field(default_factory=list)
    unsigned_note: str | None = None  # a text key
    kind: str = "json"


def _text(key: str) -> Text:
    """One of the site's texts as an ``idp.inspect`` Text (French, English)."""
    french, english = texts()[key]
    return Text(french, english)


def _inspect(
    raw: str | None, keystore: KeyStore, now: datetime, issuer: str, audience: str
) -> Report | None:
    if not raw:
        return None
    return inspect_jwt(raw, keystore, now, issuer=issuer, audience=audience)


def sections(
    auth: dict[str, Any], now: datetime, issuer: str, audience: str
) -> list[TokenSection | JsonSection]:
    """What the provider sent for this session, in the order it was received, checked now."""
    id_token, access_token = auth.get("id_token"), auth.get("access_token")
    kids = [kid for kid in (_kid(id_token), _kid(access_token)) if kid]
    try:
        keystore = fetch_provider_keystore(kids, now)
        keys_available = True
    except KeysUnavailableError:
        keystore, keys_available = provider_keystore({}, now), False
    userinfo = auth.get("userinfo")
    # Rights come only to enterprise services: a citizen service's token response has no
    # authorization_details (the site keeps an empty list), so the page does not show any.
    details = auth.get("authorization_details")
    token_response: dict[str, Any] = {"scope": auth.get("scope")}
    response_items = [explain_claim("scope", token_response["scope"])]
    if details:
        token_response["authorization_details"] = details
        response_items.append(explain_claim("authorization_details", details))
    token_response["expires_at"] = auth.get("expires_at")
    response_items.append(
        Item("expires_at", token_response["expires_at"], _text("transmitted_expires_at"))
    )
    return [
        TokenSection(
            "jeton-identite",
            "transmitted_id_token",
            "transmitted_id_token_text",
            id_token or None,
            _inspect(id_token, keystore, now, issuer, audience),
            keys_available,
        ),
        TokenSection(
            "jeton-acces",
            "transmitted_access_token",
            "transmitted_access_token_text",
            access_token or None,
            _inspect(access_token, keystore, now, issuer, audience),
            keys_available,
        ),
        JsonSection(
            "userinfo",
            "transmitted_userinfo",
            "transmitted_userinfo_text",
            pretty_json(userinfo) if userinfo else None,
            [Table(_text("transmitted_userinfo_claims"), list(rows(explain_claims(userinfo))))]
            if isinstance(userinfo, dict) and userinfo
            else [],
            "transmitted_userinfo_unsigned",
        ),
        JsonSection(
            "reponse-jeton",
            "transmitted_token_response",
            "transmitted_token_response_text",
            pretty_json(token_response),
            [Table(_text("transmitted_token_response_claims"), list(rows(response_items)))],
        ),
    ]


def page(auth: dict[str, Any], now: datetime, *, issuer: str, audience: str) -> dict[str, Any]:
    """The template's context: the sections, the moment of the checks, and helpers."""
    return {
        "sections": sections(auth, now, issuer, audience),
        "checked_at": format_moment(now),
        "moment": format_moment,
        "status_labels": STATUS_LABELS,
    }
