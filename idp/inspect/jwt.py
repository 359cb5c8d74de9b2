"""Inspecting a compact JWT: decoded first without trusting it, then verified.

The header and payload are shown whatever the signature says (a tester wants to see what a
forged token claims), but the signature is checked only the way this provider signs: an
asymmetric algorithm it uses (RS256, PS256, ES256), the published key named by ``kid``, and
that key's own type. ``alg: none`` and HMAC algorithms are refused before any key is touched:
accepting HS256 with a published RSA key as the secret is the classic algorithm confusion.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError

from idp.inspect.claims import explain_claims, pretty_json
from idp.inspect.report import (
    Item,
    Kind,
    Problem,
    ProblemCode,
    Report,
    Section,
    SignatureCheck,
    SignatureStatus,
    SignerKey,
    Text,
)
from idp.inspect.timing import check_expiry, check_not_before, check_past, from_timestamp
from idp.keystore import ALGORITHM_KEY_TYPES, KeyStore
from idp.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT

ACCEPTED_ALGORITHMS = ("RS256", "PS256", "ES256")
# Three base64url parts; the last is empty for an unsigned (alg none) token.
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
TYPES = {"at+jwt": Kind.ACCESS_TOKEN, "logout+jwt": Kind.LOGOUT_TOKEN, "jwt": Kind.ID_TOKEN}
# Claims this provider always puts in each kind of token (idp/oidc/issuance.py, backchannel.py).
REQUIRED = {
    Kind.ID_TOKEN: ("iss", "sub", "aud", "exp", "iat"),
    Kind.ACCESS_TOKEN: ("iss", "sub", "aud", "exp", "iat", "client_id", "jti"),
    Kind.LOGOUT_TOKEN: ("iss", "sub", "aud", "exp", "iat", "jti", "sid", "events"),
}
# Header members by which a token would bring its own key: never used, always worth a word.
SELF_KEYED = ("jwk", "jku", "x5u", "x5c")
TOKEN = Text("le jeton", "the token")

HEADER_FIELDS = {
    "alg": Text("Algorithme de signature.", "Signature algorithm."),
    "kid": Text(
        "Identifiant de la clé publiée qui a signé (empreinte RFC 7638 de la clé publique).",
        "Identifier of the published key that signed (RFC 7638 thumbprint of the public key).",
    ),
    "typ": Text(
        "Type : JWT (jeton d'identité), at+jwt (jeton d'accès) ou logout+jwt (jeton de "
        "déconnexion).",
        "Type: JWT (ID token), at+jwt (access token) or logout+jwt (logout token).",
    ),
}


def looks_like_jwt(text: str) -> bool:
    return JWT_SHAPE.fullmatch(text.strip()) is not None


def inspect_jwt(
    token: str,
    keystore: KeyStore,
    now: datetime,
    *,
    issuer: str | None = None,
    audience: str | None = None,
) -> Report:
    """Decode, verify and explain ``token``; ``issuer`` and ``audience`` are checked if given."""
    token = token.strip()
    report = Report(Kind.UNREADABLE, now)
    parts = token.split(".")
    header = _json_part(parts[0]) if len(parts) == 3 else None
    payload = _json_part(parts[1]) if len(parts) == 3 else None
    if header is None or payload is None:
        report.problem(
            ProblemCode.MALFORMED,
            "Ce n'est pas un JWT lisible : il faut trois parties base64url séparées par des "
            "points, l'en-tête et le contenu étant des objets JSON.",
            "This is not a readable JWT: it needs three base64url parts separated by dots, the "
            "header and the payload being JSON objects.",
        )
        return report
    report.kind = _kind(header, report)
    report.header = pretty_json(header)
    report.payload = pretty_json(payload)
    report.signatures.append(_verify(token, header, keystore, report))
    _check_times(report, payload)
    _check_claims(report, payload, issuer, audience)
    report.sections.append(Section(Text("En-tête", "Header"), _explain_header(header)))
    report.sections.append(Section(Text("Revendications", "Claims"), explain_claims(payload)))
    return report


def _json_part(part: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _kind(header: dict[str, Any], report: Report) -> Kind:
    typ = header.get("typ")
    normalized = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
    kind = TYPES.get(normalized or "")
    if kind is not None:
        return kind
    report.problem(
        ProblemCode.UNEXPECTED_TYPE,
        f"Type de jeton inattendu (typ : {typ}) : ce fournisseur ne délivre que JWT, at+jwt et "
        "logout+jwt.",
        f"Unexpected token type (typ: {typ}): this provider issues only JWT, at+jwt and "
        "logout+jwt.",
    )
    return Kind.OTHER_JWT


def _verify(
    token: str, header: dict[str, Any], keystore: KeyStore, report: Report
) -> SignatureCheck:
    alg = header.get("alg")
    refusal = _refused_algorithm(alg)
    if refusal is not None:
        report.problems.append(refusal)
        return SignatureCheck(TOKEN, SignatureStatus.REFUSED, str(alg), reason=refusal.message)
    assert isinstance(alg, str)  # noqa: S101 (_refused_algorithm accepts only strings)
    _note_self_keyed(header, report)
    kid = header.get("kid")
    if not isinstance(kid, str):
        report.problem(
            ProblemCode.NO_KID,
            "L'en-tête ne nomme aucune clé (kid absent), alors que ce fournisseur nomme "
            "toujours la clé qui signe.",
            "The header names no key (no kid), whereas this provider always names the key that "
            "signs.",
        )
        return _failed(report, SignatureStatus.REFUSED, alg, None)
    entry = keystore.find(kid)
    if entry is None:
        report.problems.append(_unknown_key(kid, keystore))
        return _failed(report, SignatureStatus.REFUSED, alg, None)
    signer = SignerKey(entry.kid, entry.kty, entry.state)
    if ALGORITHM_KEY_TYPES[alg] != entry.kty:
        report.problem(
            ProblemCode.KEY_TYPE_MISMATCH,
            f"L'algorithme {alg} ne convient pas à la clé {kid}, de type {entry.kty}.",
            f"The algorithm {alg} does not fit the key {kid}, of type {entry.kty}.",
        )
        return _failed(report, SignatureStatus.REFUSED, alg, signer)
    try:
        jws.deserialize_compact(token, entry.key, algorithms=[alg])
    except BadSignatureError:
        report.problem(
            ProblemCode.BAD_SIGNATURE,
            f"La signature ne se vérifie pas avec la clé {kid} : le jeton a été modifié après sa "
            "signature, ou signé avec une autre clé qui porte le même kid (contrefaçon).",
            f"The signature does not verify with key {kid}: the token was altered after "
            "signing, or signed with another key carrying the same kid (forgery).",
        )
        return _failed(report, SignatureStatus.INVALID, alg, signer)
    except (JoseError, ValueError) as exc:
        report.problem(
            ProblemCode.MALFORMED,
            f"La signature est illisible ({type(exc).__name__}).",
            f"The signature is unreadable ({type(exc).__name__}).",
        )
        return _failed(report, SignatureStatus.INVALID, alg, signer)
    report.note_signer(signer)
    return SignatureCheck(TOKEN, SignatureStatus.VALID, alg, signer)


def _failed(
    report: Report, status: SignatureStatus, alg: str, signer: SignerKey | None
) -> SignatureCheck:
    """The signature check, its reason being the problem just reported."""
    return SignatureCheck(TOKEN, status, alg, signer, report.problems[-1].message)


def _refused_algorithm(alg: Any) -> Problem | None:
    """Why ``alg`` is refused, or None when it is one this provider signs with."""
    if not isinstance(alg, str) or alg.lower() == "none":
        return Problem(
            ProblemCode.ALGORITHM_REFUSED,
            Text(
                f"Algorithme {alg} refusé : un jeton sans signature ne prouve rien; ce "
                "fournisseur signe toujours ses jetons (RS256, PS256 ou ES256).",
                f"Algorithm {alg} refused: an unsigned token proves nothing; this provider "
                "always signs its tokens (RS256, PS256 or ES256).",
            ),
        )
    if alg.upper().startswith("HS"):
        return Problem(
            ProblemCode.ALGORITHM_REFUSED,
            Text(
                f"Algorithme {alg} refusé : une signature par secret partagé (HMAC) ne vient pas "
                "de ce fournisseur, qui signe avec ses clés privées; c'est la forme d'une attaque "
                "par confusion d'algorithme (clé publique employée comme secret).",
                f"Algorithm {alg} refused: a shared-secret (HMAC) signature does not come from "
                "this provider, which signs with its private keys; it is the shape of an "
                "algorithm confusion attack (public key used as the secret).",
            ),
        )
    if alg not in ACCEPTED_ALGORITHMS:
        return Problem(
            ProblemCode.ALGORITHM_REFUSED,
            Text(
                f"Algorithme {alg} refusé : ce fournisseur ne signe qu'en RS256, PS256 ou ES256.",
                f"Algorithm {alg} refused: this provider signs only with RS256, PS256 or ES256.",
            ),
        )
    return None


def _note_self_keyed(header: dict[str, Any], report: Report) -> None:
    for member in SELF_KEYED:
        if member in header:
            report.note(
                f"L'en-tête apporte sa propre clé ({member}) : elle est ignorée, seules les clés "
                "publiées par le fournisseur comptent.",
                f"The header brings its own key ({member}): it is ignored, only the keys the "
                "provider publishes count.",
            )


def _check_times(report: Report, payload: dict[str, Any]) -> None:
    for name, check in (
        ("iat", check_past),
        ("auth_time", check_past),
        ("nbf", check_not_before),
        ("exp", check_expiry),
    ):
        if name not in payload:
            continue
        moment = from_timestamp(payload[name])
        if moment is None:
            report.problem(
                ProblemCode.MALFORMED,
                f"{name} n'est pas une date (un nombre de secondes depuis 1970).",
                f"{name} is not a date (a number of seconds since 1970).",
            )
            continue
        check(report, name, moment)


def _check_claims(
    report: Report, payload: dict[str, Any], issuer: str | None, audience: str | None
) -> None:
    missing = [name for name in REQUIRED.get(report.kind, ()) if name not in payload]
    if missing:
        names = ", ".join(missing)
        report.problem(
            ProblemCode.MISSING,
            f"Revendications absentes, que ce fournisseur met toujours : {names}.",
            f"Claims missing, which this provider always sets: {names}.",
        )
    if issuer is not None and "iss" in payload and payload["iss"] != issuer:
        report.problem(
            ProblemCode.WRONG_ISSUER,
            f"Émetteur inattendu : iss vaut {payload['iss']}, et non {issuer}.",
            f"Unexpected issuer: iss is {payload['iss']}, not {issuer}.",
        )
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience is not None and "aud" in payload and audience not in audiences:
        report.problem(
            ProblemCode.WRONG_AUDIENCE,
            f"Destinataire inattendu : aud vaut {aud}, et non {audience}; le site {audience} "
            "doit refuser ce jeton.",
            f"Unexpected audience: aud is {aud}, not {audience}; the site {audience} must "
            "refuse this token.",
        )
    if report.kind is Kind.LOGOUT_TOKEN:
        _check_logout_token(report, payload)


def _check_logout_token(report: Report, payload: dict[str, Any]) -> None:
    events = payload.get("events")
    if "events" in payload and not (
        isinstance(events, dict) and BACKCHANNEL_LOGOUT_EVENT in events
    ):
        report.problem(
            ProblemCode.UNEXPECTED_CONTENT,
            f"Le jeton de déconnexion ne porte pas l'événement {BACKCHANNEL_LOGOUT_EVENT}.",
            f"The logout token does not carry the event {BACKCHANNEL_LOGOUT_EVENT}.",
        )
    if "nonce" in payload:
        report.problem(
            ProblemCode.UNEXPECTED_CONTENT,
            "Un jeton de déconnexion ne doit pas porter de nonce (sinon, il pourrait passer pour "
            "un jeton d'identité).",
            "A logout token must not carry a nonce (it could otherwise pass for an ID token).",
        )


def _unknown_key(kid: str, keystore: KeyStore) -> Problem:
    if any(entry.kid == kid for entry in keystore.entries):
        return Problem(
            ProblemCode.UNKNOWN_KEY,
            Text(
                f"La clé {kid} a été retirée et n'est plus publiée : la période de conservation "
                "est passée, ce qu'elle a signé ne doit plus être accepté.",
                f"The key {kid} was retired and is no longer published: the retention period is "
                "over, what it signed must no longer be accepted.",
            ),
        )
    return Problem(
        ProblemCode.UNKNOWN_KEY,
        Text(
            f"Aucune clé publiée n'a le kid {kid} : le jeton n'a pas été signé par ce fournisseur.",
            f"No published key has kid {kid}: the token was not signed by this provider.",
        ),
    )


def _explain_header(header: dict[str, Any]) -> tuple[Item, ...]:
    return tuple(
        Item(name, value, HEADER_FIELDS[name])
        if name in HEADER_FIELDS
        else Item(name, value, Text("Membre d'en-tête inconnu.", "Unknown header member."), False)
        for name, value in header.items()
    )
