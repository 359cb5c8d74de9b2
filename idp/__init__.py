"""The identity provider: a Flask application built by :func:`create_app`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from idp.accounts.passwords import PasswordHashing
from idp.accounts.places import open_place_database
from idp.accounts.throttle import SignInThrottle
from idp.citizens.sin import derive_sin_key
from idp.citizens.taxpayers import TaxpayerRegistry, registry_from_settings
from idp.clock import Clock, utc_now
from idp.conditions.documents import load_conditions
from idp.config import PROJECT_ROOT, Environment, Settings, load_settings, resolve_secret_key
from idp.enterprises.registry import EnterpriseRegistry
from idp.enterprises.registry import registry_from_settings as enterprise_registry_from_settings
from idp.events import Events
from idp.extensions import babel, csrf, db, limiter, migrate
from idp.keystore import KeyStore, generate_keys
from idp.mail.senders import MailSender, SmtpSender
from idp.ministries.catalogue import load_catalogue
from idp.relying_parties import load_registry
from idp.runtime import Runtime
from idp.web.converters import PathSegmentConverter, RowIdConverter
from idp.web.machine import MachineSessionInterface

MIGRATIONS_DIR = __path__[0] + "/migrations"


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    sender: MailSender | None = None,
) -> Flask:
    """Build the app: defaults, then ``config/idp.toml``, then ``IDP_*``, then ``test_config``."""
    settings = load_settings(**(test_config or {}))
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.session_interface = MachineSessionInterface()
    secret_key = resolve_secret_key(settings)
    secure = settings.uses_https
    app.config.update(
        SECRET_KEY=secret_key,
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        # `__Host-` cookies are bound to this host and path, never sent over plain HTTP.
        SESSION_COOKIE_NAME="__Host-idp_session" if secure else "idp_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_absolute_timeout_seconds),
        WTF_CSRF_TIME_LIMIT=None,  # the CSRF token lives as long as the session cookie
        WTF_CSRF_SSL_STRICT=secure,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES="translations",
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=False,
        IDP_SETTINGS=settings,
    )
    if settings.trusted_proxy_count:
        n = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    catalogue = load_catalogue(settings.catalogue_file)
    runtime = Runtime(
        settings=settings,
        clock=clock or utc_now,
        sender=sender or SmtpSender(settings),
        hashing=PasswordHashing(settings),
        throttle=SignInThrottle(settings),
        catalogue=catalogue,
        registry=load_registry(settings.relying_parties_dir, catalogue),
        keystore=_load_keys(settings, clock or utc_now),
        code_key=Runtime.derive_code_key(secret_key),
        taxpayers=_taxpayer_registry(settings),
        sin_key=derive_sin_key(secret_key),
        conditions=load_conditions(settings.conditions_dir),
        enterprise_registry=_enterprise_registry(settings),
        events=Events(),
        # Opened once: every request of this process reads the same memory-mapped file.
        places=open_place_database(settings.geoip_database),
    )
    app.extensions["idp.runtime"] = runtime

    # Before any route is added: every `<int:…>` is then a row id a database can hold, and
    # every `<name>` a path segment without control characters.
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = PathSegmentConverter
    _init_extensions(app, settings)
    _register_blueprints(app, settings)
    _init_oidc(app)

    from idp.cli import register_commands

    register_commands(app)
    _serve_published_documents(app, runtime)
    return app


def _serve_published_documents(app: Flask, runtime: Runtime) -> None:
    """Discovery and the key set in front of everything else (idp/oidc/published.py)."""
    from idp.oidc.published import PublishedDocuments, PublishedDocumentsMiddleware
    from idp.oidc.views.discovery import provider_metadata
    from idp.ops.metrics import observe_request

    documents = PublishedDocuments(runtime, provider_metadata)
    app.extensions["idp.published"] = documents
    app.wsgi_app = PublishedDocumentsMiddleware(app.wsgi_app, documents, observe_request)  # type: ignore[method-assign]


def _init_oidc(app: Flask) -> None:
    from idp.oidc import logout
    from idp.oidc.server import create_server
    from idp.secevents import delivery, subscriptions

    create_server(app)
    logout.register_delivery(app)
    delivery.register_delivery(app)
    # What OpenID Connect does when a domain reports a change (docs/events.md).
    events = app.extensions["idp.runtime"].events
    logout.subscribe(events)
    subscriptions.subscribe(events)


def _taxpayer_registry(settings: Settings) -> TaxpayerRegistry:
    source = settings.taxpayer_registry
    if not source.startswith(("https://", "http://")):
        source = str(PROJECT_ROOT / source)
    token = settings.taxpayer_registry_token
    return registry_from_settings(
        source,
        token.get_secret_value() if token else None,
        settings.taxpayer_registry_timeout_seconds,
    )


def _enterprise_registry(settings: Settings) -> EnterpriseRegistry:
    source = settings.enterprise_registry
    if not source.startswith(("https://", "http://")):
        source = str(PROJECT_ROOT / source)
    token = settings.enterprise_registry_token
    return enterprise_registry_from_settings(
        source,
        token.get_secret_value() if token else None,
        settings.enterprise_registry_timeout_seconds,
    )


def _load_keys(settings: Settings, clock: Clock) -> KeyStore:
    """Production must be given its keys; development and the demo make theirs on first run."""
    retention = timedelta(seconds=settings.keys_retired_retention_seconds)
    if settings.env is not Environment.PRODUCTION:
        generate_keys(settings.keys_dir, clock, settings.issuer)
    return KeyStore.load(settings.keys_dir, clock, retention)


def _init_extensions(app: Flask, settings: Settings) -> None:
    import idp.models  # noqa: F401  (registers every table on the metadata)
    from idp.ops.logs import configure_logging, init_request_ids
    from idp.ops.metrics import init_metrics
    from idp.web.i18n import init_i18n
    from idp.web.names import init_name_filters
    from idp.web.request_text import init_request_text
    from idp.web.security import init_security

    configure_logging(settings)
    init_request_ids(app, trust_incoming=settings.trusted_proxy_count > 0)
    init_metrics(app)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app, babel)
    init_name_filters(app)
    init_security(app, settings, app.extensions["idp.runtime"].registry)
    init_request_text(app)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """SQLite under several threads or workers: readers never wait for the writer (WAL), and a
    commit waits for the disk at checkpoints only (synchronous=NORMAL: a power cut may lose the
    last commits, never corrupt the file). PostgreSQL is the production database."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from idp.accounts import recovery_views as _recovery  # noqa: F401 (registers its routes)
    from idp.accounts import sessions_views as _sessions  # noqa: F401 (registers its routes)
    from idp.accounts.views import bp as accounts_bp
    from idp.api.routes import bp as api_bp
    from idp.audit.views import bp as audit_bp
    from idp.citizens.views import bp as citizens_bp
    from idp.conditions.views import bp as conditions_bp
    from idp.consents.views import bp as consents_bp
    from idp.enterprises import settings_views as _settings  # noqa: F401 (registers its routes)
    from idp.enterprises.console_views import bp as console_bp
    from idp.enterprises.onboarding_views import bp as onboarding_bp
    from idp.enterprises.views import bp as enterprises_bp
    from idp.home.views import bp as home_bp
    from idp.mailbox.views import bp as mailbox_bp
    from idp.mfa.views import bp as mfa_bp
    from idp.ministries import registration_changes  # noqa: F401  (routes on ministries_bp)
    from idp.ministries.views import bp as ministries_bp
    from idp.oidc.views import bp as oidc_bp
    from idp.ops.views import bp as ops_bp
    from idp.passkeys.views import bp as passkeys_bp
    from idp.proxies.views import bp as proxies_bp
    from idp.saml import logout as _saml_logout  # noqa: F401 (registers its routes)
    from idp.saml.views import bp as saml_bp
    from idp.web.errors import register_error_pages
    from idp.web.navigation import init_navigation
    from idp.web.session_loader import register_session_loader

    register_session_loader(app)
    init_navigation(app)
    for blueprint in (
        home_bp,
        accounts_bp,
        mfa_bp,
        ministries_bp,
        enterprises_bp,
        proxies_bp,
        mailbox_bp,
        audit_bp,
        oidc_bp,
        saml_bp,
        consents_bp,
        citizens_bp,
        conditions_bp,
        ops_bp,
        onboarding_bp,
        console_bp,
        passkeys_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)
    # The outbox shows every emailed code: it exists only in the demo profile, which itself
    # refuses to run on anything but a loopback issuer (see idp.config.check_settings).
    if settings.env is Environment.DEMO:
        from idp.demo.views import bp as demo_bp

        app.register_blueprint(demo_bp)
    register_error_pages(app)
