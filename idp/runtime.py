"""The collaborators services need, built once per app and handed to them explicitly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from idp.accounts.passwords import PasswordHashing
from idp.accounts.places import PlaceDatabase
from idp.accounts.throttle import SignInThrottle
from idp.citizens.taxpayers import TaxpayerRegistry
from idp.clock import Clock
from idp.conditions.documents import PublishedConditions
from idp.config import Settings
from idp.enterprises.registry import EnterpriseRegistry
from idp.events import Events
from idp.keystore import KeyStore
from idp.mail.senders import MailSender
from idp.ministries.catalogue import Catalogue
from idp.relying_parties import Registry


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    clock: Clock
    sender: MailSender
    hashing: PasswordHashing
    throttle: SignInThrottle
    catalogue: Catalogue
    keystore: KeyStore
    registry: Registry
    # Key of the one-time code HMACs, derived from the secret key so that a copy of the
    # database alone cannot be used to test the 10^6 possible codes offline.
    code_key: bytes
    # Where citizens' identity is checked, and the key of the SIN hashes (idp.citizens.sin).
    taxpayers: TaxpayerRegistry
    sin_key: bytes
    # The conditions of use of both portals, every version (idp.conditions.documents).
    conditions: PublishedConditions
    # Where enterprises registering themselves are checked (idp.enterprises.registry).
    enterprise_registry: EnterpriseRegistry
    # Who acts on what the domains report (idp.events): the protocols, subscribed in create_app.
    events: Events
    # The approximate place of an address (idp.accounts.places), when ``geoip_database`` is set.
    places: PlaceDatabase | None

    def today(self) -> date:
        """The date in Québec (``timezone`` setting): a proxy valid « jusqu'au 30 juin » ends
        at midnight there, not at midnight UTC (8 p.m. in the evening in Québec)."""
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()

    @staticmethod
    def derive_code_key(secret_key: str) -> bytes:
        return hashlib.sha256(b"idp one-time code key\x00" + secret_key.encode()).digest()
