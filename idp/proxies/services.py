"""Creating, changing, extending, cancelling and assigning proxies."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from idp.accounts.models import Account
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.enterprises.policies import can_manage
from idp.enterprises.services import find_by_neq, normalize_neq
from idp.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from idp.events import RightsChanged, RightsWithdrawn, publish
from idp.mailbox.notices import (
    notify_proxy_assigned,
    notify_proxy_changed,
    notify_proxy_received,
    notify_proxy_withdrawn,
)
from idp.mfa.step_up import require_recent_code
from idp.ministries.services import active_ministry_keys
from idp.proxies.models import (
    Proxy,
    ProxyAssignment,
    ProxyKind,
    ProxyMinistry,
    ProxyRight,
    ProxyStatus,
)
from idp.proxies.policies import (
    Grants,
    ProxyChange,
    assigning_enterprise_id,
    can_unassign,
    grants_of,
    is_sensitive,
    loses_rights,
    lost_at,
)
from idp.proxies.validity import check_end_date
from idp.runtime import Runtime

UNRESTRICTED = "*"


@dataclass(frozen=True)
class MinistryGrant:
    """What the new proxy gives at one ministry: ``rights`` is ignored when unrestricted."""

    ministry_key: str
    unrestricted: bool
    rights: frozenset[str] = frozenset()


def create_proxy(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    *,
    enterprise_id: int,
    kind: ProxyKind,
    ends_on: date,
    description: str,
    grants: Collection[MinistryGrant],
    agent_identifier: str | None = None,
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> Proxy:
    """An ESM creates an internal or external proxy for its enterprise.

    An external proxy, or one « Sans restriction », is sensitive: it needs the emailed code
    entered within the last 10 minutes (``verified_at``).
    """
    if not can_manage(actor, enterprise_id):
        raise ForbiddenError()
    today = runtime.today()
    check_end_date(ends_on, today)
    description = (description or "").strip()
    if not description:
        raise ValidationError(
            _l("Describe the proxy, for example who it is for."), field="description"
        )
    agent = _agent(session, kind, agent_identifier, enterprise_id)
    _check_grants(session, runtime, enterprise_id, grants)
    if is_sensitive(ProxyChange.creation(kind, as_grants(grants), ends_on)):
        require_recent_code(runtime, verified_at)
    proxy = Proxy(
        enterprise_id=enterprise_id,
        kind=kind,
        agent_enterprise_id=agent.id if agent else None,
        description=description,
        starts_on=today,
        ends_on=ends_on,
        status=ProxyStatus.ACTIVE,
        created_at=runtime.clock(),
        created_by_id=actor.id,
        ministries=[
            ProxyMinistry(
                ministry_key=g.ministry_key,
                unrestricted=g.unrestricted,
                rights=[] if g.unrestricted else [ProxyRight(right_id=r) for r in sorted(g.rights)],
            )
            for g in grants
        ],
    )
    session.add(proxy)
    session.flush()
    record(
        session,
        runtime.clock,
        AuditAction.PROXY_CREATE,
        client=client,
        actor_id=actor.id,
        enterprise_id=enterprise_id,
        proxy_id=proxy.id,
        kind=str(kind),
        agent_enterprise_id=proxy.agent_enterprise_id,
        ends_on=ends_on.isoformat(),
        grants=_audit_grants(as_grants(grants)),
    )
    if agent is not None:
        notify_proxy_received(session, runtime, proxy, agent)
    return proxy


def as_grants(grants: Collection[MinistryGrant]) -> Grants:
    return {g.ministry_key: None if g.unrestricted else frozenset(g.rights) for g in grants}


def _audit_grants(grants: Grants) -> dict[str, str | list[str]]:
    return {
        key: UNRESTRICTED if rights is None else sorted(rights) for key, rights in grants.items()
    }


def _agent(
    session: DbSession, kind: ProxyKind, identifier: str | None, enterprise_id: int
) -> Enterprise | None:
    if kind == ProxyKind.INTERNAL:
        return None
    try:
        neq = normalize_neq(identifier or "")
    except ValidationError as exc:
        exc.details["field"] = "agent_identifier"
        raise
    agent = find_by_neq(session, neq)
    if agent is None:
        raise ValidationError(_l("No enterprise has this identifier."), field="agent_identifier")
    if agent.id == enterprise_id:
        raise ValidationError(
            _l(
                "An external proxy is given to another enterprise; use an internal proxy for "
                "your own staff."
            ),
            field="agent_identifier",
        )
    return agent


def _check_grants(
    session: DbSession, runtime: Runtime, enterprise_id: int, grants: Collection[MinistryGrant]
) -> None:
    if not grants:
        raise ValidationError(_l("Choose at least one ministry."), field="grants")
    active = active_ministry_keys(session, enterprise_id)
    seen: set[str] = set()
    for grant in grants:
        ministry = runtime.catalogue.ministry(grant.ministry_key)
        if ministry is None or grant.ministry_key not in active:
            raise ValidationError(
                _l("The enterprise is not active at this ministry."), field="grants"
            )
        if grant.ministry_key in seen:
            raise ValidationError(_l("A ministry appears twice."), field="grants")
        seen.add(grant.ministry_key)
        if not grant.unrestricted and (not grant.rights or grant.rights - ministry.right_ids):
            raise ValidationError(
                _l("Choose rights of this ministry, or « Without restriction »."), field="grants"
            )


def change_end_date(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    proxy: Proxy,
    ends_on: date,
    *,
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> None:
    """Move the end date of a proxy still in force; the limit counts from the day of the change.

    Extending an external proxy is sensitive (``verified_at`` within 10 minutes).
    """
    if not can_manage(actor, proxy.enterprise_id):
        raise ForbiddenError()
    today = runtime.today()
    if not proxy.is_in_force(today):
        raise ConflictError(_l("An expired or cancelled proxy cannot be changed."))
    check_end_date(ends_on, today)
    rights = grants_of(proxy)
    if is_sensitive(ProxyChange(proxy.kind, rights, rights, proxy.ends_on, ends_on)):
        require_recent_code(runtime, verified_at)
    previous = proxy.ends_on
    proxy.ends_on = ends_on
    record(
        session,
        runtime.clock,
        AuditAction.PROXY_EXTEND,
        client=client,
        actor_id=actor.id,
        enterprise_id=proxy.enterprise_id,
        proxy_id=proxy.id,
        previous=previous.isoformat(),
        ends_on=ends_on.isoformat(),
    )


def change_proxy(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    proxy: Proxy,
    *,
    description: str,
    grants: Collection[MinistryGrant],
    verified_at: datetime | None = None,
    client: ClientInfo | None = None,
) -> ProxyChange:
    """Edit what a proxy in force gives and its description (seeds 001, 004: « the functional
    blocks chosen can be changed later »); its kind, agent and end date stay.

    A change that gives more to another enterprise, or « Sans restriction » where it was not, is
    sensitive (:func:`idp.proxies.policies.is_sensitive`). Rights lost reach the holders' sites at
    once (their grants are revoked, back-channel logout); rights added apply at their next
    sign-in or token refresh. The holders, and for an external proxy the agent's ESMs, are told
    in their mailbox.
    """
    if not can_manage(actor, proxy.enterprise_id):
        raise ForbiddenError()
    if not proxy.is_in_force(runtime.today()):
        raise ConflictError(_l("An expired or cancelled proxy cannot be changed."))
    description = (description or "").strip()
    if not description:
        raise ValidationError(
            _l("Describe the proxy, for example who it is for."), field="description"
        )
    _check_grants(session, runtime, proxy.enterprise_id, grants)
    change = ProxyChange(proxy.kind, grants_of(proxy), as_grants(grants))
    previous_description = proxy.description
    if change.before == change.after and description == previous_description:
        raise ValidationError(_l("Nothing was changed."), field="grants")
    if is_sensitive(change):
        require_recent_code(runtime, verified_at)
    _replace_grants(proxy, change.after)
    proxy.description = description
    session.flush()
    holders = list(
        session.scalars(
            select(ProxyAssignment.account_id).where(ProxyAssignment.proxy_id == proxy.id)
        )
    )
    if loses_rights(change):
        publish(
            session,
            runtime,
            RightsWithdrawn(tuple(holders), proxy.enterprise_id, lost_at(change)),
        )
    record(
        session,
        runtime.clock,
        AuditAction.PROXY_CHANGE,
        client=client,
        actor_id=actor.id,
        enterprise_id=proxy.enterprise_id,
        proxy_id=proxy.id,
        before=_audit_grants(change.before),
        after=_audit_grants(change.after),
        description_before=previous_description,
        description_after=description,
    )
    if change.before != change.after:
        notify_proxy_changed(session, runtime, proxy, holders)
    return change


def _replace_grants(proxy: Proxy, after: Grants) -> None:
    """Row by row, so that no (proxy, ministry) or (ministry, right) pair is deleted and
    inserted again in one flush (the unique constraints would see both)."""
    for ministry in list(proxy.ministries):
        if ministry.ministry_key not in after:
            proxy.ministries.remove(ministry)
    present = {m.ministry_key: m for m in proxy.ministries}
    for key, rights in after.items():
        found = present.get(key)
        if found is None:
            ministry = ProxyMinistry(ministry_key=key, unrestricted=False, rights=[])
            proxy.ministries.append(ministry)
        else:
            ministry = found
        ministry.unrestricted = rights is None
        wanted = frozenset() if rights is None else rights
        for right in list(ministry.rights):
            if right.right_id not in wanted:
                ministry.rights.remove(right)
        for right_id in sorted(wanted - ministry.right_ids):
            ministry.rights.append(ProxyRight(right_id=right_id))


def cancel_proxy(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    proxy: Proxy,
    *,
    client: ClientInfo | None = None,
) -> int:
    """Cancel a proxy: it grants nothing from now on, and its assignments are withdrawn."""
    if not can_manage(actor, proxy.enterprise_id):
        raise ForbiddenError()
    if proxy.status == ProxyStatus.CANCELLED:
        raise ConflictError(_l("This proxy is already cancelled."))
    proxy.status = ProxyStatus.CANCELLED
    proxy.cancelled_at = runtime.clock()
    holders = list(
        session.scalars(
            select(ProxyAssignment.account_id).where(ProxyAssignment.proxy_id == proxy.id)
        )
    )
    result = session.execute(delete(ProxyAssignment).where(ProxyAssignment.proxy_id == proxy.id))
    withdrawn = int(getattr(result, "rowcount", 0) or 0)
    session.flush()
    # Sites signed in on this proxy lose their tokens and hear of it (back-channel logout).
    publish(session, runtime, RightsChanged(tuple(holders)))
    record(
        session,
        runtime.clock,
        AuditAction.PROXY_CANCEL,
        client=client,
        actor_id=actor.id,
        enterprise_id=proxy.enterprise_id,
        proxy_id=proxy.id,
        assignments_withdrawn=withdrawn,
    )
    return withdrawn


def assign_proxy(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    proxy: Proxy,
    account_ids: Collection[int],
    *,
    client: ClientInfo | None = None,
) -> list[ProxyAssignment]:
    """Give the proxy to accounts of the assigning enterprise that hold none from the mandator."""
    holder_enterprise = assigning_enterprise_id(proxy)
    if not can_manage(actor, holder_enterprise):
        raise ForbiddenError()
    today = runtime.today()
    if not proxy.is_in_force(today):
        raise ConflictError(_l("An expired or cancelled proxy cannot be assigned."))
    if not account_ids:
        raise ValidationError(_l("Choose at least one user."), field="account_ids")
    accounts = session.scalars(select(Account).where(Account.id.in_(account_ids))).all()
    if len(accounts) != len(set(account_ids)) or any(
        a.enterprise_id != holder_enterprise for a in accounts
    ):
        raise ForbiddenError()
    _release_dead_assignments(session, proxy.enterprise_id, account_ids, today)
    created = []
    for account in accounts:
        assignment = ProxyAssignment(
            proxy_id=proxy.id,
            proxy=proxy,
            account_id=account.id,
            mandator_enterprise_id=proxy.enterprise_id,
            assigned_at=runtime.clock(),
            assigned_by_id=actor.id,
        )
        session.add(assignment)
        created.append(assignment)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(_l("A user already holds a proxy from this enterprise.")) from exc
    for assignment in created:
        record(
            session,
            runtime.clock,
            AuditAction.PROXY_ASSIGN,
            client=client,
            actor_id=actor.id,
            subject_id=assignment.account_id,
            enterprise_id=proxy.enterprise_id,
            proxy_id=proxy.id,
        )
        notify_proxy_assigned(session, runtime, proxy, assignment.account_id)
    return created


def _release_dead_assignments(
    session: DbSession, mandator_id: int, account_ids: Collection[int], today: date
) -> None:
    """An assignment to an expired proxy holds nothing: it makes way for a new one."""
    stale = session.scalars(
        select(ProxyAssignment).where(
            ProxyAssignment.mandator_enterprise_id == mandator_id,
            ProxyAssignment.account_id.in_(account_ids),
        )
    ).all()
    for assignment in stale:
        if not assignment.proxy.is_in_force(today):
            session.delete(assignment)
    session.flush()


def unassign_proxy(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    assignment: ProxyAssignment,
    *,
    client: ClientInfo | None = None,
) -> None:
    """Withdraw one assignment (the mandator's or the assigning enterprise's ESM may)."""
    proxy = assignment.proxy
    if not can_unassign(actor, proxy):
        raise ForbiddenError()
    session.delete(assignment)
    session.flush()
    publish(session, runtime, RightsChanged((assignment.account_id,)))
    record(
        session,
        runtime.clock,
        AuditAction.PROXY_UNASSIGN,
        client=client,
        actor_id=actor.id,
        subject_id=assignment.account_id,
        enterprise_id=proxy.enterprise_id,
        proxy_id=proxy.id,
    )
    notify_proxy_withdrawn(session, runtime, proxy, assignment.account_id)


def find_proxy(session: DbSession, proxy_id: int) -> Proxy:
    proxy = session.get(Proxy, proxy_id)
    if proxy is None:
        raise NotFoundError()
    return proxy
