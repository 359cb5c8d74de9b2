"""The site's services: those of every site (:mod:`demo_rp.common.services`) and the
applications."""

from __future__ import annotations

from functools import cached_property

from demo_rp.common import services as common
from demo_rp.pesticides.applications import ApplicationStore


class Services(common.Services):
    @cached_property
    def applications(self) -> ApplicationStore:
        return ApplicationStore(self.database)


def services() -> Services:
    return common.services_of(Services)
