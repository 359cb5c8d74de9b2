"""One journey from a relying party's request to its answer, whatever the protocol.

OpenID Connect's authorization endpoint and SAML's single sign-on ask the same questions in the
same order: is there a sign-in fresh and strong enough for what the relying party asked, must
the password be changed, are the conditions of use accepted, which enterprise does the person
act for at this ministry, do they hold a right the service needs, did they agree to what is
shared. :func:`decide` answers them over a closed set of outcomes; each protocol maps an
outcome to its own answer (a redirect, a page, an OAuth error, a SAML status, a code, an
assertion) in a few lines.

:func:`decide` is pure: it reads what the relying party asked (:class:`Demands`) and what is
known of the person (:class:`Facts`, read lazily and only as far as the journey goes), and
writes nothing. What an outcome asks to keep (the enterprise chosen, the consent given) rides
on the outcome and is kept by :meth:`idp.federation.facts.LiveFacts.settle`.

The fresh sign-in checks are one table, :data:`FRESH_SIGN_IN_CHECKS`, in the manner of
oidc-provider's interaction policy: each names why a new sign-in is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from idp.claims.identity import Identity
from idp.oidc.acr import ACR_PASSWORD_AND_EMAILED_CODE, ACR_PHISHING_RESISTANT, satisfies
from idp.proxies.rights import EffectiveRights

DECISION_ALLOW = "allow"
DECISION_DENY = "deny"


# -- what the relying party asked, and what is known ----------------------------------------------


@dataclass(frozen=True)
class Demands:
    """What this request asks of the journey, read from the protocol's message."""

    # The portal whose accounts the relying party takes ("enterprise" or "citizen").
    audience: str
    # The emailed code must be part of the sign-in (SAML always; OIDC by registration or acr).
    needs_emailed_code: bool = True
    # A passkey must be (OIDC: registration ``minimum_acr`` or ``acr_values`` of
    # urn:clicsequr:acr:phr; SAML: that AuthnContextClassRef).
    needs_phishing_resistant: bool = False
    # OIDC prompt=login, on the request itself (not on a page posted back to it).
    login_prompt: bool = False
    # OIDC max_age.
    max_age: timedelta | None = None
    # SAML ForceAuthn: the sign-in must be later than this instant (the request's arrival).
    signed_in_after: datetime | None = None
    # OIDC id_token_hint: an ID token naming the person the relying party expects.
    id_token_hint: str | None = None
    # OIDC prompt=none, SAML IsPassive: no page may be shown.
    passive: bool = False
    # OIDC prompt=select_account: show the choice even when one is remembered.
    select_account: bool = False
    # OIDC prompt=consent: ask for the consent even when it was given.
    consent_again: bool = False
    # The person's answer on one of the journey's pages.
    decision: str | None = None
    posted_enterprise: str | None = None
    # A page of the journey was posted (its answer is in ``decision`` or ``posted_enterprise``).
    is_decision: bool = False


@dataclass(frozen=True)
class SignedIn:
    """The browser's sign-in, as far as the journey needs it."""

    authenticated_at: datetime
    portal: str
    acr: str
    must_change_password: bool


class Conditions(StrEnum):
    ACCEPTED = "accepted"
    PENDING = "pending"
    # « Je refuse » was pressed on the way here: the relying party is told no.
    DECLINED = "declined"


class Facts(Protocol):
    """What is known of the person; each read once, and only when the journey gets there."""

    @property
    def now(self) -> datetime: ...

    def signed_in(self) -> SignedIn | None: ...

    def hint_names_current_person(self, hint: str) -> bool: ...

    def conditions(self) -> Conditions: ...

    def enterprise_options(self) -> Sequence[EffectiveRights]: ...

    def remembered_enterprise(self) -> int | None: ...

    def identity(self, held: EffectiveRights | None) -> Identity | None: ...

    def shared(self, identity: Identity) -> list[str]: ...

    def consent_covers(self, shared: list[str]) -> bool: ...


# -- outcomes ----------------------------------------------------------------------------------


class SignInReason(StrEnum):
    NO_SESSION = "no_session"
    WRONG_PORTAL = "wrong_portal"
    ACR_TOO_WEAK = "acr_too_weak"
    PROMPT_LOGIN = "prompt_login"
    MAX_AGE = "max_age"
    FORCE_AUTHN = "force_authn"
    HINT_FOR_ANOTHER_PERSON = "hint_for_another_person"


