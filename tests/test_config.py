"""Settings: where each value comes from, and what refuses to start."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pydantic
import pytest
from pydantic import ValidationError as PydanticValidationError

from idp import create_app
from idp.config import (
    ConfigurationError,
    DevelopmentSecretWarning,
    Settings,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No IDP_* setting leaks in from the shell, and the default TOML file is a missing one."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"IDP_{name.upper()}", raising=False)
    missing = tmp_path / "no-such-config.toml"
    monkeypatch.setenv("IDP_CONFIG_FILE", str(missing))
    return missing


def _config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "idp.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("IDP_CONFIG_FILE", str(path))
    return path


def _app_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Enough for create_app to build an app without touching a network or a real folder."""
    return {
        "secret_key": PRODUCTION_KEY,
        "instance_dir": tmp_path / "instance",
        "database_url": f"sqlite:///{tmp_path / 'config-test.sqlite3'}",
        "argon2_memory_cost_kib": 1024,
        "argon2_time_cost": 1,
        **overrides,
    }


def _production(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    safe = {
        "env": "production",
        "issuer": "https://idp.example",
        "smtp_host": "smtp.example",
        "taxpayer_registry": "https://verification.revenuquebec.example/v1/identity",
        "enterprise_registry": "https://registre.entreprises.example/v1/verification",
    }
    return _app_config(tmp_path, **{**safe, **overrides})


# -- precedence ------------------------------------------------------------------------------


def test_each_source_overrides_the_one_below(tmp_path, monkeypatch):
    _config_file(
        tmp_path,
        monkeypatch,
        """
        mfa_code_ttl_seconds = 300
        smtp_port = 2525
        smtp_starttls = true
        session_idle_timeout_seconds = 1200
        """,
    )
    monkeypatch.setenv("IDP_SMTP_PORT", "2626")
    monkeypatch.setenv("IDP_SMTP_STARTTLS", "false")
    monkeypatch.setenv("IDP_SESSION_IDLE_TIMEOUT_SECONDS", "900")

    app = create_app(_app_config(tmp_path, session_idle_timeout_seconds=600))
    settings: Settings = app.config["IDP_SETTINGS"]

    # Default: nothing sets it.
    assert settings.password_min_length == Settings.model_fields["password_min_length"].default
    # TOML file over the default.
    assert settings.mfa_code_ttl_seconds == 300
    # Environment over the file.
    assert settings.smtp_port == 2626
    assert settings.smtp_starttls is False
    # create_app(test_config) over the environment and the file.
    assert settings.session_idle_timeout_seconds == 600


@pytest.mark.parametrize(
    ("in_file", "in_env", "expected"),
    [
        (None, None, 1800),
        (1200, None, 1200),
        (None, "900", 900),
        (1200, "900", 900),
    ],
)
def test_idle_timeout_precedence_table(tmp_path, monkeypatch, in_file, in_env, expected):
    if in_file is not None:
        _config_file(tmp_path, monkeypatch, f"session_idle_timeout_seconds = {in_file}\n")
    if in_env is not None:
        monkeypatch.setenv("IDP_SESSION_IDLE_TIMEOUT_SECONDS", in_env)
    assert load_settings().session_idle_timeout_seconds == expected


def test_missing_config_file_is_not_an_error(clean_environment):
    assert not clean_environment.exists()
    assert load_settings().env == "development"


def test_unknown_key_in_the_config_file_is_refused(tmp_path, monkeypatch):
    _config_file(tmp_path, monkeypatch, 'smtp_hots = "mail.example"\n')
    with pytest.raises(PydanticValidationError) as excinfo:
        load_settings()
    errors = excinfo.value.errors()
    assert [(e["type"], e["loc"]) for e in errors] == [("extra_forbidden", ("smtp_hots",))]


def test_badly_typed_value_in_the_config_file_is_refused(tmp_path, monkeypatch):
    _config_file(tmp_path, monkeypatch, 'smtp_port = "not a port"\n')
    with pytest.raises(PydanticValidationError) as excinfo:
        load_settings()
    assert [e["loc"] for e in excinfo.value.errors()] == [("smtp_port",)]


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("https://idp.example", "https://idp.example"),
        ("https://idp.example/", "https://idp.example"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://idp.example/base/", "https://idp.example/base"),
    ],
)
def test_issuer_is_kept_without_trailing_slash(issuer, expected):
    assert Settings(issuer=issuer).issuer == expected


