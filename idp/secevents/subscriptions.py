"""Which events reach which sites: the domain events (idp/events.py) turned into SETs.

A site hears about a person only once it knows them: when the person has a subject at the
site's ministry (they signed in there once). A rights event carries the complete picture at
that ministry as it now stands (RFC 9396 ``authorization_details``, only the rights the site
registered as scopes): an enterprise that is missing means no rights for it any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.accounts.models import Account
from idp.claims.identity import authorization_details, identity_from_rights
from idp.claims.models import MinistryIdentity
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.events import (
    CredentialsChanged,
    EnterpriseChanged,
    Events,
    RightsChanged,
    RightsWithdrawn,
)
from idp.proxies.rights import accounts_acting_for, enterprises_for
from idp.relying_parties import OidcClient
from idp.runtime import Runtime
from idp.secevents.models import SecurityEventDelivery
from idp.secevents.tokens import (
    CREDENTIAL_CHANGE,
    TOKEN_CLAIMS_CHANGE,
    security_event_token,
)

PENDING_KEY = "idp_pending_security_events"


def subscribe(events: Events) -> None:
    """Security events queued when a domain reports a change (docs/security-events.md)."""
    events.subscribe(RightsChanged, _rights_changed)
    events.subscribe(RightsWithdrawn, _rights_withdrawn)
    events.subscribe(EnterpriseChanged, _enterprise_changed)
    events.subscribe(CredentialsChanged, _credentials_changed)


def _rights_changed(session: DbSession, runtime: Runtime, event: RightsChanged) -> None:
    # None is "anyone's" (the nightly re-check): the lifecycle job names the holders of the
    # proxies that expired in its own event.
    if event.account_ids is not None:
        queue_rights(session, runtime, event.account_ids)


def _rights_withdrawn(session: DbSession, runtime: Runtime, event: RightsWithdrawn) -> None:
    queue_rights(session, runtime, event.account_ids, ministries=event.ministry_keys)


def _enterprise_changed(session: DbSession, runtime: Runtime, event: EnterpriseChanged) -> None:
    queue_rights(session, runtime, accounts_acting_for(session, event.enterprise_id))


def _credentials_changed(session: DbSession, runtime: Runtime, event: CredentialsChanged) -> None:
    change = {"credential_type": event.credential_type, "change_type": event.change_type}
    for client, subject in _sites_knowing(session, runtime, event.account_id):
        _queue(session, runtime, client, event.account_id, subject, CREDENTIAL_CHANGE, change)


def queue_rights(
    session: DbSession,
    runtime: Runtime,
    account_ids: Iterable[int],
    *,
    ministries: Iterable[str] | None = None,
) -> None:
    """A token-claims-change for each site that knows each of these people."""
    only = set(ministries) if ministries is not None else None
    session.flush()  # the rights are read as the change left them
    for account_id in sorted(set(account_ids)):
        account = session.get(Account, account_id)
        if account is None or account.is_citizen:
            continue
        for client, subject in _sites_knowing(session, runtime, account_id):
            if only is not None and client.ministry not in only:
                continue
            details = _rights_at(session, runtime, account, client)
            claims = {"authorization_details": details}
            event = {"claims": claims}
            _queue(session, runtime, client, account_id, subject, TOKEN_CLAIMS_CHANGE, event)


def _sites_knowing(
    session: DbSession, runtime: Runtime, account_id: int
) -> list[tuple[OidcClient, str]]:
    """Each site with a security events endpoint at a ministry where the person has a subject."""
    subjects: dict[str, str] = {
        ministry: subject
        for ministry, subject in session.execute(
            select(MinistryIdentity.ministry_key, MinistryIdentity.subject).where(
                MinistryIdentity.account_id == account_id
            )
        )
    }
    return [
        (client, subjects[client.ministry])
        for client in runtime.registry.clients
        if client.security_events_endpoint and client.ministry in subjects
    ]


def _rights_at(
    session: DbSession, runtime: Runtime, account: Account, client: OidcClient
) -> list[dict[str, Any]]:
    scopes = frozenset(client.scopes)
    details: list[dict[str, Any]] = []
    for held in enterprises_for(
        session, runtime.catalogue, account, client.ministry, runtime.today()
    ):
        enterprise = session.get(Enterprise, held.enterprise_id)
        if enterprise is None:
            continue
        identity = identity_from_rights(session, runtime, account, enterprise, held)
        details.extend(authorization_details(identity, scopes))
    return details


def _queue(
    session: DbSession,
    runtime: Runtime,
    client: OidcClient,
    account_id: int,
    subject: str,
    event_type: str,
    event: dict[str, Any],
) -> None:
    """One SET in the outbox, sent once the change is committed (idp/secevents/delivery.py).
    Several reports of one change in one transaction make one event: the last word stands."""
    queued: dict[tuple[str, int, str], SecurityEventDelivery]
    queued = session.info.setdefault(PENDING_KEY, {})
    key = (client.client_id, account_id, event_type)
    now = runtime.clock()
    token, jti = security_event_token(
        runtime, client, subject=subject, event_type=event_type, event=event, occurred_at=now
    )
    row = queued.get(key)
    if row is None:
        row = SecurityEventDelivery(
            client_id=client.client_id,
            account_id=account_id,
            event_type=event_type,
            created_at=now,
            attempts=0,
        )
        session.add(row)
        queued[key] = row
    row.jti, row.token, row.next_attempt_at = jti, token, now
    session.flush()
    if has_app_context():
        pending: set[int] = g.setdefault(PENDING_KEY, set())
        pending.add(row.id)


@orm_event.listens_for(Session, "after_commit")
@orm_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: object) -> None:
    """The next transaction's changes are new events."""
    session.info.pop(PENDING_KEY, None)