class DenialReason(StrEnum):
    DECLINED = "declined"
    NO_RIGHTS = "no_rights"
    CONDITIONS_DECLINED = "conditions_declined"


@dataclass(frozen=True)
class SignInNeeded:
    reason: SignInReason


@dataclass(frozen=True)
class PasswordChange:
    """A temporary password: changed first, whatever the relying party asked."""


@dataclass(frozen=True)
class ConditionsToAccept:
    """The conditions of use of the person's portal, not yet accepted."""


@dataclass(frozen=True)
class ChooseEnterprise:
    options: tuple[EffectiveRights, ...]


@dataclass(frozen=True)
class ChoiceRefused:
    """An enterprise was posted that the person cannot act for at this ministry."""

    posted: str


@dataclass(frozen=True)
class NoRights:
    """A page telling the person to ask their ESM for a proxy."""


@dataclass(frozen=True)
class NoIdentity:
    """A citizen's session whose account no longer gives an identity (closed since)."""


@dataclass(frozen=True)
class ConsentNeeded:
    enterprise_id: int | None
    shared: tuple[str, ...]
    # The enterprise chosen on the way (kept by settle()).
    remember: EffectiveRights | None = None


@dataclass(frozen=True)
class Denied:
    reason: DenialReason


@dataclass(frozen=True)
class Ready:
    identity: Identity
    enterprise_id: int | None
    shared: tuple[str, ...]
    remember: EffectiveRights | None = None
    # The person just agreed on the consent page (settle() records it), else it is reused.
    consent_given: bool = False


# Outcomes that show the person a page: a passive request (OIDC prompt=none, SAML IsPassive)
# gets the protocol's error instead. The others answer the relying party.
SHOWS_A_PAGE: frozenset[type] = frozenset(
    {SignInNeeded, PasswordChange, ConditionsToAccept, ChooseEnterprise, NoRights, ConsentNeeded}
)

Outcome = (
    SignInNeeded
    | PasswordChange
    | ConditionsToAccept
    | ChooseEnterprise
    | ChoiceRefused
    | NoRights
    | NoIdentity
    | ConsentNeeded
    | Denied
    | Ready
)


def shows_a_page(outcome: Outcome) -> bool:
    return type(outcome) in SHOWS_A_PAGE


# -- fresh sign-in ------------------------------------------------------------------------------

FreshSignInCheck = Callable[[Demands, SignedIn, "Facts"], bool]


def _wrong_portal(demands: Demands, signed_in: SignedIn, facts: Facts) -> bool:
    """Citizens' services take citizen accounts only, enterprise services the others."""
    return signed_in.portal != demands.audience


def _acr_too_weak(demands: Demands, signed_in: SignedIn, facts: Facts) -> bool:
    """A sign-in by security question when the emailed code is required; one without a passkey
    when a passkey is."""
    if demands.needs_phishing_resistant:
        return not satisfies(signed_in.acr, ACR_PHISHING_RESISTANT)
    return demands.needs_emailed_code and not satisfies(
        signed_in.acr, ACR_PASSWORD_AND_EMAILED_CODE
    )


def _prompt_login(demands: Demands, signed_in: SignedIn, facts: Facts) -> bool:
    return demands.login_prompt


def _max_age(demands: Demands, signed_in: SignedIn, facts: Facts) -> bool:
    return demands.max_age is not None and facts.now - signed_in.authenticated_at > demands.max_age


def _force_authn(demands: Demands, signed_in: SignedIn, facts: Facts) -> bool:
    """A password and a code entered after the request arrived."""
    since = demands.signed_in_after
    return since is not None and signed_in.authenticated_at < since


def _hint_for_another_person(demands: Demands, signed_in: SignedIn, facts: Facts) -> bool:
    hint = demands.id_token_hint
    return hint is not None and not facts.hint_names_current_person(hint)


