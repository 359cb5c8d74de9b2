"""Domain events: what a domain reports has happened, for the protocols to act on.

The domains (accounts, enterprises, proxies, ministries, the lifecycle job) publish what changed
and import nothing of OpenID Connect or SAML; what the protocols do about it is subscribed once,
in :func:`idp.create_app`, and read in one list (docs/events.md, and
:meth:`Events.subscriptions`). Subscribers run at once, in the publisher's transaction: a grant
revoked and its back-channel logout queued commit or roll back with the change that caused them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from idp.db_types import DbSession

if TYPE_CHECKING:
    from idp.runtime import Runtime


@dataclass(frozen=True)
class SessionsEnded:
    """Browser sessions ended (sign-out, timeout, an account suspended, a password changed)."""

    session_ids: tuple[int, ...]


@dataclass(frozen=True)
class RightsChanged:
    """Some accounts may hold fewer rights (a proxy cancelled or edited, an assignment withdrawn,
    a user file suspended); ``None``: anyone's (proxies that expired overnight)."""

    account_ids: tuple[int, ...] | None


@dataclass(frozen=True)
class RightsWithdrawn:
    """Rights were taken away from a proxy that stays in force: what the holders' sites were
    told (their tokens name the rights) no longer holds, even where another right remains. Their
    accesses for ``enterprise_id`` at those ministries end; the next sign-in gets the rights as
    they now stand."""

    account_ids: tuple[int, ...]
    enterprise_id: int
    ministry_keys: tuple[str, ...]


@dataclass(frozen=True)
class EnterpriseChanged:
    """An enterprise's standing or one of its registrations changed: its staff and everyone
    acting for it under its proxies may hold fewer rights."""

    enterprise_id: int


@dataclass(frozen=True)
class CredentialsReset:
    """An account's password was reset: nothing obtained with the old one may go on, offline
    access included. ``cause`` names why, for the audit trail (``password_reset``)."""

    account_id: int
    cause: str


@dataclass(frozen=True)
class CredentialsChanged:
    """One of an account's credentials changed: its password (changed by the person, reset by
    a link or by an electronic services manager) or a passkey (added, removed). The words are
    CAEP's (``credential_type``: password, fido2-platform; ``change_type``: create, update,
    delete), what the sites are told."""

    account_id: int
    credential_type: str
    change_type: str


Event = (
    SessionsEnded
    | RightsChanged
    | RightsWithdrawn
    | EnterpriseChanged
    | CredentialsReset
    | CredentialsChanged
)
# A subscriber returns how many accesses (grants) it ended, for the publisher's audit and
# reports, or None.
Subscriber = Callable[[DbSession, "Runtime", Any], int | None]


class Events:
    """The subscribers of each kind of event, in the order they were subscribed."""

    def __init__(self) -> None:
        self._subscribers: dict[type, list[Subscriber]] = {}

    def subscribe(self, kind: type, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(kind, []).append(subscriber)

    def publish(self, session: DbSession, runtime: Runtime, event: Event) -> int:
        """Run ``event``'s subscribers; how many accesses they ended in all."""
        ended = 0
        for subscriber in self._subscribers.get(type(event), []):
            ended += subscriber(session, runtime, event) or 0
        return ended

    def subscriptions(self) -> dict[str, list[str]]:
        """Each kind of event and its subscribers' names (docs/events.md lists the same)."""
        return {
            kind.__name__: [f"{s.__module__}.{s.__qualname__}" for s in subscribers]
            for kind, subscribers in self._subscribers.items()
        }


def publish(session: DbSession, runtime: Runtime, event: Event) -> int:
    """What a domain service calls: ``event`` to the app's subscribers."""
    return runtime.events.publish(session, runtime, event)
