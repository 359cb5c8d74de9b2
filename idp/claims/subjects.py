"""Pairwise subjects (OIDC Core 8.1): the relying parties of one ministry see the same ``sub``
for a person, two ministries never do. The SAML persistent NameID is the same value."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.claims.models import MinistryIdentity
from idp.db_types import DbSession
from idp.runtime import Runtime


def pairwise_subject(
    session: DbSession, runtime: Runtime, account_id: int, ministry_key: str
) -> str:
    """The account's subject at the ministry, made on first use."""
    existing = _find(session, account_id, ministry_key)
    if existing is not None:
        return existing
    identity = MinistryIdentity(
        account_id=account_id,
        ministry_key=ministry_key,
        subject=secrets.token_urlsafe(32),
        created_at=runtime.clock(),
    )
    try:
        # A savepoint: two first sign-ins at once may race; the loser reads the winner's row.
        with session.begin_nested():
            session.add(identity)
    except IntegrityError:
        found = _find(session, account_id, ministry_key)
        if found is None:
            raise
        return found
    return identity.subject


def _find(session: DbSession, account_id: int, ministry_key: str) -> str | None:
    return session.scalar(
        select(MinistryIdentity.subject).where(
            MinistryIdentity.account_id == account_id,
            MinistryIdentity.ministry_key == ministry_key,
        )
    )
