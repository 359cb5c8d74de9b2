"""A citizen's account: what an enterprise account does not have.

The account itself is an :class:`~idp.accounts.models.Account` with the ``citizen`` role (user
code, password, sessions, emailed codes and throttling are the same machinery); these tables
hold the proof of identity (a keyed hash of the social insurance number, never the number), the
anti-phishing image and phrase, the security questions, and the enrolments in progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class CitizenProfile(db.Model):  # type: ignore[name-defined]
    __tablename__ = "citizen_profiles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    # HMAC-SHA256 of the SIN under a key derived from the secret key; emptied when the account
    # is closed or cancelled, so the person can make a new one and the number is forgotten.
    sin_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The language the person chose: their emails are written in it.
    locale: Mapped[str] = mapped_column(String(2))
    image_key: Mapped[str] = mapped_column(String(32))
    personal_phrase: Mapped[str] = mapped_column(String(100))
    email_confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecurityAnswer(db.Model):  # type: ignore[name-defined]
    """One of the four questions and its answer (normalised, then hashed like a password)."""

    __tablename__ = "citizen_security_answers"
    __table_args__ = (UniqueConstraint("account_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_key: Mapped[str] = mapped_column(String(32))
    answer_hash: Mapped[str] = mapped_column(String(255))


class CitizenEnrolment(db.Model):  # type: ignore[name-defined]
    """An account being made: the steps done so far, until the emailed link is opened.

    No account exists before the link is opened, so an abandoned enrolment leaves nothing
    behind but this row, which the lifecycle run deletes once expired.
    """

    __tablename__ = "citizen_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The wizard's browser holds the token; only its hash is here.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    confirmation_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sin_hash: Mapped[str] = mapped_column(String(64), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(2))
    image_key: Mapped[str | None] = mapped_column(String(32))
    personal_phrase: Mapped[str | None] = mapped_column(String(100))
    # [{"question": key, "answer_hash": ...}, ...] in the order chosen.
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The service the person came from, to go back to after the first sign-in.
    next_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
