"""Passkey ceremonies with py_webauthn: registering one to an account, proving a sign-in with one,
listing and removing them.

- The relying party id is the issuer's host and the only origin accepted is the issuer's: a
  passkey made here answers no other site, and an answer made on another site is refused here
  (what makes passkeys phishing-resistant, unlike a code a person can be led to type anywhere).
- User verification (PIN, fingerprint, face) is required at registration and at each use, so a
  passkey alone is two factors: the device held, and the person unlocking it.
- Each challenge is stored here and used once (:class:`PasskeyChallenge`); an answer replayed, or
  made for another challenge, is refused.
- The signature counter must grow when the authenticator keeps one; a counter going back means a
  cloned authenticator and the assertion is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp.accounts.models import Account
from idp.audit.services import ClientInfo, record, record_own
from idp.audit.tags import AuditAction, Outcome
from idp.db_types import DbSession
from idp.errors import ForbiddenError, NotFoundError, ValidationError
from idp.events import CredentialsChanged, publish
from idp.mfa.step_up import require_recent_code
from idp.passkeys.models import Passkey, PasskeyChallenge
from idp.runtime import Runtime

CHALLENGE_SECONDS = 300
NAME_MAX = 64
MAX_PASSKEYS = 10
# CAEP's credential type of a passkey (a platform or roaming FIDO2 authenticator alike).
PASSKEY_CREDENTIAL = "fido2-platform"
REGISTER, SIGN_IN, PASSKEY_ONLY = "register", "sign_in", "passkey_only"
_REFUSED = _l("This passkey could not be used. Try again, or use the emailed code.")


class PasskeyRefusedError(ValidationError):
    """The browser's answer did not prove what it should (wrong site, replay, unknown key)."""


@dataclass(frozen=True)
class Ceremony:
    """What the page hands to the browser (``navigator.credentials``), as JSON."""

    options_json: str


def relying_party(runtime: Runtime) -> tuple[str, str]:
    """The relying party id (the issuer's host) and the one origin accepted."""
    parts = urlsplit(runtime.settings.issuer)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def user_handle(runtime: Runtime, account_id: int) -> bytes:
    """The opaque id an authenticator keeps for the account: no user code, no name, nothing
    another site could link (WebAuthn's user.id)."""
    return hmac.new(
        runtime.code_key, f"passkey-user:{account_id}".encode(), hashlib.sha256
    ).digest()


def passkeys_of(session: DbSession, account_id: int) -> list[Passkey]:
    return list(
        session.scalars(
            select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.id)
        )
    )


def has_passkey(session: DbSession, account_id: int) -> bool:
    found = session.scalar(
        select(func.count()).select_from(Passkey).where(Passkey.account_id == account_id)
    )
    return bool(found)


# -- challenges ------------------------------------------------------------------------------------


