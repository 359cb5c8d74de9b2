"""Typed errors raised by services; views map them to pages or protocol errors.

Each carries a symbolic ``code`` that tests assert and that audit events record, and a
``message`` that is a lazy translation safe to show to the person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class IdpError(Exception):
    """Base of every expected, user-facing failure."""

    code = "error"

    def __init__(self, message: Any = None, **details: Any) -> None:
        super().__init__(str(message) if message is not None else self.code)
        self.message = message
        self.details = details


class ValidationError(IdpError):
    code = "invalid"


class AuthenticationFailedError(IdpError):
    """Unknown user code, wrong password, suspended or cancelled account: one answer for all."""

    code = "authentication_failed"


class ThrottledError(IdpError):
    """Too many attempts; ``retry_at`` says when the person may try again."""

    code = "throttled"

    def __init__(
        self,
        message: Any = None,
        *,
        retry_at: datetime,
        locked: bool = False,
        scope: str = "signin",
        reason: str | None = None,
    ) -> None:
        super().__init__(
            message, retry_at=retry_at.isoformat(), locked=locked, scope=scope, reason=reason
        )
        self.retry_at = retry_at
        self.locked = locked


class CodeError(IdpError):
    """A one-time code was wrong, expired, used, or voided."""

    code = "code_invalid"


class DeliveryError(IdpError):
    """An email could not be handed to the SMTP server."""

    code = "delivery_failed"


class ForbiddenError(IdpError):
    """The account may not do this for this enterprise (views answer 404 or 403)."""

    code = "forbidden"


class StepUpRequiredError(IdpError):
    """A sensitive action needs the emailed code entered within the last few minutes."""

    code = "step_up_required"


class NotFoundError(IdpError):
    code = "not_found"


class ConflictError(IdpError):
    code = "conflict"


class IdentityNotConfirmedError(IdpError):
    """The facts given at a citizen's enrolment do not match the tax records (which one is
    never said)."""

    code = "identity_not_confirmed"


class AlreadyEnrolledError(IdpError):
    """A citizen account already exists for this person."""

    code = "already_enrolled"


class ServiceUnavailableError(IdpError):
    """A service this one depends on (the tax authority's verification) did not answer."""

    code = "service_unavailable"


class EnterpriseNotConfirmedError(IdpError):
    """An enterprise registering itself: its facts do not match the enterprise register, or it
    is already known to clicSÉQUR (which one is never said)."""

    code = "enterprise_not_confirmed"
