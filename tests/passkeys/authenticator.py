"""A software authenticator for the tests: it makes real WebAuthn answers (ES256 keys, "none"
attestation, signed assertions) that the provider checks with py_webauthn, as a phone or a
security key would. Test code only: the provider itself never builds CBOR or signatures.

It can also misbehave on purpose: answer for another origin, send its counter backwards.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftwareAuthenticator:
    origin: str = "http://localhost"
    credentials: list[Credential] = field(default_factory=list)
    # False: the person did not unlock it (no user verification).
    verifies_user: bool = True

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> str:
        """navigator.credentials.create: a new key pair, and the attestation JSON."""
        rp_id = options["rp"]["id"]
        credential = Credential(
            credential_id=secrets.token_bytes(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=base64url_to_bytes(options["user"]["id"]),
        )
        self.credentials.append(credential)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        numbers = credential.key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = (
            bytes(16)
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + cose_key
        )
        auth_data = (
            self._auth_data(rp_id, UP | (UV if self.verifies_user else 0) | AT, 0) + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        identifier = bytes_to_base64url(credential.credential_id)
        return json.dumps(
            {
                "id": identifier,
                "rawId": identifier,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {},
            }
        )

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        credential: Credential | None = None,
        sign_count: int | None = None,
    ) -> str:
        """navigator.credentials.get: an assertion by ``credential`` (else the first allowed or
        held for the relying party)."""
        chosen = credential or self._choose(options)
        if sign_count is None:
            chosen.sign_count += 1
            sign_count = chosen.sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(
            chosen.rp_id, UP | (UV if self.verifies_user else 0), sign_count
        )
        signature = chosen.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        identifier = bytes_to_base64url(chosen.credential_id)
        return json.dumps(
            {
                "id": identifier,
                "rawId": identifier,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": bytes_to_base64url(chosen.user_handle),
                },
                "clientExtensionResults": {},
            }
        )

    def _choose(self, options: dict[str, Any]) -> Credential:
        allowed = {item["id"] for item in options.get("allowCredentials") or []}
        for credential in self.credentials:
            if not allowed or bytes_to_base64url(credential.credential_id) in allowed:
                return credential
        raise AssertionError("no credential for these options")

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    @staticmethod
    def _auth_data(rp_id: str, flags: int, sign_count: int) -> bytes:
        return (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)
        )
