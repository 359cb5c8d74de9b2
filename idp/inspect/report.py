"""What an inspection found, as data: the CLI prints it, the demo sites render it in HTML.

Every sentence meant for a person is a :class:`Text` in French and English (the interface is
bilingual, French first); codes and raw values stay as they are, so a page or a script can
decide on them without parsing prose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from idp.keystore import KeyState


@dataclass(frozen=True)
class Text:
    """One sentence in both languages of the interface."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


class Kind(StrEnum):
    # Names of token kinds, not secrets (S105).
    ID_TOKEN = "id_token"  # noqa: S105
    ACCESS_TOKEN = "access_token"  # noqa: S105
    LOGOUT_TOKEN = "logout_token"  # noqa: S105
    # A JWT whose type this provider never issues (its claims are still explained).
    OTHER_JWT = "jwt"
    SAML_RESPONSE = "saml_response"
    # Nothing could be decoded: neither a JWT nor a SAML message.
    UNREADABLE = "unreadable"


KIND_LABELS = {
    Kind.ID_TOKEN: Text("jeton d'identité (ID token)", "ID token"),
    Kind.ACCESS_TOKEN: Text("jeton d'accès (access token)", "access token"),
    Kind.LOGOUT_TOKEN: Text("jeton de déconnexion (logout token)", "logout token"),
    Kind.OTHER_JWT: Text("JWT d'un type inconnu", "JWT of an unknown type"),
    Kind.SAML_RESPONSE: Text("réponse SAML", "SAML response"),
    Kind.UNREADABLE: Text("contenu illisible", "unreadable input"),
}


class ProblemCode(StrEnum):
    MALFORMED = "malformed"
    UNSAFE_XML = "unsafe_xml"
    ALGORITHM_REFUSED = "algorithm_refused"
    NO_KID = "no_kid"
    UNKNOWN_KEY = "unknown_key"
    KEY_TYPE_MISMATCH = "key_type_mismatch"
    BAD_SIGNATURE = "bad_signature"
    ALTERED = "altered"
    NOT_SIGNED = "not_signed"
    SIGNATURE_WRAPPING = "signature_wrapping"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    MISSING = "missing"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    UNEXPECTED_TYPE = "unexpected_type"
    UNEXPECTED_CONTENT = "unexpected_content"


@dataclass(frozen=True)
class Problem:
    """Something that makes the token or response unacceptable."""

    code: ProblemCode
    message: Text


class SignatureStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    # No signature at all where this provider always puts one.
    ABSENT = "absent"
    # Not even tried: algorithm refused, unknown key, wrapped reference.
    REFUSED = "refused"
    # Cannot be checked here (an assertion encrypted for a service provider).
    UNCHECKED = "unchecked"


KEY_STATE_LABELS = {
    KeyState.CURRENT: Text("clé courante", "current key"),
    KeyState.NEXT: Text("clé suivante, publiée d'avance", "next key, published in advance"),
    KeyState.PUBLISHED: Text(
        "clé publiée par le fournisseur (son rôle, courante ou suivante, n'est pas publié)",
        "key published by the provider (whether current or next is not published)",
    ),
    KeyState.RETIRED: Text(
        "clé retirée, encore publiée pendant la période de conservation",
        "retired key, still published during the retention period",
    ),
}


@dataclass(frozen=True)
class SignerKey:
    """A published key of the provider that verified (or should have verified) a signature."""

    kid: str
    kty: str
    state: KeyState

    @property
    def label(self) -> Text:
        return KEY_STATE_LABELS[self.state]


@dataclass(frozen=True)
class SignatureCheck:
    """One signature: the JWT's, or the SAML response's or assertion's."""

    target: Text
    status: SignatureStatus
    algorithm: str | None = None
    key: SignerKey | None = None
    reason: Text | None = None

    @property
    def valid(self) -> bool:
        return self.status is SignatureStatus.VALID


@dataclass(frozen=True)
class TimeCheck:
    """A moment the token carries, compared with the inspection's ``now``."""

    name: str
    moment: datetime
    ok: bool
    explanation: Text
    # True for the end of validity (exp, NotOnOrAfter): the headline says how long is left.
    ends_validity: bool = False


@dataclass(frozen=True)
class Item:
    """A claim or attribute, its raw value and what it means.

    ``value`` is the JSON value of a claim, the text of a SAML element or attribute, or the
    list of values of a SAML attribute; ``display`` is a readable form of the value when it
    adds something (a timestamp's date); ``label`` a readable name when ``name`` is a URI (the
    SAML attribute's usual name and the OIDC claim carrying the same fact).
    """

    name: str
    value: Any
    explanation: Text
    known: bool = True
    display: str | None = None
    label: str | None = None
    children: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Section:
    title: Text
    items: tuple[Item, ...]


@dataclass
class Report:
    kind: Kind
    now: datetime
    # The JWT header (pretty JSON); None for SAML.
    header: str | None = None
    # The JWT payload (pretty JSON) or the SAML document (indented XML), as decoded, untrusted.
    payload: str = ""
    signatures: list[SignatureCheck] = field(default_factory=list)
    times: list[TimeCheck] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Facts worth knowing that do not make it invalid (a retired key, an encrypted assertion).
    notes: list[Text] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Every signature verifies and nothing is wrong at ``now``."""
        return not self.problems and all(
            check.valid or check.status is SignatureStatus.UNCHECKED for check in self.signatures
        )

    @property
    def kind_label(self) -> Text:
        return KIND_LABELS[self.kind]

    def problem(self, code: ProblemCode, fr: str, en: str) -> None:
        self.problems.append(Problem(code, Text(fr, en)))

    def note(self, fr: str, en: str) -> None:
        # Once each: both signatures of a SAML response may say the same thing.
        if Text(fr, en) not in self.notes:
            self.notes.append(Text(fr, en))

    def has(self, code: ProblemCode) -> bool:
        return any(p.code is code for p in self.problems)

    def note_signer(self, signer: SignerKey) -> None:
        """Say so when a valid signature comes from a key that does not sign today."""
        if signer.state is KeyState.RETIRED:
            self.note(
                f"Signé par la clé retirée {signer.kid} : elle reste publiée pendant la période "
                "de conservation, donc ce qu'elle a signé se vérifie encore.",
                f"Signed by the retired key {signer.kid}: it stays published during the "
                "retention period, so what it signed still verifies.",
            )
        elif signer.state is KeyState.NEXT:
            self.note(
                f"Signé par la clé suivante {signer.kid}, publiée d'avance mais qui ne signe "
                "qu'après la prochaine rotation : inhabituel.",
                f"Signed by the next key {signer.kid}, published in advance but signing only "
                "after the next rotation: unusual.",
            )
