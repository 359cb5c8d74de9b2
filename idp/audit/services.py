"""Recording audit events."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from idp.audit.chain import stream_for
from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction, Outcome
from idp.clock import Clock
from idp.db_types import DbSession

if TYPE_CHECKING:
    from idp.accounts.models import Account

# Details whose values are secrets: never written to the audit trail, whatever a caller
# passes. Any key naming a password, secret or token, and the bare one-time values.
_SECRET_KEY_PARTS = ("password", "secret", "token")
_SECRET_KEYS = frozenset({"code", "hash", "otp"})


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or any(part in lowered for part in _SECRET_KEY_PARTS)


_USER_AGENT_MAX = 512
logger = logging.getLogger("idp.audit")


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a request came from, captured by the view so services never read ``flask.request``."""

    ip: str | None = None
    user_agent: str | None = None


def record(
    session: DbSession,
    clock: Clock,
    action: AuditAction,
    outcome: Outcome = Outcome.SUCCESS,
    *,
    client: ClientInfo | None = None,
    actor_id: int | None = None,
    subject_id: int | None = None,
    enterprise_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller's transaction commits it); it takes its
    place in its stream's hash chain when the session flushes (idp/audit/chain.py)."""
    client = client or ClientInfo()
    event = AuditEvent(
        stream=stream_for(enterprise_id, subject_id, actor_id),
        occurred_at=clock(),
        actor_account_id=actor_id,
        subject_account_id=subject_id,
        enterprise_id=enterprise_id,
        action=str(action),
        outcome=str(outcome),
        client_ip=client.ip,
        user_agent=(client.user_agent or "")[:_USER_AGENT_MAX] or None,
        details={k: v for k, v in details.items() if not _is_secret_key(k)},
    )
    session.add(event)
    # The same facts go to the operational log (already free of secrets, see above).
    logger.info(
        "%s %s",
        event.action,
        event.outcome,
        extra={
            "audit": {
                "action": event.action,
                "outcome": event.outcome,
                "actor": actor_id,
                "subject": subject_id,
                "enterprise": enterprise_id,
                "client_ip": client.ip,
                **event.details,
            }
        },
    )
    return event


def record_own(
    session: DbSession,
    clock: Clock,
    action: AuditAction,
    account: Account,
    outcome: Outcome = Outcome.SUCCESS,
    *,
    client: ClientInfo | None = None,
    **details: Any,
) -> AuditEvent:
    """:func:`record` of what a person did to their own account: actor and subject are the
    account, the enterprise is its own."""
    return record(
        session,
        clock,
        action,
        outcome,
        client=client,
        actor_id=account.id,
        subject_id=account.id,
        enterprise_id=account.enterprise_id,
        **details,
    )