@pytest.mark.parametrize(
    "issuer",
    [
        "idp.example",
        "ftp://idp.example",
        "https://",
        "https://idp.example/?a=b",
        "https://idp.example/#x",
    ],
)
def test_issuer_must_be_a_plain_http_base_url(issuer):
    with pytest.raises(PydanticValidationError) as excinfo:
        Settings(issuer=issuer)
    assert [e["loc"] for e in excinfo.value.errors()] == [("issuer",)]


# -- production refuses to start -------------------------------------------------------------


def test_production_starts_with_safe_settings(tmp_path):
    app = create_app(_production(tmp_path))
    assert app.config["IDP_SETTINGS"].env == "production"
    assert app.secret_key == PRODUCTION_KEY


def test_production_accepts_a_key_of_exactly_32_characters(tmp_path):
    settings = load_settings(**_production(tmp_path, secret_key="s" * 32))
    assert settings.secret_key is not None
    assert len(settings.secret_key.get_secret_value()) == 32


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": None}, "IDP_SECRET_KEY"),
        ({"secret_key": ""}, "IDP_SECRET_KEY"),
        ({"secret_key": "s" * 31}, "IDP_SECRET_KEY"),
        ({"smtp_host": None}, "IDP_SMTP_HOST"),
        ({"smtp_host": ""}, "IDP_SMTP_HOST"),
        ({"issuer": "http://idp.example"}, "IDP_ISSUER"),
        # The file of fictional taxpayers would let anyone open an account under their names.
        ({"taxpayer_registry": "config/demo-taxpayers.toml"}, "IDP_TAXPAYER_REGISTRY"),
        ({"taxpayer_registry": "http://127.0.0.1:8080/v1"}, "IDP_TAXPAYER_REGISTRY"),
        # The file of fictional enterprises would let anyone register an enterprise.
        ({"enterprise_registry": "config/demo-enterprises.toml"}, "IDP_ENTERPRISE_REGISTRY"),
        ({"enterprise_registry": "http://127.0.0.1:8080/v1"}, "IDP_ENTERPRISE_REGISTRY"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, overrides, named):
    with pytest.raises(ConfigurationError) as excinfo:
        create_app(_production(tmp_path, **overrides))
    message = str(excinfo.value)
    assert message.startswith("Production refuses to start: ")
    # The message names the faulty setting, and only that one.
    assert set(re.findall(r"IDP_[A-Z_]+", message)) == {named}


def test_production_lists_every_problem_at_once(tmp_path):
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(
            **_production(tmp_path, secret_key=None, smtp_host=None, issuer="http://idp.example")
        )
    assert set(re.findall(r"IDP_[A-Z_]+", str(excinfo.value))) == {
        "IDP_SECRET_KEY",
        "IDP_SMTP_HOST",
        "IDP_ISSUER",
    }


def test_production_secret_from_the_environment_counts(tmp_path, monkeypatch):
    config = _production(tmp_path)
    del config["secret_key"]
    monkeypatch.setenv("IDP_SECRET_KEY", "e" * 32)
    app = create_app(config)
    assert app.secret_key == "e" * 32


def test_production_never_falls_back_to_the_development_key(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("x" * 64)
    with pytest.raises(ConfigurationError, match="IDP_SECRET_KEY"):
        create_app(_production(tmp_path, secret_key=None))


# -- demo only on loopback -------------------------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    [
        "http://idp.example:5000",
        "https://idp.example",
        "http://0.0.0.0:5000",
        "http://192.168.1.10:5000",
        "http://10.0.0.1:5000",
        "http://localhost.evil.example:5000",
    ],
)
def test_demo_refuses_a_non_loopback_issuer(tmp_path, issuer):
    with pytest.raises(ConfigurationError) as excinfo:
        create_app(_app_config(tmp_path, env="demo", issuer=issuer))
    message = str(excinfo.value)
    assert "IDP_ENV=demo" in message
    assert "loopback" in message


@pytest.mark.parametrize(
    "issuer",
    [
        "http://127.0.0.1:5000",
        "http://localhost:5000",
        "http://[::1]:5000",
        "http://127.0.0.2:8080",
    ],
)
def test_demo_runs_on_a_loopback_issuer(tmp_path, issuer):
    app = create_app(_app_config(tmp_path, env="demo", issuer=issuer))
    assert app.config["IDP_SETTINGS"].env == "demo"


# -- development secret ----------------------------------------------------------------------


