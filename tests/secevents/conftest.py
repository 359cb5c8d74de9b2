"""The OIDC test world (tests/oidc/conftest.py), with IQEA and the AMF portal receiving security
events at their endpoints, and a mock of those endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from tests.oidc.conftest import (  # noqa: F401 (fixtures used by the tests here)
    AMF_BACKCHANNEL,
    IQEA_BACKCHANNEL,
    app_config,
    browser,
    client_secrets,
    operator_person,
    write_relying_parties,
)
from tests.proxies.conftest import register, second_client, world  # noqa: F401

IQEA_EVENTS = "https://iqea.example.gouv.qc.ca/evenements-securite"
AMF_EVENTS = "https://amf.example.gouv.qc.ca/security-events"


@pytest.fixture
def relying_parties(tmp_path: Path, client_secrets: Any) -> Path:  # noqa: F811
    directory = write_relying_parties(tmp_path, client_secrets)
    for name, endpoint in (("iqea", IQEA_EVENTS), ("amf-portal", AMF_EVENTS)):
        path = directory / f"{name}.toml"
        path.write_text(
            path.read_text("utf-8") + f'security_events_endpoint = "{endpoint}"\n', "utf-8"
        )
    return directory


@pytest.fixture
def receivers() -> Iterator[responses.RequestsMock]:
    """The sites' endpoints: security events accepted (202), back-channel logouts too."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(IQEA_EVENTS, status=202)
        mock.post(AMF_EVENTS, status=202)
        mock.post(IQEA_BACKCHANNEL, status=200)
        mock.post(AMF_BACKCHANNEL, status=200)
        yield mock
