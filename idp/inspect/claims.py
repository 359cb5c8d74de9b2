"""What each claim of this provider's JWTs means (idp/oidc/issuance.py, docs/claims.md).

Claims about the person and the sign-in are explained by the table of facts
(:mod:`idp.claims.table`); this module keeps the claims about the token itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from idp.claims.identity import RIGHTS_DETAILS_TYPE
from idp.claims.table import BY_CLAIM, BY_DETAIL, OBJECT_CLAIMS
from idp.inspect import vocabulary as v
from idp.inspect.report import Item, Text
from idp.inspect.timing import format_moment, from_timestamp
from idp.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT

# Claims whose value is a NumericDate: shown with their date.
TIMESTAMP_CLAIMS = frozenset({"exp", "iat", "nbf", "auth_time"})

# The token's own claims; those of the person and the sign-in are in the table of facts.
TOKEN_CLAIMS: dict[str, Text] = {
    "iss": Text(
        "Émetteur : l'adresse du fournisseur d'identité qui a délivré le jeton; elle doit être "
        "exactement celle de son document de découverte.",
        "Issuer: the address of the identity provider that issued the token; it must be exactly "
        "the one of its discovery document.",
    ),
    "aud": Text(
        "Destinataire : l'identifiant client (client_id) du site à qui le jeton est destiné; "
        "tout autre site doit le refuser.",
        "Audience: the client id of the site the token is meant for; any other site must "
        "refuse it.",
    ),
    "azp": Text(
        "Partie autorisée : le client à qui le jeton a été remis (le même que aud).",
        "Authorized party: the client the token was given to (the same as aud).",
    ),
    "exp": Text(
        "Expiration : à partir de ce moment, le jeton doit être refusé.",
        "Expiry: from this moment on, the token must be refused.",
    ),
    "iat": Text(
        "Émission : moment où le fournisseur a signé le jeton.",
        "Issued at: when the provider signed the token.",
    ),
    "nbf": Text(
        "Pas avant : le jeton ne doit pas être accepté avant ce moment (ce fournisseur n'en met "
        "pas).",
        "Not before: the token must not be accepted before this moment (this provider never "
        "sets it).",
    ),
    "nonce": Text(
        "Valeur unique envoyée par le site dans sa demande d'autorisation et rendue telle "
        "quelle; le site doit la comparer à la sienne (protection contre le rejeu).",
        "Unique value the site sent in its authorization request, returned unchanged; the site "
        "must compare it with its own (protection against replay).",
    ),
    "at_hash": Text(
        "Empreinte du jeton d'accès remis avec ce jeton d'identité (moitié gauche de son "
        "SHA-256, en base64url); elle lie les deux jetons.",
        "Hash of the access token issued with this ID token (left half of its SHA-256, "
        "base64url); it binds the two tokens.",
    ),
    "client_id": Text(
        "Client à qui le jeton d'accès a été délivré.",
        "Client the access token was issued to.",
    ),
    "scope": Text(
        "Portées accordées : les portées standards demandées, et seulement les droits que la "
        "personne détient maintenant.",
        "Scopes granted: the standard scopes asked for, and only the rights the person holds now.",
    ),
    "jti": Text(
        "Identifiant unique du jeton : il permet de détecter une réutilisation et de révoquer "
        "le jeton.",
        "Unique identifier of the token: it lets a reuse be detected and the token be revoked.",
    ),
    "authorization_details": Text(
        f"Droits accordés au format RFC 9396 (type {RIGHTS_DETAILS_TYPE}), avec leur origine.",
        f"Rights granted in the RFC 9396 format (type {RIGHTS_DETAILS_TYPE}), with their source.",
    ),
    "events": Text(
        "Événement de déconnexion par canal arrière : le site doit fermer sa session désignée "
        "par sid (ou toutes celles de sub).",
        "Back-channel logout event: the site must end its session named by sid (or all those of "
        "sub).",
    ),
}

DETAIL_TYPE = Text(
    f"Type de l'entrée : {RIGHTS_DETAILS_TYPE}, les droits de ce fournisseur.",
    f"Type of the entry: {RIGHTS_DETAILS_TYPE}, this provider's rights.",
)

# Claims whose explanation depends on their value: the value is explained, not only the fact.
VALUE_TEXTS: dict[str, Callable[[Any], Text]] = {"acr": v.acr_text, "role": v.role_text}


def explain_claims(payload: dict[str, Any]) -> tuple[Item, ...]:
    """Every claim of the payload, in its order, with its meaning; unknown ones said so."""
    return tuple(explain_claim(name, value) for name, value in payload.items())


def explain_claim(name: str, value: Any) -> Item:
    display = _timestamp_display(value) if name in TIMESTAMP_CLAIMS else None
    if name in VALUE_TEXTS:
        return Item(name, value, VALUE_TEXTS[name](value))
    if name in OBJECT_CLAIMS and isinstance(value, dict):
        text = v.explained(OBJECT_CLAIMS[name])
        return Item(name, value, text, children=_object_fields(name, value))
    if name in BY_CLAIM:
        return Item(name, value, v.explained(BY_CLAIM[name].explanation), display=display)
    if name == "authorization_details" and isinstance(value, list):
        return Item(name, value, TOKEN_CLAIMS[name], children=_details(value))
    if name == "events":
        return Item(name, value, _events_text(value))
    if name in TOKEN_CLAIMS:
        return Item(name, value, TOKEN_CLAIMS[name], display=display)
    return Item(name, value, v.UNKNOWN_CLAIM, known=False)


def _timestamp_display(value: Any) -> str | None:
    moment = from_timestamp(value)
    return f"{value} ({format_moment(moment)})" if moment else None


def _object_fields(claim: str, value: dict[str, Any]) -> tuple[Item, ...]:
    """The fields of ``enterprise`` or ``agent``: each a fact of the table (``enterprise.neq``)."""
    items = []
    for key, item in value.items():
        fact = BY_CLAIM.get(f"{claim}.{key}")
        if fact is None:
            items.append(Item(key, item, v.UNKNOWN_CLAIM, known=False))
        else:
            items.append(Item(key, item, v.explained(fact.explanation)))
    return tuple(items)


def _details(entries: list[Any]) -> tuple[Item, ...]:
    items = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or entry.get("type") != RIGHTS_DETAILS_TYPE:
            unknown = Text(
                "Entrée d'un type que ce fournisseur ne délivre pas.",
                "Entry of a type this provider does not issue.",
            )
            items.append(Item(f"[{index}]", entry, unknown, known=False))
            continue
        children = [_detail_field(key, value) for key, value in entry.items()]
        summary = Text(
            f"Droits auprès du ministère {entry.get('ministry')} pour l'entreprise "
            f"{entry.get('enterprise')}.",
            f"Rights at the ministry {entry.get('ministry')} for the enterprise "
            f"{entry.get('enterprise')}.",
        )
        items.append(Item(f"[{index}]", entry, summary, children=tuple(children)))
    return tuple(items)


def _detail_field(key: str, value: Any) -> Item:
    if key == "type":
        return Item(key, value, DETAIL_TYPE)
    if key == "source":
        return Item(key, value, v.source_text(value))
    if key in BY_DETAIL:
        return Item(key, value, v.explained(BY_DETAIL[key].explanation))
    return Item(key, value, v.UNKNOWN_CLAIM, known=False)


def _events_text(value: Any) -> Text:
    if isinstance(value, dict) and BACKCHANNEL_LOGOUT_EVENT in value:
        return TOKEN_CLAIMS["events"]
    return Text(
        f"Événements inconnus : un jeton de déconnexion porte {BACKCHANNEL_LOGOUT_EVENT}.",
        f"Unknown events: a logout token carries {BACKCHANNEL_LOGOUT_EVENT}.",
    )


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
