"""Typed settings, in one place, each documented where it is defined.

Precedence, lowest to highest: the defaults below, then the TOML file named by
``IDP_CONFIG_FILE`` (default ``config/idp.toml``, optional), then ``IDP_*`` environment
variables, then the overrides passed to :func:`idp.create_app` (tests).

``docs/config.md`` lists every setting; a test keeps the two in agreement.
"""

from __future__ import annotations

import os
import secrets
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from idp.net import is_loopback_host

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = "config/idp.toml"
# A secret key shorter than this is refused in production: 32 bytes is 256 bits of key.
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    PRODUCTION = "production"
    DEVELOPMENT = "development"
    DEMO = "demo"


class ConfigurationError(RuntimeError):
    """The settings cannot run safely; the message says which and why."""


class Settings(BaseSettings):
    """Every setting of the identity provider. Environment variables are ``IDP_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="IDP_", extra="forbid", case_sensitive=False, frozen=True
    )

    env: Environment = Field(
        Environment.DEVELOPMENT,
        description="`production`, `development` or `demo`. Production refuses to start without "
        "a real secret key and SMTP settings; demo only runs on a loopback issuer.",
    )
    issuer: str = Field(
        "http://localhost:5000",
        description="Public base URL of the provider (scheme, host, port, no trailing slash). "
        "It is the OIDC `iss` and decides whether cookies are `Secure`.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs session cookies and CSRF tokens and keys the one-time code hashes. "
        "At least 32 random bytes in production. Development generates one into the instance "
        "folder and warns.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL. Default: SQLite file `idp.sqlite3` in the instance folder. "
        "`postgresql://` URLs use the psycopg 3 driver.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for rate-limit counters shared by workers. Unset: in-memory "
        "counters (one process only).",
    )
    keys_dir: Path = Field(
        PROJECT_ROOT / "keys",
        description="Directory of signing keys (never in git).",
    )
    keys_retired_retention_seconds: int = Field(
        86400,
        description="How long a retired signing key stays published after a rotation; longer "
        "than any token it signed lives.",
    )
    oidc_code_lifetime_seconds: int = Field(
        60, description="Validity of an authorization code (RFC 9700: short, single use)."
    )
    oidc_access_token_lifetime_seconds: int = Field(
        600, description="Validity of an access token (a signed JWT, RFC 9068)."
    )
    oidc_id_token_lifetime_seconds: int = Field(600, description="Validity of an ID token.")
    oidc_refresh_token_lifetime_seconds: int = Field(
        28800,
        description="A refresh token expires this long after it was issued; each use rotates "
        "it. Without `offline_access` the family also ends with the browser session.",
    )
    oidc_client_assertion_max_lifetime_seconds: int = Field(
        3600,
        gt=0,
        le=604800,
        description="Longest life of a `private_key_jwt` client assertion: `exp - iat` (or "
        "`exp` minus now when `iat` is absent). 3600 is FAPI 2.0's bound and authlib's default; "
        "pyoidc signs for 600. At most a week. Each `jti` is kept until its assertion expires.",
    )
    relying_parties_dir: Path = Field(
        PROJECT_ROOT / "relying_parties",
        description="Directory of relying-party registration files.",
    )
    catalogue_file: Path = Field(
        PROJECT_ROOT / "config" / "catalogue.toml",
        description="The catalogue of ministries, online services and access rights.",
    )
    conditions_dir: Path = Field(
        PROJECT_ROOT / "config" / "conditions",
        description="The conditions of use: `<portal>/<YYYY-MM-DD>.fr.md` and `.en.md` for each "
        "version (portal `enterprise` or `citizen`); the latest date is the version in force, "
        "which every person accepts at their next sign-in (docs/administration.md).",
    )
    instance_dir: Path = Field(
        PROJECT_ROOT / "instance",
        description="Writable folder for the SQLite database, the development secret and the "
        "demo mail capture.",
    )

    smtp_host: str | None = Field(None, description="SMTP server for the emailed codes.")
    smtp_port: int = Field(587, description="SMTP port (587 with STARTTLS, 465 with TLS).")
    smtp_username: str | None = Field(None, description="SMTP user name, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_ssl: bool = Field(False, description="Connect with implicit TLS (port 465).")
    smtp_timeout_seconds: float = Field(10.0, description="SMTP connect and command timeout.")
    mail_from: str = Field(
        "clicSEQUR <no-reply@idp.localhost>", description="`From` address of the emails sent."
    )

    mfa_code_ttl_seconds: int = Field(600, description="Validity of an emailed code.")
    mfa_max_failed_attempts: int = Field(
        5, description="Wrong entries after which a code is void and a new one must be requested."
    )
    mfa_resend_cooldown_seconds: int = Field(60, description="Wait between two codes.")
    mfa_max_codes_per_hour: int = Field(5, description="Codes sent to one account per hour.")
    mfa_step_up_window_seconds: int = Field(
        600,
        ge=60,
        le=3600,
        description="How long an emailed code entered counts for sensitive actions (step-up).",
    )

    scheduler_lifecycle_seconds: int = Field(
        300,
        ge=30,
        le=86400,
        description="How often `idp scheduler` runs the lifecycle job (expiries, reminders).",
    )
    scheduler_outbox_seconds: int = Field(
        5,
        ge=1,
        le=300,
        description="How often `idp scheduler` (and the demo server) sends the events due.",
    )

    session_idle_timeout_seconds: int = Field(1800, description="Idle timeout of a session.")
    session_public_idle_timeout_seconds: int = Field(
        600, description="Idle timeout when the person ticked « public computer »."
    )
    session_absolute_timeout_seconds: int = Field(
        28800, description="A session ends this long after sign-in whatever the activity."
    )
    session_pending_timeout_seconds: int = Field(
        900, description="Time allowed between the password step and the code step."
    )

    signin_account_delays: str = Field(
        "3/minute;6/10 minutes",
        description="Progressive delay per user code: wrong guesses checked per window "
        "(`limits` notation, `;`-separated), never more, even for simultaneous requests. Past "
        "one, the person waits for the window.",
    )
    signin_account_lock_failures: str = Field(
        "10/30 minutes",
        description="Failures per user code that lock it for `signin_lock_seconds`.",
    )
    signin_ip_delays: str = Field(
        "20/minute;60/10 minutes", description="Progressive delay per client IP."
    )
    signin_ip_lock_failures: str = Field(
        "100/hour", description="Failures per client IP that lock that IP."
    )
    signin_lock_seconds: int = Field(1800, description="Length of a temporary lock.")

    password_min_length: int = Field(12, description="Shortest password accepted (NIST 800-63B).")
    password_max_length: int = Field(256, description="Longest password accepted.")
    argon2_time_cost: int = Field(2, description="argon2id iterations (OWASP: 2).")
    argon2_memory_cost_kib: int = Field(
        19456, description="argon2id memory in KiB (OWASP: 19 MiB)."
    )
    argon2_parallelism: int = Field(1, description="argon2id lanes.")

    taxpayer_registry: str = Field(
        "config/demo-taxpayers.toml",
        description="Where citizens' identity is checked at enrolment: the https:// URL of the "
        "tax authority's verification service, or a TOML file of fictional taxpayers (demo and "
        "tests; refused in production).",
    )
    taxpayer_registry_token: SecretStr | None = Field(
        None, description="Bearer token sent to the verification service."
    )
    taxpayer_registry_timeout_seconds: float = Field(
        5.0, description="Connect and read timeout of the verification service."
    )
    citizen_identity_ip_limits: str = Field(
        "10/hour;30/day", description="Failed identity checks allowed per client IP."
    )
    citizen_identity_sin_limits: str = Field(
        "3/hour;5/day", description="Failed identity checks allowed per social insurance number."
    )
    enterprise_registry: str = Field(
        "config/demo-enterprises.toml",
        description="Where an enterprise registering itself is checked: the https:// URL of the "
        "enterprise register's verification service, or a TOML file of fictional enterprises "
        "(demo and tests; refused in production).",
    )
    enterprise_registry_token: SecretStr | None = Field(
        None, description="Bearer token sent to the enterprise register's service."
    )
    enterprise_registry_timeout_seconds: float = Field(
        5.0, description="Connect and read timeout of the enterprise register's service."
    )
    onboarding_ip_limits: str = Field(
        "10/hour;30/day",
        description="Enterprise registrations refused (facts not confirmed) allowed per client IP.",
    )
    onboarding_neq_limits: str = Field(
        "3/hour;5/day",
        description="Enterprise registrations refused (facts not confirmed) allowed per NEQ.",
    )
    api_client_limit: str = Field(
        "120/minute",
        description="Management API requests allowed per client (`limits` notation); past it, "
        "429 with `Retry-After` (docs/management-api.md).",
    )
    citizen_enrolment_seconds: int = Field(
        7200, description="Time allowed to go through the steps of an account creation."
    )
    citizen_link_seconds: int = Field(
        172800, description="Validity of the emailed link that activates a new citizen account."
    )
    email_link_seconds: int = Field(
        172800,
        description="Validity of the link sent to a new email address to confirm it (both "
        "portals); the account keeps its old address until the link is opened.",
    )
    password_reset_link_seconds: int = Field(
        1800,
        description="Validity of the single-use link emailed to a person who forgot their "
        "password (both portals).",
    )
    recovery_account_limits: str = Field(
        "3/hour;10/day",
        description="Recovery emails (password reset link, user code reminder) asked per typed "
        "user code or email address, known or not (`limits` notation, `;`-separated).",
    )
    recovery_ip_limits: str = Field(
        "10/hour;30/day", description="Recovery requests allowed per client IP."
    )
    citizen_security_question_attempts: int = Field(
        3, description="Wrong answers to a security question before the sign-in starts over."
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="`json`: one JSON object per log line (production, for a log collector); "
        "`text`: readable lines (development).",
    )
    log_level: str = Field("INFO", description="Level of the provider's own loggers.")
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token a Prometheus scraper presents at /metrics; without it only "
        "loopback clients may read the metrics.",
    )

    trusted_proxy_count: int = Field(
        0, description="Reverse proxies in front whose X-Forwarded-* headers are trusted."
    )
    support_email: str = Field(
        "soutien@clicsequr.example",
        description="Address of the provider's support centre, shown on the help and privacy "
        "pages (whom an electronic services manager, a representative or a citizen writes to).",
    )
    support_telephone: str = Field(
        "1 800 555-0199",
        description="Telephone number of the provider's support centre, shown on the help, "
        "accessibility and privacy pages. The default is a fictional number: set the real one.",
    )
    geoip_database: Path | None = Field(
        None,
        description="A MaxMind-format GeoIP database (`.mmdb`, City or Country: GeoLite2, "
        "DB-IP lite): « Mes sessions » then shows the approximate place of each session's "
        "address. Unset: no place is shown. A file that cannot be read stops the start-up.",
    )
    default_locale: str = Field("fr", description="Language of pages before a person chooses.")
    timezone: str = Field(
        "America/Toronto", description="Time zone in which dates and times are shown (Québec's)."
    )

    @field_validator("issuer")
    @classmethod
    def _issuer_is_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(
                "must be an absolute http(s) URL such as https://idp.example.gouv.qc.ca"
            )
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or a fragment")
        return value.rstrip("/")

    @field_validator(
        "instance_dir",
        "keys_dir",
        "relying_parties_dir",
        "catalogue_file",
        "conditions_dir",
        "geoip_database",
    )
    @classmethod
    def _absolute_path(cls, value: Path | None) -> Path | None:
        # Relative paths in a settings file are relative to the directory the command runs in.
        return value.expanduser().resolve() if value is not None else None

    @field_validator("taxpayer_registry", "enterprise_registry")
    @classmethod
    def _registry_over_tls(cls, value: str) -> str:
        # Social insurance numbers travel in the request: plain http only to this machine.
        if value.startswith("http://") and not is_loopback_host(urlsplit(value).hostname or ""):
            raise ValueError(
                "the verification service must be an https:// URL (http only on loopback)"
            )
        return value

    @field_validator("api_client_limit")
    @classmethod
    def _one_limit(cls, value: str) -> str:
        # A typo must stop the start, not turn up at the API's first request.
        parse(value)
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale_is_supported(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("IDP_CONFIG_FILE", PROJECT_ROOT / DEFAULT_CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file),
        )

    @property
    def uses_https(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named for bare PostgreSQL URLs."""
        url = self.database_url or f"sqlite:///{self.instance_dir / 'idp.sqlite3'}"
        for bare in ("postgresql://", "postgres://"):
            if url.startswith(bare):
                return "postgresql+psycopg://" + url[len(bare) :]
        return url

    @property
    def rate_limit_storage_uri(self) -> str:
        return self.redis_url or "memory://"


