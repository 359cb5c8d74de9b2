"""The numbers the help and privacy pages state, read from the settings and the code that
enforces them, so that a page never promises a duration the provider does not apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_timedelta
from limits import parse_many

from idp.config import Settings
from idp.lifecycle import EXPIRED_RETENTION, INACTIVITY_YEARS, REMINDER_DAYS


def duration(seconds: float) -> str:
    """« 30 minutes », « 1 heure »: in the page's language."""
    return str(format_timedelta(timedelta(seconds=seconds), threshold=1))


@dataclass(frozen=True)
class SupportContact:
    """Whom to call or write to (settings ``support_telephone`` and ``support_email``)."""

    telephone: str
    email: str

    @property
    def telephone_uri(self) -> str:
        """``tel:`` and the digits only: what a phone dials when the number is tapped."""
        return "tel:" + "".join(c for c in self.telephone if c.isdigit())


def support_contact(settings: Settings) -> SupportContact:
    return SupportContact(settings.support_telephone, settings.support_email)


@dataclass(frozen=True)
class HelpFacts:
    delay_failures: int
    delay_window: str
    lock_failures: int
    lock_window: str
    lock_duration: str
    code_life: str
    code_tries: int
    codes_per_hour: int
    cooldown: str
    question_tries: int
    password_min_length: int


def help_facts(settings: Settings) -> HelpFacts:
    first_delay = parse_many(settings.signin_account_delays)[0]
    lock = parse_many(settings.signin_account_lock_failures)[0]
    return HelpFacts(
        delay_failures=first_delay.amount,
        delay_window=duration(first_delay.get_expiry()),
        lock_failures=lock.amount,
        lock_window=duration(lock.get_expiry()),
        lock_duration=duration(settings.signin_lock_seconds),
        code_life=duration(settings.mfa_code_ttl_seconds),
        code_tries=settings.mfa_max_failed_attempts,
        codes_per_hour=settings.mfa_max_codes_per_hour,
        cooldown=duration(settings.mfa_resend_cooldown_seconds),
        question_tries=settings.citizen_security_question_attempts,
        password_min_length=settings.password_min_length,
    )


@dataclass(frozen=True)
class PrivacyFacts:
    idle_timeout: str
    public_idle_timeout: str
    absolute_timeout: str
    code_life: str
    authorization_code_life: str
    access_token_life: str
    refresh_token_life: str
    # Expired codes and tokens are deleted this long after they expire (the lifecycle run).
    expired_retention: str
    enrolment_link_life: str
    email_link_life: str
    inactivity_years: int
    # Days before an inactivity cancellation when the person is warned, farthest first.
    inactivity_warning_days: tuple[int, ...]


def privacy_facts(settings: Settings) -> PrivacyFacts:
    return PrivacyFacts(
        idle_timeout=duration(settings.session_idle_timeout_seconds),
        public_idle_timeout=duration(settings.session_public_idle_timeout_seconds),
        absolute_timeout=duration(settings.session_absolute_timeout_seconds),
        code_life=duration(settings.mfa_code_ttl_seconds),
        authorization_code_life=duration(settings.oidc_code_lifetime_seconds),
        access_token_life=duration(settings.oidc_access_token_lifetime_seconds),
        refresh_token_life=duration(settings.oidc_refresh_token_lifetime_seconds),
        expired_retention=duration(EXPIRED_RETENTION.total_seconds()),
        enrolment_link_life=duration(settings.citizen_link_seconds),
        email_link_life=duration(settings.email_link_seconds),
        inactivity_years=INACTIVITY_YEARS,
        inactivity_warning_days=tuple(sorted(REMINDER_DAYS, reverse=True)),
    )
