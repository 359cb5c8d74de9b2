"""Telling relying parties that a session or an access has ended (Back-Channel Logout 1.0).

Notifications are written to an outbox in the same transaction as the change that causes them
(a session ended, a proxy cancelled), then sent once that transaction has committed: right
after the request by :func:`register_delivery`, and again by ``idp lifecycle run`` for any a
relying party did not acknowledge. A session is ended here whether or not a site answers.
"""

from __future__ import annotations

from collections.abc import Iterable

import requests
from flask import Flask, g, has_app_context
from sqlalchemy import select
from werkzeug.wrappers import Response

from idp.accounts.models import UserSession
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.claims.subjects import pairwise_subject
from idp.db_types import DbSession
from idp.events import (
    CredentialsReset,
    EnterpriseChanged,
    Events,
    RightsChanged,
    RightsWithdrawn,
    SessionsEnded,
)
from idp.extensions import db
from idp.oidc import issuance
from idp.oidc.backchannel import deliver, logout_token
from idp.oidc.issuance import RevokeReason
from idp.oidc.models import Grant, LogoutNotification
from idp.proxies.rights import accounts_acting_for
from idp.runtime import Runtime

# Gives up on a relying party that never answers after this many tries.
MAX_ATTEMPTS = 5
_PENDING_KEY = "idp_pending_logouts"


def on_sessions_ended(session: DbSession, runtime: Runtime, session_ids: Iterable[int]) -> None:
    """Sessions have ended: revoke their grants and notify every site that took part."""
    ids = list(session_ids)
    if not ids:
        return
    # Grants already ended (rights lost, revoked by the site) were notified when they ended.
    grants = list(
        session.scalars(select(Grant).where(Grant.session_id.in_(ids), Grant.revoked_at.is_(None)))
    )
    issuance.revoke_session_grants(session, runtime, ids)
    _queue(session, runtime, grants)


def end_account_grants(session: DbSession, runtime: Runtime, account_id: int, reason: str) -> int:
    """Revoke every live grant of an account, offline ones included (its password was reset:
    nothing obtained before may go on), and notify the sites. Returns how many ended."""
    grants = list(
        session.scalars(
            select(Grant).where(Grant.account_id == account_id, Grant.revoked_at.is_(None))
        )
    )
    for grant in grants:
        issuance.revoke_grant(session, runtime, grant, reason)
    _queue(session, runtime, grants)
    return len(grants)


def on_rights_changed(
    session: DbSession, runtime: Runtime, account_ids: Iterable[int] | None = None
) -> int:
    """Re-check live grants (of some accounts, or all); end those whose basis is gone.

    Called when a proxy is cancelled or an assignment withdrawn, and by the lifecycle job for
    proxies that expired. Returns how many grants ended.
    """
    query = select(Grant).where(Grant.revoked_at.is_(None), Grant.account_id.is_not(None))
    if account_ids is not None:
        ids = list(account_ids)
        if not ids:
            return 0
        query = query.where(Grant.account_id.in_(ids))
    ended = []
    for grant in session.scalars(query):
        client = runtime.registry.client(grant.client_id)
        if not issuance.check_grant(session, runtime, grant, client).usable:
            issuance.revoke_grant(session, runtime, grant, RevokeReason.RIGHTS_LOST)
            ended.append(grant)
    _queue(session, runtime, ended)
    return len(ended)


def on_enterprise_changed(session: DbSession, runtime: Runtime, enterprise_id: int) -> int:
    """An enterprise's standing or one of its registrations changed: re-check the grants of its
    staff and of everyone acting for it under its proxies; end those it no longer supports."""
    return on_rights_changed(session, runtime, accounts_acting_for(session, enterprise_id))


def subscribe(events: Events) -> None:
    """Grants revoked and sites told when a domain reports a change (idp/events.py)."""
    events.subscribe(SessionsEnded, _sessions_ended)
    events.subscribe(RightsChanged, _rights_changed)
    events.subscribe(RightsWithdrawn, _rights_withdrawn)
    events.subscribe(EnterpriseChanged, _enterprise_changed)
    events.subscribe(CredentialsReset, _credentials_reset)


def _sessions_ended(session: DbSession, runtime: Runtime, event: SessionsEnded) -> None:
    on_sessions_ended(session, runtime, event.session_ids)


