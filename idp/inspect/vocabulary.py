"""Sentences shared by the OIDC claims and the SAML attributes: one identity, one meaning.

What each fact means comes from the table of facts (:mod:`idp.claims.table`), in both languages
(:func:`explained`). The values explained here are those of :mod:`idp.claims.identity` (role,
source of the rights) and :mod:`idp.oidc.acr` (the authentication contexts offered).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from idp.claims.table import Explanation
from idp.inspect.report import Text
from idp.oidc.acr import (
    ACR_PASSWORD_AND_EMAILED_CODE,
    ACR_PASSWORD_AND_SECURITY_QUESTION,
    ACR_PHISHING_RESISTANT,
    ACR_VALUES_SUPPORTED,
)
from idp.proxies.rights import RightsSource

UNKNOWN_CLAIM = Text(
    "Revendication inconnue : ce fournisseur ne la délivre pas.",
    "Unknown claim: this provider does not issue it.",
)
UNKNOWN_ATTRIBUTE = Text(
    "Attribut inconnu : ce fournisseur ne le transmet pas.",
    "Unknown attribute: this provider does not send it.",
)


# This provider's catalogue (BABEL_TRANSLATION_DIRECTORIES of create_app).
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"


@cache
def _french() -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), ["fr"])


def explained(explanation: Explanation) -> Text:
    """A sentence of the table of facts in both languages, whatever the request's language.

    Read from the compiled catalogue rather than through Flask-Babel: the demo sites show these
    reports, and no Flask-Babel of this provider runs there.
    """
    return Text(_french().gettext(explanation.msgid), explanation.msgid)


def acr_text(value: object) -> Text:
    if value == ACR_PHISHING_RESISTANT:
        return Text(
            "Niveau d'authentification : une clé d'accès (passkey, WebAuthn) déverrouillée par "
            "l'empreinte, le visage ou le NIP de la personne. Liée à l'adresse du fournisseur, "
            "elle ne peut pas être relayée par un site imitateur (résistante à l'hameçonnage).",
            "Authentication level: a passkey (WebAuthn) unlocked by the person's fingerprint, "
            "face or PIN. Bound to the provider's address, it cannot be relayed by a look-alike "
            "site (phishing-resistant).",
        )
    if value == ACR_PASSWORD_AND_EMAILED_CODE:
        return Text(
            "Niveau d'authentification : un mot de passe, puis un code à usage unique transmis "
            "par courriel (deux facteurs).",
            "Authentication level: a password, then a one-time code sent by email (two factors).",
        )
    if value == ACR_PASSWORD_AND_SECURITY_QUESTION:
        return Text(
            "Niveau d'authentification : un mot de passe, puis la réponse à une question de "
            "sécurité (un citoyen sans accès à son courriel; un seul facteur, deux secrets).",
            "Authentication level: a password, then the answer to a security question (a citizen "
            "without access to their email; one factor, two secrets).",
        )
    offered = ", ".join(ACR_VALUES_SUPPORTED)
    return Text(
        f"Niveau d'authentification inconnu : ce fournisseur n'atteste que {offered}.",
        f"Unknown authentication level: this provider asserts only {offered}.",
    )


def role_text(value: object) -> Text:
    if value == "esm":
        return Text(
            "Rôle : responsable des services électroniques (esm) de l'entreprise, qui détient "
            "tous ses droits.",
            "Role: electronic services manager (esm) of the enterprise, who holds all its rights.",
        )
    if value == "user":
        return Text(
            "Rôle : utilisateur (user), qui détient les droits que lui donnent ses procurations.",
            "Role: user, who holds the rights their proxies give them.",
        )
    return Text(
        "Rôle inconnu : ce fournisseur n'emploie que esm et user.",
        "Unknown role: this provider uses only esm and user.",
    )


def source_text(value: object) -> Text:
    if value == RightsSource.ESM:
        return Text(
            "Origine des droits : la personne est responsable des services électroniques de "
            "l'entreprise (esm).",
            "Source of the rights: the person is the enterprise's electronic services manager "
            "(esm).",
        )
    if value == RightsSource.INTERNAL:
        return Text(
            "Origine des droits : une procuration interne, donnée par sa propre entreprise "
            "(internal).",
            "Source of the rights: an internal proxy, given by the person's own enterprise "
            "(internal).",
        )
    if value == RightsSource.EXTERNAL:
        return Text(
            "Origine des droits : une procuration externe, donnée par une autre entreprise à "
            "l'entreprise de la personne (external).",
            "Source of the rights: an external proxy, given by another enterprise to the "
            "person's own enterprise (external).",
        )
    return Text(
        "Origine des droits inconnue : ce fournisseur n'emploie que esm, internal et external.",
        "Unknown source of rights: this provider uses only esm, internal and external.",
    )


PAIRWISE_SUBJECT = Text(
    "Identifiant de la personne propre au ministère : les sites d'un même ministère voient la "
    "même valeur, deux ministères jamais; il ne change pas lors d'une rotation des clés.",
    "Identifier of the person specific to the ministry: the sites of one ministry see the "
    "same value, two ministries never do; it does not change when keys rotate.",
)