# In order; the first that holds is the reason. "No session" comes before them all.
FRESH_SIGN_IN_CHECKS: tuple[tuple[SignInReason, FreshSignInCheck], ...] = (
    (SignInReason.WRONG_PORTAL, _wrong_portal),
    (SignInReason.ACR_TOO_WEAK, _acr_too_weak),
    (SignInReason.PROMPT_LOGIN, _prompt_login),
    (SignInReason.MAX_AGE, _max_age),
    (SignInReason.FORCE_AUTHN, _force_authn),
    (SignInReason.HINT_FOR_ANOTHER_PERSON, _hint_for_another_person),
)


def fresh_sign_in_reason(demands: Demands, facts: Facts) -> SignInReason | None:
    """Why this request needs a new sign-in, or None when the current one will do."""
    signed_in = facts.signed_in()
    if signed_in is None:
        return SignInReason.NO_SESSION
    for reason, check in FRESH_SIGN_IN_CHECKS:
        if check(demands, signed_in, facts):
            return reason
    return None


# -- the decision -------------------------------------------------------------------------------


def decide(demands: Demands, facts: Facts) -> Outcome:
    """The next step of the journey for this request."""
    reason = fresh_sign_in_reason(demands, facts)
    if reason is not None:
        return SignInNeeded(reason)
    signed_in = facts.signed_in()
    assert signed_in is not None  # noqa: S101 (fresh_sign_in_reason says NO_SESSION otherwise)
    if signed_in.must_change_password:
        return PasswordChange()
    conditions = facts.conditions()
    if conditions is Conditions.DECLINED:
        return Denied(DenialReason.CONDITIONS_DECLINED)
    if conditions is Conditions.PENDING:
        return ConditionsToAccept()
    if demands.audience == "citizen":
        return _citizen(demands, facts)
    return _enterprise(demands, facts)


def _citizen(demands: Demands, facts: Facts) -> Outcome:
    """A citizen's service: no enterprise to choose, no right to hold, only the consent."""
    if demands.decision == DECISION_DENY:
        return Denied(DenialReason.DECLINED)
    identity = facts.identity(None)
    if identity is None:
        return NoIdentity()
    return _consent_or_ready(demands, facts, identity, None, remember=None)


def _enterprise(demands: Demands, facts: Facts) -> Outcome:
    options = tuple(facts.enterprise_options())
    if demands.decision == DECISION_DENY:
        return Denied(DenialReason.DECLINED if options else DenialReason.NO_RIGHTS)
    if not options:
        # Without a page to show, the relying party is told the person holds no right.
        return Denied(DenialReason.NO_RIGHTS) if demands.passive else NoRights()
    chosen = _chosen_enterprise(demands, facts, options)
    if isinstance(chosen, ChoiceRefused | ChooseEnterprise):
        return chosen
    held, remember = chosen
    identity = facts.identity(held)
    assert identity is not None  # noqa: S101 (an enterprise identity always exists for rights held)
    return _consent_or_ready(demands, facts, identity, held.enterprise_id, remember=remember)


def _chosen_enterprise(
    demands: Demands, facts: Facts, options: tuple[EffectiveRights, ...]
) -> tuple[EffectiveRights, EffectiveRights | None] | ChoiceRefused | ChooseEnterprise:
    """The enterprise posted, remembered or only possible, and whether to remember it."""
    by_id = {held.enterprise_id: held for held in options}
    posted = demands.posted_enterprise
    if posted is not None:
        held = by_id.get(int(posted)) if posted.isascii() and posted.isdigit() else None
        if held is None:
            return ChoiceRefused(posted)
        return held, held
    if demands.select_account and len(options) > 1 and not demands.is_decision:
        return ChooseEnterprise(options)
    remembered = facts.remembered_enterprise()
    if remembered is not None and remembered in by_id:
        return by_id[remembered], None
    if len(options) == 1:
        return options[0], options[0]
    return ChooseEnterprise(options)


def _consent_or_ready(
    demands: Demands,
    facts: Facts,
    identity: Identity,
    enterprise_id: int | None,
    *,
    remember: EffectiveRights | None,
) -> Outcome:
    shared = tuple(facts.shared(identity))
    if demands.decision == DECISION_ALLOW:
        return Ready(identity, enterprise_id, shared, remember=remember, consent_given=True)
    if demands.consent_again or not facts.consent_covers(list(shared)):
        return ConsentNeeded(enterprise_id, shared, remember=remember)
    return Ready(identity, enterprise_id, shared, remember=remember)