def test_development_without_secret_warns_and_keeps_the_generated_key(tmp_path):
    config = _app_config(tmp_path, env="development")
    del config["secret_key"]
    key_file = tmp_path / "instance" / "secret_key"

    with pytest.warns(DevelopmentSecretWarning, match="IDP_SECRET_KEY is not set"):
        first = create_app(config)

    assert key_file.exists()
    stored = key_file.read_text().strip()
    assert first.secret_key == stored
    assert len(stored) >= 32
    # Only the owner may read it.
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    with pytest.warns(DevelopmentSecretWarning):
        second = create_app(config)
    assert second.secret_key == stored


def test_development_with_a_secret_does_not_warn(tmp_path):
    # filterwarnings=error turns any warning into a failure here.
    app = create_app(_app_config(tmp_path, env="development"))
    assert app.secret_key == PRODUCTION_KEY
    assert not (tmp_path / "instance" / "secret_key").exists()


# -- database URL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://idp@db.example:5432/idp", "postgresql+psycopg://idp@db.example:5432/idp"),
        ("postgres://idp@db.example/idp", "postgresql+psycopg://idp@db.example/idp"),
        ("postgresql+psycopg://idp@db.example/idp", "postgresql+psycopg://idp@db.example/idp"),
        ("sqlite:///tmp/idp.sqlite3", "sqlite:///tmp/idp.sqlite3"),
    ],
)
def test_database_url_uses_the_psycopg3_driver(tmp_path, given, expected):
    app = create_app(_app_config(tmp_path, database_url=given))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    config = _app_config(tmp_path)
    del config["database_url"]
    settings = load_settings(**config)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'instance' / 'idp.sqlite3'}"


def test_database_url_from_the_environment_is_rewritten_too(tmp_path, monkeypatch):
    config = _app_config(tmp_path)
    del config["database_url"]
    monkeypatch.setenv("IDP_DATABASE_URL", "postgresql://idp@db.example/idp")
    assert load_settings(**config).sqlalchemy_url == "postgresql+psycopg://idp@db.example/idp"


# -- documentation ---------------------------------------------------------------------------


def test_docs_config_md_documents_every_setting():
    docs = ROOT / "docs" / "config.md"
    assert docs.exists(), "docs/config.md is missing"
    text = docs.read_text(encoding="utf-8")
    missing = [
        f"IDP_{name.upper()}"
        for name in Settings.model_fields
        if not re.search(rf"`IDP_{name.upper()}`", text)
    ]
    assert missing == []


def test_docs_config_md_names_no_setting_that_does_not_exist():
    docs = ROOT / "docs" / "config.md"
    assert docs.exists(), "docs/config.md is missing"
    known = {f"IDP_{name.upper()}" for name in Settings.model_fields} | {"IDP_CONFIG_FILE"}
    named = set(re.findall(r"\bIDP_[A-Z][A-Z0-9_]*[A-Z0-9]\b", docs.read_text(encoding="utf-8")))
    unknown = {n for n in named - known if not n.startswith("IDP_TEST_")}
    assert unknown == set()


# -- token lifetimes and key retention ---------------------------------------------------------


@pytest.mark.parametrize(
    "lifetime", ["oidc_access_token_lifetime_seconds", "oidc_id_token_lifetime_seconds"]
)
def test_retired_keys_must_outlive_every_signed_token(tmp_path, lifetime):
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(**{lifetime: 3600, "keys_retired_retention_seconds": 3600})
    assert "IDP_KEYS_RETIRED_RETENTION_SECONDS" in str(excinfo.value)
    assert load_settings(**{lifetime: 3599, "keys_retired_retention_seconds": 3600})


def test_client_assertion_lifetime_cap_is_an_hour_and_bounded():
    assert load_settings().oidc_client_assertion_max_lifetime_seconds == 3600
    for refused in (0, 604801):
        with pytest.raises(PydanticValidationError):
            load_settings(oidc_client_assertion_max_lifetime_seconds=refused)
    assert load_settings(oidc_client_assertion_max_lifetime_seconds=604800)


def test_the_taxpayer_registry_is_reached_over_tls_except_on_loopback(tmp_path):
    # Social insurance numbers travel in the request body.
    with pytest.raises(pydantic.ValidationError, match="https"):
        load_settings(**_app_config(tmp_path, taxpayer_registry="http://verification.example/v1"))
    local = load_settings(**_app_config(tmp_path, taxpayer_registry="http://127.0.0.1:8080/v1"))
    assert local.taxpayer_registry == "http://127.0.0.1:8080/v1"
