"""Passkeys registered to accounts, and the challenges of ceremonies under way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class Passkey(db.Model):  # type: ignore[name-defined]
    """A WebAuthn credential: its public key proves the sign-ins; nothing secret is stored."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The credential id, base64url (what the browser sends back with each assertion).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The authenticator's signature counter: a value that does not grow betrays a clone.
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    # Synced to the person's other devices (a password manager, a platform account).
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasskeyChallenge(db.Model):  # type: ignore[name-defined]
    """A ceremony's challenge, used once: kept here (not in the browser's signed cookie, which
    an old copy could replay) until the answer is checked or it expires."""

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    # base64url of 32 random bytes.
    challenge: Mapped[str] = mapped_column(String(64), unique=True)
    # "register", "sign_in" (after the password), "passkey_only" (no user code typed).
    purpose: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
