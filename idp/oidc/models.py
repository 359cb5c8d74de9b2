"""What the OpenID Connect provider remembers between requests.

A *grant* is one family of tokens: everything issued from one authorization code (or one
``client_credentials`` request) and the refresh tokens rotated from it. Revoking the grant
revokes the family at once, which is how code replay, refresh-token reuse, lost rights and
ended sessions are answered (RFC 9700 2.2.2 and 4.14). Codes and refresh tokens are random
values kept only as their SHA-256; access tokens are signed JWTs kept by their ``jti``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.db_types import UTCDateTime
from idp.extensions import db


class TokenKind:
    ACCESS = "access"
    REFRESH = "refresh"


class Grant(db.Model):  # type: ignore[name-defined]
    __tablename__ = "oidc_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    # None for client_credentials: the ministry back-end acts for itself.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    ministry_key: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(Text)
    auth_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[str | None] = mapped_column(String(64))
    # offline_access: the refresh tokens outlive the browser session (never by default).
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(32))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AuthorizationCode(db.Model):  # type: ignore[name-defined]
    __tablename__ = "oidc_authorization_codes"
    # Every authorization request checks that its nonce was not used before (authlib's
    # exists_nonce): without this index, a scan of every code ever issued.
    __table_args__ = (Index("ix_oidc_authorization_codes_client_id_nonce", "client_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("user_sessions.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    ministry_key: Mapped[str] = mapped_column(String(32))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(512))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime())
    acr: Mapped[str] = mapped_column(String(64))
    amr: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once, by a compare-and-set: of two simultaneous redemptions exactly one wins.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("oidc_grants.id"))


class IssuedToken(db.Model):  # type: ignore[name-defined]
    __tablename__ = "oidc_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("oidc_grants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    # Access token: its jti. Refresh token: SHA-256 of the value.
    lookup: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A refresh token is used once: rotation sets this, and a second use revokes the grant.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    grant: Mapped[Grant] = relationship(lazy="joined")


class UsedClientAssertion(db.Model):  # type: ignore[name-defined]
    """``jti`` values of ``private_key_jwt`` assertions already accepted (single use)."""

    __tablename__ = "oidc_used_client_assertions"

    # SHA-256 of client id and jti: the primary key makes the check-and-insert atomic.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PushedAuthorizationRequest(db.Model):  # type: ignore[name-defined]
    """An authorization request a client pushed (RFC 9126), waiting for the person's browser.

    The ``request_uri`` is kept as the SHA-256 of its random part, like codes. The first browser
    to bring it claims it (one compare-and-set UPDATE: of two simultaneous uses one wins); the
    journey's later steps (sign-in, choice, consent) carry the same ``request_uri`` and are
    accepted only from that browser, until the answer to the client deletes the row.
    """

    __tablename__ = "oidc_pushed_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    # The authorization request's parameters, one value each, as checked when pushed.
    parameters: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 60 s after the push; once claimed, the end of the journey the browser may take.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # SHA-256 of the claiming browser's identifier (its own cookie, idp/web/known_browser.py).
    browser_hash: Mapped[str | None] = mapped_column(String(64))


class LogoutNotification(db.Model):  # type: ignore[name-defined]
    """A back-channel logout to deliver (an outbox: written with the change, sent after it)."""

    __tablename__ = "oidc_logout_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    ministry_key: Mapped[str] = mapped_column(String(32))
    sid: Mapped[str] = mapped_column(String(43))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
