"""What each part of this provider's SAML responses means (docs/saml.md)."""

from __future__ import annotations

from idp.claims.table import BY_SAML_NAME, Fact
from idp.inspect import vocabulary as v
from idp.inspect.report import Item, Text

# Attributes whose explanation depends on their value: the value is explained.
VALUE_TEXTS = {"role": v.role_text, "rights_source": v.source_text}

NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"

STATUS_PREFIX = "urn:oasis:names:tc:SAML:2.0:status:"
STATUSES: dict[str, Text] = {
    "Success": Text(
        "Succès : la personne est authentifiée.", "Success: the person is authenticated."
    ),
    "Requester": Text(
        "La demande du fournisseur de services est refusée.",
        "The service provider's request is refused.",
    ),
    "Responder": Text(
        "Le fournisseur d'identité n'a pas pu répondre.", "The identity provider could not answer."
    ),
    "RequestDenied": Text(
        "Refusé : la personne ne détient aucun des droits que le service exige.",
        "Denied: the person holds none of the rights the service requires.",
    ),
    "NoPassive": Text(
        "Une page aurait été nécessaire, mais la demande était passive (IsPassive).",
        "A page would have been needed, but the request was passive (IsPassive).",
    ),
    "NoAuthnContext": Text(
        "Le niveau d'authentification demandé n'est pas offert.",
        "The authentication level asked for is not offered.",
    ),
    "InvalidNameIDPolicy": Text(
        "Le format d'identifiant (NameIDPolicy) demandé n'est pas offert.",
        "The identifier format asked for (NameIDPolicy) is not offered.",
    ),
}


def explain_attribute(name: str, values: list[str]) -> Item:
    fact = BY_SAML_NAME.get(name)
    if fact is None:
        return Item(name, values, v.UNKNOWN_ATTRIBUTE, known=False)
    if fact.key in VALUE_TEXTS:
        text = VALUE_TEXTS[fact.key](values[0] if len(values) == 1 else None)
    else:
        text = v.explained(fact.explanation)
    return Item(name, values, text, label=attribute_label(fact))


def attribute_label(fact: Fact) -> str:
    """Its friendly name, and where OIDC carries the same fact: ``givenName (given_name)``."""
    oidc = fact.claim or f"authorization_details[].{fact.detail}"
    if fact.saml is not None and fact.saml.friendly_name:
        return f"{fact.saml.friendly_name} ({oidc})"
    return oidc


def name_id_text(format_: str | None) -> Text:
    if format_ == NAMEID_PERSISTENT:
        return Text(
            f"Identifiant persistant, la valeur même du sub OpenID Connect de cette personne "
            f"pour ce ministère. {v.PAIRWISE_SUBJECT.fr}",
            f"Persistent identifier, the very value of the OpenID Connect sub of this person "
            f"for this ministry. {v.PAIRWISE_SUBJECT.en}",
        )
    if format_ == NAMEID_TRANSIENT:
        return Text(
            "Identifiant transitoire : une nouvelle valeur aléatoire à chaque réponse.",
            "Transient identifier: a new random value in every response.",
        )
    return Text(
        f"Format d'identifiant inconnu ({format_}) : ce fournisseur n'emploie que persistent et "
        "transient.",
        f"Unknown identifier format ({format_}): this provider uses only persistent and transient.",
    )


def status_text(value: str | None) -> Text:
    short = (value or "").removeprefix(STATUS_PREFIX)
    return STATUSES.get(short, Text(f"Statut inconnu ({value}).", f"Unknown status ({value})."))


# The elements of the response and of the assertion, by the name the report gives them.
FIELDS: dict[str, Text] = {
    "ID": Text(
        "Identifiant unique de l'élément : sa signature y fait référence.",
        "Unique identifier of the element: its signature refers to it.",
    ),
    "IssueInstant": Text("Moment où l'élément a été produit.", "When the element was produced."),
    "Issuer": Text(
        "Émetteur : l'identifiant d'entité (entityID) du fournisseur d'identité, "
        "{issuer}/saml/metadata.",
        "Issuer: the entity ID of the identity provider, {issuer}/saml/metadata.",
    ),
    "Destination": Text(
        "Adresse du service de consommation d'assertions (ACS) du fournisseur de services, "
        "prise dans ses métadonnées; il doit vérifier que c'est bien la sienne.",
        "Address of the service provider's assertion consumer service (ACS), taken from its "
        "metadata; it must check that it is indeed its own.",
    ),
    "InResponseTo": Text(
        "ID de la demande d'authentification (AuthnRequest) à laquelle répond ce message; le "
        "fournisseur de services doit la reconnaître comme une de ses demandes en cours.",
        "ID of the authentication request (AuthnRequest) this message answers; the service "
        "provider must recognise it as one of its pending requests.",
    ),
    "StatusMessage": Text("Précision sur le statut.", "Detail of the status."),
    "SubjectConfirmation Method": Text(
        "Confirmation « bearer » : quiconque présente l'assertion est cru, d'où sa courte "
        "validité et son destinataire unique.",
        "Bearer confirmation: whoever presents the assertion is believed, hence its short "
        "validity and its single recipient.",
    ),
    "Recipient": Text(
        "L'ACS qui, seule, peut accepter l'assertion.",
        "The ACS that alone may accept the assertion.",
    ),
    "SubjectConfirmationData NotOnOrAfter": Text(
        "À partir de ce moment, l'assertion ne peut plus servir à ouvrir une session.",
        "From this moment on, the assertion can no longer be used to open a session.",
    ),
    "Conditions NotBefore": Text(
        "Début de la validité de l'assertion.", "Start of the assertion's validity."
    ),
    "Conditions NotOnOrAfter": Text(
        "Fin de la validité de l'assertion (5 minutes après son émission).",
        "End of the assertion's validity (5 minutes after it was issued).",
    ),
    "Audience": Text(
        "Le fournisseur de services (son entityID) à qui l'assertion est destinée; tout autre "
        "doit la refuser.",
        "The service provider (its entity ID) the assertion is meant for; any other must "
        "refuse it.",
    ),
    "AuthnInstant": Text(
        "Moment de l'authentification : quand la personne a inscrit le code reçu par courriel.",
        "Time of authentication: when the person entered the code received by email.",
    ),
    "SessionIndex": Text(
        "Identifiant de la session auprès du fournisseur; il sert à la déconnexion (Single "
        "Logout).",
        "Identifier of the session at the provider; it is used by Single Logout.",
    ),
    "AuthenticatingAuthority": Text(
        "Autorité qui a authentifié la personne : ce fournisseur lui-même.",
        "Authority that authenticated the person: this provider itself.",
    ),
    "EncryptedData EncryptionMethod": Text(
        "Algorithme qui chiffre l'assertion (ce fournisseur emploie AES-256-GCM).",
        "Algorithm encrypting the assertion (this provider uses AES-256-GCM).",
    ),
    "EncryptedKey EncryptionMethod": Text(
        "Algorithme qui chiffre la clé de l'assertion pour le fournisseur de services, avec la "
        "clé publique de ses métadonnées (ce fournisseur emploie RSA-OAEP).",
        "Algorithm encrypting the assertion's key for the service provider, with the public key "
        "of its metadata (this provider uses RSA-OAEP).",
    ),
}


def field(name: str, value: str | None, issuer: str = "…") -> Item:
    text = FIELDS[name]
    return Item(name, value, Text(text.fr.format(issuer=issuer), text.en.format(issuer=issuer)))