def _rights_changed(session: DbSession, runtime: Runtime, event: RightsChanged) -> int:
    return on_rights_changed(session, runtime, event.account_ids)


def _rights_withdrawn(session: DbSession, runtime: Runtime, event: RightsWithdrawn) -> int:
    """End the holders' live grants for that enterprise at those ministries, whatever right
    remains: their tokens carry the rights as they were."""
    if not event.account_ids or not event.ministry_keys:
        return 0
    grants = list(
        session.scalars(
            select(Grant).where(
                Grant.revoked_at.is_(None),
                Grant.account_id.in_(event.account_ids),
                Grant.enterprise_id == event.enterprise_id,
                Grant.ministry_key.in_(event.ministry_keys),
            )
        )
    )
    for grant in grants:
        issuance.revoke_grant(session, runtime, grant, RevokeReason.RIGHTS_LOST)
    _queue(session, runtime, grants)
    return len(grants)


def _enterprise_changed(session: DbSession, runtime: Runtime, event: EnterpriseChanged) -> int:
    return on_enterprise_changed(session, runtime, event.enterprise_id)


def _credentials_reset(session: DbSession, runtime: Runtime, event: CredentialsReset) -> int:
    return end_account_grants(session, runtime, event.account_id, event.cause)


def _queue(session: DbSession, runtime: Runtime, grants: list[Grant]) -> None:
    seen: set[tuple[str, int]] = set()
    queued: list[LogoutNotification] = []
    now = runtime.clock()
    for grant in grants:
        if grant.session_id is None or grant.account_id is None:
            continue
        key = (grant.client_id, grant.session_id)
        client = runtime.registry.client(grant.client_id)
        if key in seen or client is None or not client.backchannel_logout_uri:
            continue
        seen.add(key)
        user_session = session.get(UserSession, grant.session_id)
        if user_session is None:
            continue
        notification = LogoutNotification(
            client_id=grant.client_id,
            account_id=grant.account_id,
            ministry_key=grant.ministry_key,
            sid=user_session.sid,
            created_at=now,
            attempts=0,
        )
        session.add(notification)
        queued.append(notification)
    if queued:
        session.flush()
        if has_app_context():
            g.setdefault(_PENDING_KEY, []).extend(n.id for n in queued)


def deliver_pending(
    session: DbSession,
    runtime: Runtime,
    ids: list[int] | None = None,
    http: requests.Session | None = None,
) -> list[LogoutNotification]:
    """Send undelivered notifications (those of ``ids``, or all); returns those tried."""
    query = (
        select(LogoutNotification)
        .where(
            LogoutNotification.delivered_at.is_(None),
            LogoutNotification.attempts < MAX_ATTEMPTS,
        )
        .order_by(LogoutNotification.id)
    )
    if ids is not None:
        query = query.where(LogoutNotification.id.in_(ids))
    pending = list(session.scalars(query))
    for notification in pending:
        client = runtime.registry.client(notification.client_id)
        notification.attempts += 1
        if client is None:
            notification.last_error = "relying party no longer registered"
            notification.attempts = MAX_ATTEMPTS
            continue
        subject = pairwise_subject(
            session, runtime, notification.account_id, notification.ministry_key
        )
        token = logout_token(runtime, client, subject=subject, sid=notification.sid)
        delivery = deliver(token, client, http)
        if delivery.delivered:
            notification.delivered_at = runtime.clock()
            notification.last_error = None
        else:
            notification.last_error = delivery.detail[:200]
        record(
            session,
            runtime.clock,
            AuditAction.OIDC_BACKCHANNEL_LOGOUT,
            Outcome.SUCCESS if delivery.delivered else Outcome.FAILURE,
            subject_id=notification.account_id,
            relying_party=notification.client_id,
            sid=notification.sid,
            detail=delivery.detail,
        )
    session.commit()
    return pending


def register_delivery(app: Flask) -> None:
    """Send the notifications a request queued once its changes are committed."""

    @app.after_request
    def _deliver(response: Response) -> Response:
        ids = g.pop(_PENDING_KEY, None)
        if ids:
            # What the view did not commit is dropped, as the end of the request would;
            # notifications queued in an uncommitted transaction vanish with it.
            db.session.rollback()
            deliver_pending(db.session, app.extensions["idp.runtime"], ids)
        return response
