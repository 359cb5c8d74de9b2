"""Accepting and declining the conditions of use; both are audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.accounts.models import Account
from idp.audit.services import ClientInfo, record_own
from idp.audit.tags import AuditAction
from idp.conditions.documents import ConditionsVersion
from idp.conditions.models import ConditionsAcceptance
from idp.conditions.policies import must_accept
from idp.db_types import DbSession
from idp.runtime import Runtime


def accepted_versions(session: DbSession, account: Account) -> set[str]:
    """The versions of its portal's conditions the account accepted."""
    return set(
        session.scalars(
            select(ConditionsAcceptance.version).where(
                ConditionsAcceptance.account_id == account.id,
                ConditionsAcceptance.portal == str(account.portal),
            )
        )
    )


def find_acceptance(
    session: DbSession, account: Account, version: ConditionsVersion
) -> ConditionsAcceptance | None:
    return session.get(ConditionsAcceptance, (account.id, str(version.portal), version.label))


def version_to_accept(
    session: DbSession, runtime: Runtime, account: Account
) -> ConditionsVersion | None:
    """The version in force of the account's portal if the person must still accept it."""
    in_force = runtime.conditions.in_force(account.portal)
    if must_accept(account, in_force, accepted_versions(session, account)):
        return in_force
    return None


def accept(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    version: ConditionsVersion,
    *,
    client: ClientInfo | None = None,
    source: str | None = None,
) -> ConditionsAcceptance:
    """Record the person's acceptance of ``version``; accepting twice keeps the first."""
    existing = find_acceptance(session, account, version)
    if existing is not None:
        return existing
    acceptance = ConditionsAcceptance(
        account_id=account.id,
        portal=str(version.portal),
        version=version.label,
        accepted_at=runtime.clock(),
    )
    try:
        # Two tabs pressing « J'accepte » at once: the second insert finds the first row.
        with session.begin_nested():
            session.add(acceptance)
    except IntegrityError:
        found = find_acceptance(session, account, version)
        assert found is not None  # noqa: S101 (the conflicting row is the one we looked for)
        return found
    _record(session, runtime, AuditAction.CONDITIONS_ACCEPT, account, version, client, source)
    return acceptance


def decline(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    version: ConditionsVersion,
    *,
    client: ClientInfo | None = None,
) -> None:
    """Record that the person declined ``version`` (nothing else changes: they stay unable
    to go on until they accept)."""
    _record(session, runtime, AuditAction.CONDITIONS_DECLINE, account, version, client, None)


def accept_in_force(
    session: DbSession, runtime: Runtime, account: Account, *, source: str
) -> ConditionsAcceptance:
    """Accept the version in force on the person's behalf (the demo's people, the tests'):
    never for a real person, who accepts on the conditions page."""
    in_force = runtime.conditions.in_force(account.portal)
    return accept(session, runtime, account, in_force, source=source)


def _record(
    session: DbSession,
    runtime: Runtime,
    action: AuditAction,
    account: Account,
    version: ConditionsVersion,
    client: ClientInfo | None,
    source: str | None,
) -> None:
    details: dict[str, Any] = {"portal": str(version.portal), "version": version.label}
    if source:
        details["source"] = source
    record_own(session, runtime.clock, action, account, client=client, **details)
