"""The management scopes: ``management:<ministry_key>:<resource>``, one per resource.

A relying party's file lists the ones its back-end may be given (``management_scopes``), for
its own ministry only; the token endpoint issues them to the ``client_credentials`` grant, and
each route of the API asks for one.
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "management"


class ManagementResource(StrEnum):
    # Read the ministry's registration requests and decide them.
    REGISTRATIONS = "registrations"
    # Post messages to the mailboxes of enterprises registered at the ministry.
    MAILBOX = "mailbox"
    # Read the audit events about the ministry.
    AUDIT = "audit"


def management_scope(ministry_key: str, resource: ManagementResource) -> str:
    """The scope that opens ``resource`` of this ministry."""
    return f"{PREFIX}:{ministry_key}:{resource}"


def is_management_scope(scope: str) -> bool:
    return scope.startswith(f"{PREFIX}:")


def check_management_scope(scope: str, ministry_key: str) -> str:
    """The scope if it names a known resource of ``ministry_key``; ValueError otherwise."""
    prefix, _sep, rest = scope.partition(":")
    ministry, _sep, resource = rest.partition(":")
    if prefix != PREFIX or resource not in set(ManagementResource):
        known = ", ".join(management_scope(ministry_key, r) for r in ManagementResource)
        raise ValueError(f"{scope!r} is not a management scope (known: {known})")
    if ministry != ministry_key:
        raise ValueError(f"{scope!r} names another ministry than {ministry_key!r}")
    return scope