def _new_challenge(
    session: DbSession, runtime: Runtime, purpose: str, account_id: int | None
) -> bytes:
    challenge = secrets.token_bytes(32)
    now = runtime.clock()
    # Expired challenges of anyone go with each new one: the table stays the size of the
    # ceremonies under way.
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
    session.add(
        PasskeyChallenge(
            challenge=bytes_to_base64url(challenge),
            purpose=purpose,
            account_id=account_id,
            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    return challenge


def _client_challenge(credential_json: str) -> str:
    """The challenge the browser signed, read from its clientDataJSON (verified again by
    py_webauthn against the one we hand it)."""
    try:
        credential = json.loads(credential_json)
        client_data = base64url_to_bytes(credential["response"]["clientDataJSON"])
        challenge = json.loads(client_data)["challenge"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefusedError(_REFUSED) from exc
    if not isinstance(challenge, str):
        raise PasskeyRefusedError(_REFUSED)
    return challenge


def _use_challenge(
    session: DbSession, runtime: Runtime, credential_json: str, purpose: str, account_id: int | None
) -> bytes:
    """The stored challenge this answer was made for, deleted in the same statement: of two
    answers to one challenge, one only goes on."""
    encoded = _client_challenge(credential_json)
    conditions = [
        PasskeyChallenge.challenge == encoded,
        PasskeyChallenge.purpose == purpose,
        PasskeyChallenge.expires_at >= runtime.clock(),
    ]
    if account_id is not None:
        conditions.append(PasskeyChallenge.account_id == account_id)
    result = session.execute(delete(PasskeyChallenge).where(*conditions))
    if not getattr(result, "rowcount", 0):
        raise PasskeyRefusedError(_REFUSED)
    return base64url_to_bytes(encoded)


# -- registration ----------------------------------------------------------------------------------


def start_registration(session: DbSession, runtime: Runtime, account: Account) -> Ceremony:
    rp_id, _origin = relying_party(runtime)
    challenge = _new_challenge(session, runtime, REGISTER, account.id)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="clicSÉQUR",
        user_id=user_handle(runtime, account.id),
        user_name=account.user_code,
        user_display_name=account.display_name,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in passkeys_of(session, account.id)
        ],
    )
    return Ceremony(options_to_json(options))


def register(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    *,
    name: str,
    credential_json: str,
    verified_at: datetime | None,
    client: ClientInfo | None = None,
) -> Passkey:
    """Add a passkey to the account: the emailed code entered within the step-up window first
    (whoever holds a stolen session must not add their own key)."""
    require_recent_code(runtime, verified_at)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_l("Name the passkey, for example « Téléphone »."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(_l("At most %(max)d characters.", max=NAME_MAX), field="name")
    if len(passkeys_of(session, account.id)) >= MAX_PASSKEYS:
        raise ValidationError(
            _l("An account has at most %(max)d passkeys.", max=MAX_PASSKEYS), field="name"
        )
    challenge = _use_challenge(session, runtime, credential_json, REGISTER, account.id)
    rp_id, origin = relying_party(runtime)
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, InvalidCBORData) as exc:
        raise PasskeyRefusedError(_REFUSED) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyRefusedError(_l("This passkey is already registered."))
    passkey = Passkey(
        account_id=account.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        backed_up=verified.credential_backed_up,
        created_at=runtime.clock(),
    )
    session.add(passkey)
    session.flush()
    _audit(session, runtime, AuditAction.PASSKEY_ADD, account, passkey, client)
    publish(session, runtime, CredentialsChanged(account.id, PASSKEY_CREDENTIAL, "create"))
    return passkey


def remove(
    session: DbSession,
    runtime: Runtime,
    account: Account,
    passkey_id: int,
    *,
    verified_at: datetime | None,
    client: ClientInfo | None = None,
) -> Passkey:
    """Remove one of the account's passkeys (step-up first); the emailed code stays."""
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.account_id != account.id:
        raise NotFoundError()
    require_recent_code(runtime, verified_at)
    session.delete(passkey)
    session.flush()
    _audit(session, runtime, AuditAction.PASSKEY_REMOVE, account, passkey, client)
    publish(session, runtime, CredentialsChanged(account.id, PASSKEY_CREDENTIAL, "delete"))
    return passkey


# -- sign-in ---------------------------------------------------------------------------------------


def start_sign_in(session: DbSession, runtime: Runtime, account: Account | None) -> Ceremony:
    """After the password (``account``: its passkeys are offered), or with no user code typed
    (``None``: the browser offers the passkeys it holds for this site)."""
    rp_id, _origin = relying_party(runtime)
    purpose = SIGN_IN if account is not None else PASSKEY_ONLY
    challenge = _new_challenge(session, runtime, purpose, account.id if account else None)
    allowed = (
        [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in passkeys_of(session, account.id)
        ]
        if account is not None
        else []
    )
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return Ceremony(options_to_json(options))


def prove_sign_in(
    session: DbSession,
    runtime: Runtime,
    credential_json: str,
    *,
    account: Account | None,
    client: ClientInfo | None = None,
) -> Passkey:
    """The passkey that answered the challenge, checked: the account's own (after the password)
    or, with no user code typed, whichever account it belongs to. Refused: an unknown key, a key
    of another account, an answer for another site or challenge, a replay, a counter that went
    back, no user verification."""
    purpose = SIGN_IN if account is not None else PASSKEY_ONLY
    challenge = _use_challenge(
        session, runtime, credential_json, purpose, account.id if account else None
    )
    try:
        credential_id = str(json.loads(credential_json)["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefusedError(_REFUSED) from exc
    passkey = session.scalars(
        select(Passkey).where(Passkey.credential_id == credential_id).with_for_update()
    ).one_or_none()
    if passkey is None or (account is not None and passkey.account_id != account.id):
        _refused(session, runtime, account, client, "unknown_passkey")
    assert passkey is not None  # noqa: S101 (_refused raised otherwise)
    rp_id, origin = relying_party(runtime)
    try:
        verified = verify_authentication_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, InvalidJSONStructure, InvalidCBORData) as exc:
        _refused(session, runtime, passkey.account_id, client, str(exc)[:120])
        raise AssertionError("unreachable") from exc
    if account is None and not _handle_matches(runtime, credential_json, passkey.account_id):
        _refused(session, runtime, passkey.account_id, client, "user_handle")
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = runtime.clock()
    record(
        session,
        runtime.clock,
        AuditAction.PASSKEY_USE,
        client=client,
        actor_id=passkey.account_id,
        subject_id=passkey.account_id,
        passkey=passkey.name,
    )
    return passkey


def _handle_matches(runtime: Runtime, credential_json: str, account_id: int) -> bool:
    """A discoverable credential names its account (userHandle): it must be the key's own."""
    try:
        handle = json.loads(credential_json)["response"].get("userHandle")
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    if not isinstance(handle, str) or not handle:
        return False
    try:
        given = base64url_to_bytes(handle)
    except ValueError:
        return False
    return hmac.compare_digest(given, user_handle(runtime, account_id))


def _refused(
    session: DbSession,
    runtime: Runtime,
    account: Account | int | None,
    client: ClientInfo | None,
    reason: str,
) -> None:
    account_id = account.id if isinstance(account, Account) else account
    record(
        session,
        runtime.clock,
        AuditAction.PASSKEY_USE,
        Outcome.FAILURE,
        client=client,
        actor_id=account_id,
        subject_id=account_id,
        reason=reason,
    )
    raise PasskeyRefusedError(_REFUSED)


def _audit(
    session: DbSession,
    runtime: Runtime,
    action: AuditAction,
    account: Account,
    passkey: Passkey,
    client: ClientInfo | None,
) -> None:
    record_own(session, runtime.clock, action, account, client=client, passkey=passkey.name)


def ensure_may_manage(account: Account) -> None:
    """A person adds and removes their own passkeys; a temporary password is changed first."""
    if account.must_change_password or not account.is_active:
        raise ForbiddenError()
