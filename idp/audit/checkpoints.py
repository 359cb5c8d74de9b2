"""Signed checkpoints: each stream's head, signed with the provider's current EC key.

A checkpoint is a compact JWS (RFC 7515) whose payload is ``{"stream", "seq", "hash",
"made_at"}``, kept in ``audit_checkpoints`` with the ``kid`` of the key that signed it. Anyone
holding the provider's public keys (the JWKS, or an archived copy of it for keys rotated away)
can check it; nobody without the private key can make one. The chain must pass through every
checkpoint: rewriting events up to a checkpoint, or cutting the chain short of it, shows.

Made by ``idp audit checkpoint`` and at the end of ``idp lifecycle run``; a stream whose head
has not moved since its last checkpoint gets no new one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import func, select

from idp.audit.chain import canonical_json
from idp.audit.models import AuditCheckpoint, AuditStreamHead
from idp.clock import Clock
from idp.db_types import DbSession
from idp.keystore import KeyStore, SigningKey

# ES256: short signatures, fast to make for thousands of streams.
CHECKPOINT_ALGORITHM = "ES256"
CHECKPOINT_ALGORITHMS = ["ES256", "RS256", "PS256"]
CHECKPOINT_TYPE = "idp-audit-checkpoint"

logger = logging.getLogger("idp.audit")


def make_checkpoints(session: DbSession, clock: Clock, keystore: KeyStore) -> list[AuditCheckpoint]:
    """Sign the head of every stream that moved since its last checkpoint (added, not committed)."""
    last_signed = select(AuditCheckpoint.stream, func.max(AuditCheckpoint.seq)).group_by(
        AuditCheckpoint.stream
    )
    signed_up_to = {stream: int(seq) for stream, seq in session.execute(last_signed)}
    key = keystore.signing_key(CHECKPOINT_ALGORITHM)
    now = clock()
    made = []
    for head in session.scalars(select(AuditStreamHead).order_by(AuditStreamHead.stream)):
        if head.seq <= signed_up_to.get(head.stream, 0):
            continue
        checkpoint = AuditCheckpoint(
            stream=head.stream, seq=head.seq, hash=head.hash, made_at=now, kid=key.kid
        )
        checkpoint.signature = jws.serialize_compact(
            {"alg": CHECKPOINT_ALGORITHM, "kid": key.kid, "typ": CHECKPOINT_TYPE},
            canonical_json(_payload(checkpoint)),
            key.key,
            algorithms=[CHECKPOINT_ALGORITHM],
        )
        session.add(checkpoint)
        made.append(checkpoint)
        # A copy leaves the database with the logs: deleting checkpoint rows then shows too.
        logger.info(
            "audit checkpoint %s %s",
            checkpoint.stream,
            checkpoint.seq,
            extra={"checkpoint": {**_payload(checkpoint), "jws": checkpoint.signature}},
        )
    return made


def _payload(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {
        "stream": checkpoint.stream,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "made_at": _iso(checkpoint.made_at),
    }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def signature_problem(checkpoint: AuditCheckpoint, keys: Mapping[str, SigningKey]) -> str | None:
    """Why the checkpoint's signature does not vouch for its row, or None when it does."""
    key = keys.get(checkpoint.kid)
    if key is None:
        return f"signed by key {checkpoint.kid}, which is not among the trusted public keys"
    try:
        signed = jws.deserialize_compact(
            checkpoint.signature, key, algorithms=CHECKPOINT_ALGORITHMS
        )
    except (JoseError, ValueError) as exc:
        return f"signature does not verify with key {checkpoint.kid} ({exc})"
    if signed.headers().get("kid") != checkpoint.kid:
        return "signed under another kid than the row says"
    try:
        payload = json.loads(signed.payload)
    except ValueError:
        return "signed payload is not JSON"
    if payload != _payload(checkpoint):
        return "signed payload differs from the row (stream, seq, hash or made_at changed)"
    return None


def trusted_keys(keystore: KeyStore, jwks_documents: list[dict[str, Any]]) -> dict[str, SigningKey]:
    """The public keys checkpoints may be signed with, by kid: every key of the keystore
    (retired ones included) and those of archived JWKS documents (keys since removed)."""
    keys: dict[str, SigningKey] = {}
    for document in jwks_documents:
        for jwk in document.get("keys", []):
            kid = jwk.get("kid")
            if kid and jwk.get("kty") in ("RSA", "EC"):
                keys[kid] = (RSAKey if jwk["kty"] == "RSA" else ECKey).import_key(jwk)
    for entry in keystore.entries:
        keys[entry.kid] = entry.key
    return keys
