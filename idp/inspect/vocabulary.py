"""Sentences shared by the OIDC claims and the SAML attributes: one identity, one meaning.

The values explained here are those of :mod:`idp.claims.identity` (role, source of the
rights) and :mod:`idp.oidc.acr` (the authentication contexts offered).
"""

from __future__ import annotations

from idp.inspect.report import Text
from idp.oidc.acr import ACR_PASSWORD_AND_EMAILED_CODE, ACR_PASSWORD_AND_SECURITY_QUESTION
from idp.proxies.rights import RightsSource

UNKNOWN_CLAIM = Text(
    "Revendication inconnue : ce fournisseur ne la délivre pas.",
    "Unknown claim: this provider does not issue it.",
)
UNKNOWN_ATTRIBUTE = Text(
    "Attribut inconnu : ce fournisseur ne le transmet pas.",
    "Unknown attribute: this provider does not send it.",
)


def acr_text(value: object) -> Text:
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
    return Text(
        f"Niveau d'authentification inconnu : ce fournisseur n'atteste que "
        f"{ACR_PASSWORD_AND_EMAILED_CODE} et {ACR_PASSWORD_AND_SECURITY_QUESTION}.",
        f"Unknown authentication level: this provider asserts only "
        f"{ACR_PASSWORD_AND_EMAILED_CODE} and {ACR_PASSWORD_AND_SECURITY_QUESTION}.",
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


RIGHTS = Text(
    "Droits que la personne détient en ce moment auprès du ministère du site, pour cette "
    "entreprise (identifiants du catalogue); ceux des autres ministères n'y figurent jamais.",
    "Rights the person holds right now at the site's ministry, for this enterprise (catalogue "
    "identifiers); rights of other ministries never appear.",
)
PAIRWISE_SUBJECT = Text(
    "Identifiant de la personne propre au ministère : les sites d'un même ministère voient la "
    "même valeur, deux ministères jamais; il ne change pas lors d'une rotation des clés.",
    "Identifier of the person specific to the ministry: the sites of one ministry see the "
    "same value, two ministries never do; it does not change when keys rotate.",
)
ENTERPRISE_NEQ = Text(
    "Numéro d'entreprise du Québec (NEQ, 10 chiffres) de l'entreprise pour laquelle la "
    "personne agit.",
    "Québec enterprise number (NEQ, 10 digits) of the enterprise the person acts for.",
)
ENTERPRISE_NAME = Text(
    "Nom de l'entreprise pour laquelle la personne agit.",
    "Name of the enterprise the person acts for.",
)
AGENT_NEQ = Text(
    "NEQ de l'entreprise de la personne elle-même, lorsqu'elle agit en vertu d'une procuration "
    "externe (entreprise mandataire).",
    "NEQ of the person's own enterprise, when acting under an external proxy (the agent "
    "enterprise).",
)
AGENT_NAME = Text(
    "Nom de l'entreprise mandataire : celle de la personne, qui agit en vertu d'une procuration "
    "externe.",
    "Name of the agent enterprise: the person's own, acting under an external proxy.",
)
PROXY_ID = Text(
    "Numéro de la procuration qui donne ces droits (absent pour un responsable des services "
    "électroniques).",
    "Number of the proxy giving these rights (absent for an electronic services manager).",
)
PROXY_VALID_UNTIL = Text(
    "Dernier jour de validité de la procuration (AAAA-MM-JJ).",
    "Last day the proxy is valid (YYYY-MM-DD).",
)
MINISTRY = Text(
    "Clé du ministère du site, celui pour lequel les droits sont évalués.",
    "Key of the site's ministry, the one the rights are evaluated for.",
)
GIVEN_NAME = Text("Prénom de la personne.", "First name of the person.")
FAMILY_NAME = Text("Nom de famille de la personne.", "Last name of the person.")
FULL_NAME = Text("Nom complet de la personne.", "Full name of the person.")
EMAIL = Text(
    "Adresse courriel de la personne, confirmée à chaque connexion (le code y est transmis).",
    "Email address of the person, confirmed at every sign-in (the code is sent there).",
)
