"""The proxies suite's world: enterprises registered at ministries, their ESMs and users."""

from tests.proxies.conftest import world  # noqa: F401 (a fixture, used by name)
