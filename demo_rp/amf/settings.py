"""The site's settings: environment variables with defaults, overridden by ``create_app(config)``.

| Variable | Default |
|---|---|
| ``AMF_IDP_METADATA_URL`` | ``http://localhost:5000/saml/metadata`` |
| ``AMF_BASE_URL`` | ``http://localhost:5002`` |
| ``AMF_INSTANCE_DIR`` | ``instance/demo/amf`` (relative to the directory the command runs in) |
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_IDP_METADATA_URL = "http://localhost:5000/saml/metadata"
DEFAULT_BASE_URL = "http://localhost:5002"
DEFAULT_INSTANCE_DIR = "instance/demo/amf"
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CATALOGUE_FILE = PROJECT_ROOT / "config" / "catalogue.toml"

# Reads the provider's metadata at a URL; the tests give one that asks the provider in-process.
MetadataFetcher = Callable[[str], bytes | str]


def base_url(value: str | None = None) -> str:
    url = (value or os.environ.get("AMF_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"AMF_BASE_URL must be an absolute http(s) URL, not {url!r}")
    return url


def instance_dir(value: str | Path | None = None) -> Path:
    raw = value or os.environ.get("AMF_INSTANCE_DIR") or DEFAULT_INSTANCE_DIR
    return Path(raw).expanduser().resolve()


def idp_metadata_url(value: str | None = None) -> str:
    return value or os.environ.get("AMF_IDP_METADATA_URL") or DEFAULT_IDP_METADATA_URL


@dataclass(frozen=True)
class Settings:
    base_url: str
    instance_dir: Path
    idp_metadata_url: str
    catalogue_file: Path
    # Sessions end after this long without a request, and in any case after the absolute limit.
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 8 * 3600
    # The provider's metadata is read again after this long (its documentation: at least daily).
    idp_metadata_max_age_seconds: int = 6 * 3600
    idp_metadata_fetcher: MetadataFetcher | None = None

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def idp_origin(self) -> str:
        parts = urlsplit(self.idp_metadata_url)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def load(cls, config: Mapping[str, Any] | None = None) -> Settings:
        config = dict(config or {})
        return cls(
            base_url=base_url(config.get("base_url")),
            instance_dir=instance_dir(config.get("instance_dir")),
            idp_metadata_url=idp_metadata_url(config.get("idp_metadata_url")),
            catalogue_file=Path(config.get("catalogue_file") or DEFAULT_CATALOGUE_FILE),
            idp_metadata_fetcher=config.get("idp_metadata_fetcher"),
            **{
                key: int(config[key])
                for key in (
                    "session_idle_seconds",
                    "session_absolute_seconds",
                    "idp_metadata_max_age_seconds",
                )
                if key in config
            },
        )
