"""Refused enterprise registrations, counted per client IP and per NEQ.

The three facts asked (NEQ, legal name, legal form) are checked against the enterprise register;
someone fishing for which NEQ goes with which name must be slow. Like the sign-in throttle, every
check first *reserves* its place in the windows of the client IP and of the typed NEQ
(:mod:`idp.accounts.attempts`, the same ledger): no more checks are made per window than it
allows, whatever arrives at once; an accepted application gives its place back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from limits import parse_many

from idp.accounts import attempts
from idp.accounts.attempts import AttemptLedger, Window
from idp.config import Settings

_NAMESPACE = "idp-onboarding"


@dataclass(frozen=True, slots=True)
class OnboardingReservation:
    """A check's place in the windows, or when the next check may be made (``retry_at``)."""

    token: str
    windows: tuple[Window, ...]
    retry_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.retry_at is None


class OnboardingThrottle:
    def __init__(self, settings: Settings, ledger: AttemptLedger) -> None:
        self._ledger = ledger
        self._tiers = {
            "ip": parse_many(settings.onboarding_ip_limits),
            "neq": parse_many(settings.onboarding_neq_limits),
        }

    def reserve(self, ip: str, neq: str) -> OnboardingReservation:
        """Take a place for one check in every window, or say until when none may be made."""
        windows = (*self._windows("ip", ip), *self._windows("neq", neq))
        token = attempts.new_token()
        blocked = self._ledger.reserve(windows, [], token, attempts.now())
        if blocked is not None:
            return OnboardingReservation(token, (), datetime.fromtimestamp(blocked.retry_at, UTC))
        return OnboardingReservation(token, windows)

    def give_back(self, reservation: OnboardingReservation) -> None:
        """The application was accepted: its check does not count."""
        if reservation.allowed:
            self._ledger.give_back([w.key for w in reservation.windows], reservation.token)

    def _windows(self, kind: str, identifier: str) -> tuple[Window, ...]:
        return tuple(
            Window(
                f"{_NAMESPACE}/{kind}/{identifier}/{item.amount}-{item.get_expiry()}",
                item.amount,
                item.get_expiry(),
            )
            for item in self._tiers[kind]
        )
