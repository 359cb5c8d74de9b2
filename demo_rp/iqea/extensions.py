"""IQEA's services: those of every site (:mod:`demo_rp.common.services`) and the reports."""

from __future__ import annotations

from functools import cached_property

from demo_rp.common import services as common
from demo_rp.common.services import SERVICES_KEY
from demo_rp.iqea.reports import ReportStore

EXTENSION_KEY = SERVICES_KEY


class Services(common.Services):
    @cached_property
    def reports(self) -> ReportStore:
        return ReportStore(self.database)


def services() -> Services:
    return common.services_of(Services)
