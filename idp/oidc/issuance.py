"""Grants (token families), the tokens issued from them, and their revocation.

authlib drives the protocol; this module decides what is issued and when it stops working.
Every refresh and every introspection re-reads the person's rights (:func:`grant_identity`):
a proxy cancelled or expired, an assignment removed or an account suspended ends the grant at
once, whatever the lifetime of the tokens already issued.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import contains_eager

from idp.accounts.models import Account, UserSession
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.claims.identity import (
    Identity,
    authorization_details,
    build_citizen_identity,
    build_identity,
    oidc_claims,
)
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.oidc.models import Grant, IssuedToken, TokenKind
from idp.ops.metrics import count_tokens_on_commit
from idp.relying_parties import STANDARD_SCOPES, OidcClient
from idp.runtime import Runtime

# Built once, on the tables rather than the mapped classes: the token endpoint's INSERTs then skip
# the ORM's bulk machinery and the statement cache lookups (most of a back-end token's cost).
_INSERT_GRANT = insert(Grant.__table__).returning(Grant.__table__.c.id)
_INSERT_TOKEN = insert(IssuedToken.__table__)


def _insert_grant_and_token() -> Any:
    """PostgreSQL: a back-end's grant and its access token in one statement (a data-modifying
    CTE), one round trip instead of two. SQLite has no INSERT in a CTE: two statements there."""
    grants, tokens = Grant.__table__, IssuedToken.__table__
    new_grant = (
        insert(grants)
        .values({name: bindparam(name) for name in _CLIENT_GRANT_COLUMNS})
        .returning(grants.c.id)
        .cte("new_grant")
    )
    token_values = [
        bindparam(f"token_{name}", type_=tokens.c[name].type) for name in _TOKEN_COLUMNS
    ]
    return insert(tokens).from_select(
        ["grant_id", *_TOKEN_COLUMNS], select(new_grant.c.id, *token_values)
    )


_CLIENT_GRANT_COLUMNS = ("client_id", "ministry_key", "scope", "offline", "created_at")
_TOKEN_COLUMNS = ("kind", "lookup", "created_at", "expires_at")
_INSERT_GRANT_AND_TOKEN = _insert_grant_and_token()


class RevokeReason:
    CODE_REPLAY = "code_replay"
    REFRESH_REUSE = "refresh_reuse"
    RIGHTS_LOST = "rights_lost"
    SESSION_ENDED = "session_ended"
    REVOKED_BY_CLIENT = "revoked_by_client"
    ACCOUNT_INACTIVE = "account_inactive"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a reason, not a password)


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class TokenSubject:
    """What authlib calls the "user" of a token request: the grant and who it speaks for."""

    grant: Grant
    account: Account | None
    identity: Identity | None

    def get_user_id(self) -> str:
        return self.identity.subject if self.identity else self.grant.client_id


def narrowed_scope(requested: str, identity: Identity | None) -> str:
    """Standard scopes as asked, rights only where the person holds them now."""
    held = identity.rights if identity else frozenset()
    return " ".join(s for s in requested.split() if s in STANDARD_SCOPES or s in held)


def grant_identity(session: DbSession, runtime: Runtime, grant: Grant) -> Identity | None:
    """The identity the grant speaks for today, or None when its basis is gone."""
    if grant.account_id is None:
        return None
    account = session.get(Account, grant.account_id)
    if account is not None and account.is_citizen:
        return build_citizen_identity(session, runtime, account, grant.ministry_key)
    if grant.enterprise_id is None:
        return None
    enterprise = session.get(Enterprise, grant.enterprise_id)
    if account is None or enterprise is None:
        return None
    return build_identity(
        session, runtime, account, enterprise, grant.ministry_key, runtime.today()
    )


@dataclass(frozen=True)
class GrantCheck:
    usable: bool
    # The person the grant speaks for today; None for a client_credentials grant.
    identity: Identity | None = None


def check_grant(
    session: DbSession, runtime: Runtime, grant: Grant, client: OidcClient | None
) -> GrantCheck:
    """Whether a grant may still be used: not revoked and, for a person, still holding a
    right the relying party needs at the enterprise it was issued for."""
    if grant.is_revoked:
        return GrantCheck(usable=False)
    if grant.account_id is None:
        return GrantCheck(usable=True)
    identity = grant_identity(session, runtime, grant)
    if identity is None or (client is not None and not holds_required_right(client, identity)):
        return GrantCheck(usable=False)
    return GrantCheck(usable=True, identity=identity)


def holds_required_right(client: OidcClient, identity: Identity) -> bool:
    """At least one of the relying party's required rights (none required: anyone)."""
    return not client.required_rights or bool(identity.rights & set(client.required_rights))


