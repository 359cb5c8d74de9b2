"""What the SAML identity provider remembers between requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db_types import UTCDateTime
from idp.extensions import db


class SamlRequest(db.Model):  # type: ignore[name-defined]
    """A checked AuthnRequest waiting for the person (sign-in, choice, consent).

    The unique (service provider, request ID) pair is also the replay guard: an AuthnRequest
    ID is accepted once.
    """

    __tablename__ = "saml_requests"
    __table_args__ = (UniqueConstraint("sp_entity_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    sp_entity_id: Mapped[str] = mapped_column(String(1024))
    request_id: Mapped[str] = mapped_column(String(256))
    acs_url: Mapped[str] = mapped_column(String(2000))
    relay_state: Mapped[str | None] = mapped_column(Text)
    force_authn: Mapped[bool] = mapped_column(Boolean, default=False)
    is_passive: Mapped[bool] = mapped_column(Boolean, default=False)
    name_id_format: Mapped[str] = mapped_column(String(128))
    # Our authentication classes its RequestedAuthnContext accepts (idp.saml.authn_context).
    authn_classes: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SamlParticipant(db.Model):  # type: ignore[name-defined]
    """A service provider that received an assertion in a browser session (for logout)."""

    __tablename__ = "saml_participants"
    __table_args__ = (UniqueConstraint("session_id", "sp_entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("user_sessions.id"), index=True)
    sp_entity_id: Mapped[str] = mapped_column(String(1024))
    name_id: Mapped[str] = mapped_column(String(256))
    name_id_format: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SamlLogout(db.Model):  # type: ignore[name-defined]
    """A single logout going round the session's service providers in the browser."""

    __tablename__ = "saml_logouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    # The SP that asked (answered last), or None when the person signed out at the provider.
    initiator_entity_id: Mapped[str | None] = mapped_column(String(1024))
    initiator_request_id: Mapped[str | None] = mapped_column(String(256))
    initiator_relay_state: Mapped[str | None] = mapped_column(Text)
    # The initiator's LogoutRequest, answered once every other SP has been visited.
    initiator_request_xml: Mapped[str | None] = mapped_column(Text)
    initiator_binding: Mapped[str | None] = mapped_column(String(8))
    # Where the browser goes at the end when the person signed out at the provider.
    after_url: Mapped[str | None] = mapped_column(String(2000))
    # Service providers still to visit: [{"entity_id", "name_id", "name_id_format"}].
    pending: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # The LogoutRequest ID sent to the SP being visited, to match its answer.
    awaiting_request_id: Mapped[str | None] = mapped_column(String(256))
    awaiting_entity_id: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
