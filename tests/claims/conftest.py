"""The enterprises, ESMs, users and agent firm of the proxy tests serve here too."""

from tests.proxies.conftest import world  # noqa: F401 (a fixture, used by name)
