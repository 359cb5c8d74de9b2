"""Creating and finding enterprises."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.clock import Clock
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise, EnterpriseStatus
from idp.errors import ConflictError, ValidationError
from idp.names import check_article

# ASCII digits only: `\d` would also take Arabic-Indic or full-width digits.
_NEQ = re.compile(r"[0-9]{10}")


def normalize_neq(raw: str) -> str:
    """The NEQ as 10 digits, accepting the spaces people type; raises if it is not 10 digits."""
    neq = re.sub(r"\s", "", raw or "")
    if not _NEQ.fullmatch(neq):
        raise ValidationError(_l("The Québec enterprise number (NEQ) has exactly 10 digits."))
    return neq


def create_enterprise(
    session: DbSession,
    clock: Clock,
    *,
    neq: str,
    legal_name: str,
    name_article: str = "",
    actor_id: int | None = None,
    client: ClientInfo | None = None,
) -> Enterprise:
    """Register an enterprise; its NEQ must be new."""
    neq = normalize_neq(neq)
    legal_name = (legal_name or "").strip()
    if not legal_name:
        raise ValidationError(_l("Enter the enterprise's legal name."))
    if check_article(legal_name, name_article):
        raise ValidationError(_l("This article does not fit the enterprise's legal name."))
    if find_by_neq(session, neq) is not None:
        raise ConflictError(_l("An enterprise with this NEQ already exists."))
    enterprise = Enterprise(
        neq=neq,
        legal_name=legal_name,
        name_article=name_article,
        status=EnterpriseStatus.ACTIVE,
        created_at=clock(),
    )
    session.add(enterprise)
    session.flush()
    record(
        session,
        clock,
        AuditAction.ENTERPRISE_CREATE,
        client=client,
        actor_id=actor_id,
        enterprise_id=enterprise.id,
        neq=neq,
    )
    return enterprise


def find_by_neq(session: DbSession, neq: str) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.neq == neq)).one_or_none()
