"""Accounts and their server-side sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.db_types import UTCDateTime
from idp.enterprises.models import Enterprise
from idp.extensions import db


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class AccountRole(StrEnum):
    AUTHORIZED_REPRESENTATIVE = "authorized_representative"
    ESM = "esm"
    USER = "user"
    # Belongs to a ministry, not an enterprise: decides the enterprises' registrations.
    MINISTRY_OPERATOR = "ministry_operator"
    # An individual of clicSÉQUR – Citoyens: belongs to no enterprise and no ministry.
    CITIZEN = "citizen"
    # Staff of the identity provider itself: activates, refuses, suspends and cancels
    # enterprises; belongs to no enterprise and no ministry.
    PROVIDER_OPERATOR = "provider_operator"


# Roles held by no enterprise and no ministry.
_UNATTACHED = "('citizen', 'provider_operator')"


class Portal(StrEnum):
    """The two doors of clicSÉQUR: their accounts, pages and relying parties never mix."""

    ENTERPRISE = "enterprise"
    CITIZEN = "citizen"


class SessionStage(StrEnum):
    # The password was right; the emailed code is still to be entered.
    PENDING_CODE = "pending_code"
    AUTHENTICATED = "authenticated"


class Account(db.Model):  # type: ignore[name-defined]
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            f"(role IN {_UNATTACHED} AND enterprise_id IS NULL AND ministry_key IS NULL) OR "
            f"(role NOT IN {_UNATTACHED} AND "
            "(enterprise_id IS NOT NULL) <> (ministry_key IS NOT NULL))",
            name="belongs_to_enterprise_or_ministry",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    telephone: Mapped[str | None] = mapped_column(String(32))
    # At most 4 digits, as on the paper forms.
    telephone_extension: Mapped[str | None] = mapped_column(String(4))
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the account was suspended or cancelled (None while active).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while a temporary sign-in lock is in force, so its end can be audited.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # For ministry operators: the catalogue key of their ministry.
    ministry_key: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32), default=AccountRole.USER)

    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    @property
    def portal(self) -> Portal:
        return Portal.CITIZEN if self.role == AccountRole.CITIZEN else Portal.ENTERPRISE

    @property
    def is_citizen(self) -> bool:
        return self.role == AccountRole.CITIZEN


class UserSession(db.Model):  # type: ignore[name-defined]
    """A browser's sign-in session. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Public session identifier (OIDC `sid`), distinct from the secret token.
    sid: Mapped[str] = mapped_column(String(43), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    public_computer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    authenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Last time the emailed code was entered in this session (sign-in or a sensitive action).
    code_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    previous_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))
    amr: Mapped[str] = mapped_column(String(64), default="")
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))

    account: Mapped[Account] = relationship(lazy="joined")

    @property
    def is_authenticated(self) -> bool:
        return self.ended_at is None and self.stage == SessionStage.AUTHENTICATED


class KnownBrowser(db.Model):  # type: ignore[name-defined]
    """A browser that completed a sign-in to the account. A sign-in from any other browser is
    told to the person by email (idp/accounts/browsers.py). The browser's cookie holds a random
    identifier; only its hash is stored."""

    __tablename__ = "known_browsers"
    __table_args__ = (UniqueConstraint("account_id", "browser_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmailChange(db.Model):  # type: ignore[name-defined]
    """A new email address waiting for its owner to open the link sent there; the account
    keeps the old one (and its codes go there) until then. Both portals."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # SHA-256 of the emailed link's token: a copy of the database cannot open it.
    confirmation_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Who asked: the person, or an electronic services manager for a user of the enterprise.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(db.Model):  # type: ignore[name-defined]
    """A single-use link emailed to a person who forgot their password. Both portals.

    Only the SHA-256 of the link's token is kept: a copy of the database opens no link. Short
    lived (``password_reset_link_seconds``); used once; the other links of the account are
    voided when one is used.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship(lazy="joined")
