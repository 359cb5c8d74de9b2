"""The enterprises, ESMs, users and agent firm of the proxy tests serve here too, and the OIDC
relying parties and browser that issue real tokens (tests/claims/test_table.py)."""

from tests.oidc.conftest import (  # noqa: F401 (fixtures, used by name)
    app_config,
    browser,
    client_secrets,
    operator_person,
    relying_parties,
)
from tests.proxies.conftest import world  # noqa: F401 (a fixture, used by name)