def create_user_grant(
    session: DbSession,
    runtime: Runtime,
    *,
    client_id: str,
    account_id: int,
    session_id: int,
    enterprise_id: int | None,
    ministry_key: str,
    scope: str,
    auth_time: datetime,
    acr: str,
    amr: str,
) -> Grant:
    grant = Grant(
        client_id=client_id,
        account_id=account_id,
        session_id=session_id,
        enterprise_id=enterprise_id,
        ministry_key=ministry_key,
        scope=scope,
        auth_time=auth_time,
        acr=acr,
        amr=amr,
        offline="offline_access" in scope.split(),
        created_at=runtime.clock(),
    )
    session.add(grant)
    session.flush()
    return grant


def client_grant(runtime: Runtime, client: OidcClient, scope: str) -> Grant:
    """A back-end's grant, not yet written: :func:`record_client_token` writes it with its
    token. The object describes the row; it is never in the session."""
    return Grant(
        client_id=client.client_id,
        ministry_key=client.ministry,
        scope=scope,
        offline=False,
        created_at=runtime.clock(),
    )


def record_client_token(
    session: DbSession, runtime: Runtime, grant: Grant, token: dict[str, Any]
) -> None:
    """Write a back-end's grant and its access token's jti, as plain INSERTs: nothing else in
    the request changes them, so the ORM's unit of work (most of a client_credentials token's
    cost) is left out; on PostgreSQL both rows go in one statement."""
    expires_at = grant.created_at + timedelta(seconds=int(token["expires_in"]))
    row = _token_row(grant, TokenKind.ACCESS, token.pop("_jti"), grant.created_at, expires_at)
    values = {name: getattr(grant, name) for name in _CLIENT_GRANT_COLUMNS}
    if session.get_bind().dialect.name == "postgresql":
        token_values = {f"token_{name}": row[name] for name in _TOKEN_COLUMNS}
        session.execute(_INSERT_GRANT_AND_TOKEN, {**values, **token_values})
    else:
        row["grant_id"] = session.execute(_INSERT_GRANT, values).scalar_one()
        session.execute(_INSERT_TOKEN, [row])
    count_tokens_on_commit(session, [TokenKind.ACCESS])


