"""Every fact this provider tells relying parties about a person, and where each one goes.

One row per fact: the OIDC scope that releases it, where the ID token and UserInfo carry it
(``claim``), where the RFC 9396 ``authorization_details`` entry carries it (``detail``), the SAML
attribute of assertions, the accounts that have it, and what it means. Every consumer reads this
table: the claims released per scope and the SAML attribute statement
(:mod:`idp.claims.identity`), discovery's ``claims_supported``
(:mod:`idp.oidc.claims_catalogue`) and the inspector's explanations (:mod:`idp.inspect`).
The values themselves are computed in :mod:`idp.claims.identity` (the person's facts) and
:mod:`idp.oidc.issuance` (the sign-in's facts). Adding a fact: docs/claims.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext
from flask_babel.speaklater import LazyString


class Explanation(LazyString):
    """A sentence translated into the request's language when shown, as ``_l`` does; the English
    ``msgid`` is kept for the inspector, which shows both languages, also in the demo sites
    where no Flask-Babel runs."""

    def __init__(self, msgid: str) -> None:
        super().__init__(gettext, msgid)
        self.msgid = msgid


def _l(msgid: str) -> Explanation:
    # Named _l so that the catalogue's extraction (`pybabel extract -k _l`) finds the sentences.
    return Explanation(msgid)


class Holders(StrEnum):
    """The accounts a fact exists for."""

    # People acting for an enterprise: electronic services managers, users, consultants.
    ENTERPRISE = "enterprise"
    CITIZENS = "citizens"
    EVERYONE = "everyone"

    def include(self, *, citizen: bool) -> bool:
        if self is Holders.EVERYONE:
            return True
        return (self is Holders.CITIZENS) == citizen


# The facts of the rights are released when the relying party asks for one of its ministry's
# rights as a scope (its catalogue identifier, e.g. melccfp.iqea.operator): no one scope name.
A_RIGHT = "<a right>"


@dataclass(frozen=True)
class SamlAttribute:
    """An attribute of assertions, ``NameFormat`` uri (docs/saml.md)."""

    name: str
    # The directory name (LDAP) of the standard ones; this provider's own URNs have none.
    friendly_name: str | None = None


@dataclass(frozen=True)
class Fact:
    """One fact about the person and where each protocol carries it (None: it does not)."""

    key: str
    # The OIDC scope releasing it, or A_RIGHT.
    scope: str
    # Its place in the ID token and UserInfo: a claim, or ``claim.field`` inside an object.
    claim: str | None
    # Its field in the ``authorization_details`` entry (token response, access token).
    detail: str | None
    saml: SamlAttribute | None
    holders: Holders
    explanation: Explanation
    # A fact about the sign-in (from the session), not about who the person is.
    of_sign_in: bool = False

    @property
    def claim_name(self) -> str | None:
        """The top-level claim that carries it (``enterprise`` for ``enterprise.neq``)."""
        return self.claim.partition(".")[0] if self.claim else None

    def released_by(self, scopes: Iterable[str], *, rights_granted: bool) -> bool:
        """Whether the scopes granted release it (``rights_granted``: a right is among them)."""
        if self.scope == "openid":
            # There is no ID token or UserInfo response without openid (OIDC Core 3.1.2.1,
            # 5.3): its facts, the subject first, go with every one.
            return True
        return rights_granted if self.scope == A_RIGHT else self.scope in scopes


_URN = "urn:clicsequr:attribute:"

FACTS: tuple[Fact, ...] = (
    Fact(
        "subject",
        "openid",
        "sub",
        None,
        # The SAML persistent NameID carries the same value (idp/claims/subjects.py).
        None,
        Holders.EVERYONE,
        _l(
            "Subject: identifier of the person specific to the ministry; the sites of one "
            "ministry see the same value, two ministries never do. For a client acting for "
            "itself (client_credentials), it is its client id."
        ),
    ),
    Fact(
        "name",
        "profile",
        "name",
        None,
        SamlAttribute("urn:oid:2.16.840.1.113730.3.1.241", "displayName"),
        Holders.EVERYONE,
        _l("Full name of the person."),
    ),
    Fact(
        "given_name",
        "profile",
        "given_name",
        None,
        SamlAttribute("urn:oid:2.5.4.42", "givenName"),
        Holders.EVERYONE,
        _l("First name of the person."),
    ),
    Fact(
        "family_name",
        "profile",
        "family_name",
        None,
        SamlAttribute("urn:oid:2.5.4.4", "sn"),
        Holders.EVERYONE,
        _l("Last name of the person."),
    ),
    Fact(
        "email",
        "email",
        "email",
        None,
        SamlAttribute("urn:oid:0.9.2342.19200300.100.1.3", "mail"),
        Holders.EVERYONE,
        _l("Email address of the person, confirmed at every sign-in (the code is sent there)."),
    ),
    Fact(
        "email_verified",
        "email",
        "email_verified",
        None,
        None,
        Holders.EVERYONE,
        _l(
            "Email address verified: always true; the address was proven by a code or a link "
            "sent there."
        ),
    ),
    Fact(
        "enterprise_neq",
        "enterprise",
        "enterprise.neq",
        "enterprise",
        SamlAttribute(f"{_URN}enterprise-neq"),
        Holders.ENTERPRISE,
        _l("Québec enterprise number (NEQ, 10 digits) of the enterprise the person acts for."),
    ),
    Fact(
        "enterprise_name",
        "enterprise",
        "enterprise.name",
        None,
        SamlAttribute(f"{_URN}enterprise-name"),
        Holders.ENTERPRISE,
        _l("Name of the enterprise the person acts for."),
    ),
    Fact(
        "role",
        "enterprise",
        "role",
        None,
        SamlAttribute(f"{_URN}role"),
        Holders.ENTERPRISE,
        _l("Role of the person for the enterprise: esm (its electronic services manager) or user."),
    ),
    Fact(
        "agent_neq",
        "enterprise",
        "agent.neq",
        "agent",
        SamlAttribute(f"{_URN}agent-neq"),
        Holders.ENTERPRISE,
        _l(
            "NEQ of the person's own enterprise, when acting under an external proxy (the agent "
            "enterprise)."
        ),
    ),
    Fact(
        "agent_name",
        "enterprise",
        "agent.name",
        None,
        SamlAttribute(f"{_URN}agent-name"),
        Holders.ENTERPRISE,
        _l("Name of the agent enterprise: the person's own, acting under an external proxy."),
    ),
    Fact(
        "ministry",
        A_RIGHT,
        None,
        "ministry",
        SamlAttribute(f"{_URN}ministry"),
        # A citizen's assertion names the ministry too; citizens have no rights to detail.
        Holders.EVERYONE,
        _l("Key of the site's ministry, the one the rights are evaluated for."),
    ),
    Fact(
        "rights",
        A_RIGHT,
        "rights",
        "rights",
        SamlAttribute(f"{_URN}rights"),
        Holders.ENTERPRISE,
        _l(
            "Rights the person holds right now at the site's ministry, for this enterprise "
            "(catalogue identifiers, one per SAML value): an OpenID Connect site receives those "
            "it asked for as scopes, a SAML service provider all of them; rights of other "
            "ministries never appear."
        ),
    ),
    Fact(
        "rights_source",
        A_RIGHT,
        None,
        "source",
        SamlAttribute(f"{_URN}rights-source"),
        Holders.ENTERPRISE,
        _l(
            "Source of the rights: esm (the person is the enterprise's electronic services "
            "manager), internal or external (a proxy)."
        ),
    ),
    Fact(
        "proxy_id",
        A_RIGHT,
        None,
        "proxy_id",
        SamlAttribute(f"{_URN}proxy-id"),
        Holders.ENTERPRISE,
        _l("Number of the proxy giving these rights (absent for an electronic services manager)."),
    ),
    Fact(
        "proxy_valid_until",
        A_RIGHT,
        None,
        "proxy_valid_until",
        SamlAttribute(f"{_URN}proxy-valid-until"),
        Holders.ENTERPRISE,
        _l("Last day the proxy is valid (YYYY-MM-DD)."),
    ),
    # The sign-in: in the ID token and the access token whatever the scopes; SAML states them
    # in the AuthnStatement (AuthnInstant, AuthnContextClassRef, SessionIndex), not as attributes.
    Fact(
        "auth_time",
        "openid",
        "auth_time",
        None,
        None,
        Holders.EVERYONE,
        _l(
            "Time of authentication: when the person entered the code received by email (or, "
            "for a citizen, answered their security question)."
        ),
        of_sign_in=True,
    ),
    Fact(
        "acr",
        "openid",
        "acr",
        None,
        None,
        Holders.EVERYONE,
        _l("Authentication level the sign-in reached (docs/claims.md)."),
        of_sign_in=True,
    ),
    Fact(
        "amr",
        "openid",
        "amr",
        None,
        None,
        Holders.EVERYONE,
        _l(
            "Authentication methods: pwd (password), otp (one-time code), hwk (passkey, a "
            "cryptographic key the person holds), user (the person unlocked their key with a "
            "fingerprint, face or PIN), mfa (several factors), kba (a citizen's security "
            "question)."
        ),
        of_sign_in=True,
    ),
    Fact(
        "sid",
        "openid",
        "sid",
        None,
        None,
        Holders.EVERYONE,
        _l(
            "Identifier of the session at the provider; the same appears in the logout token "
            "that will end this session."
        ),
        of_sign_in=True,
    ),
)

# Claims that are objects: each field is a fact of the table (``enterprise.neq``, …).
OBJECT_CLAIMS: dict[str, Explanation] = {
    "enterprise": _l("Enterprise the person acts for: its NEQ and its name."),
    "agent": _l(
        "Agent enterprise: the person's own, acting for the enterprise above under an external "
        "proxy."
    ),
}

BY_KEY: dict[str, Fact] = {fact.key: fact for fact in FACTS}
BY_CLAIM: dict[str, Fact] = {fact.claim: fact for fact in FACTS if fact.claim}
BY_DETAIL: dict[str, Fact] = {fact.detail: fact for fact in FACTS if fact.detail}
BY_SAML_NAME: dict[str, Fact] = {fact.saml.name: fact for fact in FACTS if fact.saml}


def claim_names() -> list[str]:
    """The claims of the ID token and UserInfo that carry facts, in the table's order."""
    return list(dict.fromkeys(fact.claim_name for fact in FACTS if fact.claim_name))