SUPPORTED_LOCALES = ("fr", "en")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from every source, then check that they are safe to run with."""
    settings = Settings(**overrides)
    check_settings(settings)
    return settings


def check_settings(settings: Settings) -> None:
    """Refuse what cannot run safely; warn loudly about development shortcuts."""
    longest_signed = max(
        settings.oidc_access_token_lifetime_seconds, settings.oidc_id_token_lifetime_seconds
    )
    if settings.keys_retired_retention_seconds <= longest_signed:
        # A token must stay verifiable until it expires, even after the key that signed it
        # retires (docs/keys.md).
        raise ConfigurationError(
            "IDP_KEYS_RETIRED_RETENTION_SECONDS must exceed the longest token lifetime "
            f"({longest_signed} s)."
        )
    if settings.env is Environment.PRODUCTION:
        problems = []
        key = settings.secret_key.get_secret_value() if settings.secret_key else ""
        if len(key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"IDP_SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random characters"
            )
        if not settings.smtp_host:
            problems.append("IDP_SMTP_HOST must name the SMTP server that sends the codes")
        if not settings.uses_https:
            problems.append("IDP_ISSUER must be an https:// URL")
        if not settings.taxpayer_registry.startswith("https://"):
            problems.append(
                "IDP_TAXPAYER_REGISTRY must be the https:// URL of the verification service "
                "(the file of fictional taxpayers is for the demo and the tests)"
            )
        if not settings.enterprise_registry.startswith("https://"):
            problems.append(
                "IDP_ENTERPRISE_REGISTRY must be the https:// URL of the enterprise register's "
                "service (the file of fictional enterprises is for the demo and the tests)"
            )
        if problems:
            raise ConfigurationError("Production refuses to start: " + "; ".join(problems) + ".")
    elif settings.env is Environment.DEMO:
        host = urlsplit(settings.issuer).hostname or ""
        if not is_loopback_host(host):
            # The demo shows every emailed code on a web page: it must never face a network.
            raise ConfigurationError(
                "IDP_ENV=demo shows the emailed codes on a page and only runs on a loopback "
                f"issuer (127.0.0.1 or localhost), not {host!r}."
            )


def resolve_secret_key(settings: Settings) -> str:
    """The secret key, or in development and demo a generated one kept in the instance folder."""
    if settings.secret_key:
        return settings.secret_key.get_secret_value()
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    if settings.env is Environment.DEMO:
        # The demo is loopback-only by construction; its generated key is expected.
        return path.read_text().strip()
    warnings.warn(
        f"IDP_SECRET_KEY is not set: using the development key in {path}. "
        "Never run like this in production.",
        DevelopmentSecretWarning,
        stacklevel=2,
    )
    return path.read_text().strip()


class DevelopmentSecretWarning(UserWarning):
    """Raised as a warning when a generated development secret is in use."""