def revoke_grant(
    session: DbSession, runtime: Runtime, grant: Grant, reason: str, **details: Any
) -> None:
    """Revoke the grant and every token issued from it (idempotent)."""
    if grant.revoked_at is not None:
        return
    now = runtime.clock()
    grant.revoked_at = now
    grant.revoke_reason = reason
    session.execute(
        update(IssuedToken)
        .where(IssuedToken.grant_id == grant.id, IssuedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record(
        session,
        runtime.clock,
        AuditAction.OIDC_GRANT_REVOKE,
        Outcome.SUCCESS,
        subject_id=grant.account_id,
        enterprise_id=grant.enterprise_id,
        relying_party=grant.client_id,
        reason=reason,
        grant=grant.id,
        **details,
    )


def revoke_session_grants(
    session: DbSession, runtime: Runtime, session_ids: list[int]
) -> list[Grant]:
    """Revoke the grants bound to ended browser sessions (except offline_access ones)."""
    if not session_ids:
        return []
    grants = list(
        session.scalars(
            select(Grant).where(
                Grant.session_id.in_(session_ids),
                Grant.revoked_at.is_(None),
                Grant.offline.is_(False),
            )
        )
    )
    for grant in grants:
        revoke_grant(session, runtime, grant, RevokeReason.SESSION_ENDED)
    return grants


def record_tokens(
    session: DbSession, runtime: Runtime, grant: Grant, token: dict[str, Any]
) -> None:
    """Remember the access token's jti and the refresh token's hash (one INSERT, no flush)."""
    now = runtime.clock()
    rows: list[dict[str, Any]] = []
    access_jti = token.pop("_jti", None)
    if access_jti:
        expires_at = now + timedelta(seconds=int(token["expires_in"]))
        rows.append(_token_row(grant, TokenKind.ACCESS, access_jti, now, expires_at))
    refresh = token.get("refresh_token")
    if refresh:
        lifetime = timedelta(seconds=runtime.settings.oidc_refresh_token_lifetime_seconds)
        rows.append(_token_row(grant, TokenKind.REFRESH, token_hash(refresh), now, now + lifetime))
    if rows:
        session.execute(_INSERT_TOKEN, rows)
        count_tokens_on_commit(session, [row["kind"] for row in rows])


def _token_row(
    grant: Grant, kind: str, lookup: str, now: datetime, expires_at: datetime
) -> dict[str, Any]:
    return {
        "grant_id": grant.id,
        "kind": kind,
        "lookup": lookup,
        "created_at": now,
        "expires_at": expires_at,
    }


def find_token(session: DbSession, kind: str, lookup: str) -> IssuedToken | None:
    return session.scalars(
        select(IssuedToken).where(IssuedToken.kind == kind, IssuedToken.lookup == lookup)
    ).one_or_none()


@dataclass(frozen=True)
class FoundRefreshToken:
    token: IssuedToken
    # Held here for the request: the session's identity map only keeps objects someone holds.
    account: Account | None
    enterprise: Enterprise | None
    user_session: UserSession | None


def find_refresh_token_locked(session: DbSession, lookup: str) -> FoundRefreshToken | None:
    """A refresh token with its grant's row locked, and the grant's person, enterprise and
    browser session loaded, in one statement (a refresh reads all of them; five round trips
    before).

    The lock is the one revocation takes before touching a grant's tokens (grant, then
    tokens): two refreshes of one family on two workers then queue instead of deadlocking,
    and the second finds the token used. SQLite serialises writers anyway and ignores it.
    """
    found = session.execute(
        select(IssuedToken, Account, Enterprise, UserSession)
        .join(IssuedToken.grant)
        .outerjoin(Account, Account.id == Grant.account_id)
        .outerjoin(Enterprise, Enterprise.id == Grant.enterprise_id)
        .outerjoin(UserSession, UserSession.id == Grant.session_id)
        .options(contains_eager(IssuedToken.grant))
        .where(IssuedToken.kind == TokenKind.REFRESH, IssuedToken.lookup == lookup)
        .with_for_update(of=Grant)
    ).first()
    if found is None:
        return None
    # While held, session.get() of any of them (grant_identity, the ID token's sid) reads no row.
    return FoundRefreshToken(*found)


def consume_refresh_token(session: DbSession, runtime: Runtime, token: IssuedToken) -> bool:
    """Mark a refresh token used; False if another request used it first (compare-and-set)."""
    result = session.execute(
        update(IssuedToken)
        .where(IssuedToken.id == token.id, IssuedToken.used_at.is_(None))
        .values(used_at=runtime.clock())
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


# -- signed tokens ----------------------------------------------------------------------------


def access_token_claims(
    runtime: Runtime,
    client: OidcClient,
    subject: TokenSubject,
    scope: str,
    user_session: UserSession | None,
) -> tuple[dict[str, Any], str]:
    """RFC 9068 claims of an access token, and its jti."""
    now = runtime.clock()
    lifetime = runtime.settings.oidc_access_token_lifetime_seconds
    jti = secrets.token_urlsafe(24)
    claims: dict[str, Any] = {
        "iss": runtime.settings.issuer,
        "aud": client.client_id,
        "client_id": client.client_id,
        "iat": timestamp(now),
        "exp": timestamp(now) + lifetime,
        "jti": jti,
        "scope": scope,
        "sub": subject.get_user_id(),
    }
    grant = subject.grant
    if grant.auth_time is not None:
        claims["auth_time"] = timestamp(grant.auth_time)
    if grant.acr:
        claims["acr"] = grant.acr
    if grant.amr:
        claims["amr"] = grant.amr.split()
    if user_session is not None:
        claims["sid"] = user_session.sid
    if subject.identity is not None:
        details = authorization_details(subject.identity, frozenset(scope.split()))
        if details:
            claims["authorization_details"] = details
    return claims, jti


def sign(runtime: Runtime, alg: str, claims: dict[str, Any], typ: str) -> str:
    key = runtime.keystore.signing_key(alg)
    header = {"alg": alg, "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key.key, algorithms=[alg])


def id_token_claims(
    runtime: Runtime,
    client: OidcClient,
    subject: TokenSubject,
    *,
    scope: str,
    nonce: str | None,
    sid: str | None,
    at_hash: str | None,
) -> dict[str, Any]:
    now = runtime.clock()
    grant = subject.grant
    claims: dict[str, Any] = {
        "iss": runtime.settings.issuer,
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": timestamp(now),
        "exp": timestamp(now) + runtime.settings.oidc_id_token_lifetime_seconds,
    }
    if grant.auth_time is not None:
        claims["auth_time"] = timestamp(grant.auth_time)
    if nonce:
        claims["nonce"] = nonce
    if grant.acr:
        claims["acr"] = grant.acr
    if grant.amr:
        claims["amr"] = grant.amr.split()
    if sid:
        claims["sid"] = sid
    if at_hash:
        claims["at_hash"] = at_hash
    if subject.identity is not None:
        claims.update(oidc_claims(subject.identity, frozenset(scope.split())))
    return claims
