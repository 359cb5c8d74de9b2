"""The relying parties a person signed in to from each browser session, whatever the protocol:
OpenID Connect grants bound to the session, and SAML service providers that received an
assertion in it (the participants of its single logout)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from idp.db_types import DbSession
from idp.oidc.models import Grant
from idp.relying_parties import Registry
from idp.saml.models import SamlParticipant


def sites_by_session(
    session: DbSession, registry: Registry, session_ids: Sequence[int], language: str
) -> dict[int, list[str]]:
    """Each session's sites by name, sorted; two statements whatever the number of sessions."""
    if not session_ids:
        return {}
    found: dict[int, set[str]] = {}
    grants = session.execute(
        select(Grant.session_id, Grant.client_id)
        .where(Grant.session_id.in_(session_ids), Grant.revoked_at.is_(None))
        .distinct()
    )
    for session_id, client_id in grants:
        client = registry.client(client_id)
        if session_id is not None:
            found.setdefault(session_id, set()).add(client.name(language) if client else client_id)
    participants = session.execute(
        select(SamlParticipant.session_id, SamlParticipant.sp_entity_id).where(
            SamlParticipant.session_id.in_(session_ids)
        )
    )
    for session_id, entity_id in participants:
        provider = registry.service_provider(entity_id)
        found.setdefault(session_id, set()).add(provider.name(language) if provider else entity_id)
    return {session_id: sorted(names) for session_id, names in found.items()}
