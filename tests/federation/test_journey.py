"""The journey's decision, as tables: what the relying party asked and what is known of the
person, against the outcome. No database, no request: :func:`decide` is pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from idp.claims.identity import Identity, Party
from idp.federation import journey
from idp.federation.journey import (
    ChoiceRefused,
    ChooseEnterprise,
    Conditions,
    ConditionsToAccept,
    ConsentNeeded,
    Demands,
    DenialReason,
    Denied,
    NoIdentity,
    NoRights,
    PasswordChange,
    Ready,
    SignedIn,
    SignInNeeded,
    SignInReason,
)
from idp.oidc.acr import (
    ACR_PASSWORD_AND_EMAILED_CODE,
    ACR_PASSWORD_AND_SECURITY_QUESTION,
    ACR_PHISHING_RESISTANT,
)
from idp.proxies.rights import EffectiveRights, RightsSource

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
HINT_FOR_ME = "hint-naming-the-person"
ACIERIE = EffectiveRights("melccfp", 11, frozenset({"iqea.declare"}), RightsSource.ESM)
CONSULTANT = EffectiveRights(
    "melccfp", 22, frozenset({"iqea.consult"}), RightsSource.EXTERNAL, proxy_id=5
)


def signed_in(**changes: object) -> SignedIn:
    base = SignedIn(
        authenticated_at=NOW - timedelta(minutes=10),
        portal="enterprise",
        acr=ACR_PASSWORD_AND_EMAILED_CODE,
        must_change_password=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def identity_for(held: EffectiveRights | None) -> Identity:
    return Identity(
        subject="pairwise-subject",
        given_name="Louise",
        family_name="Gagnon",
        name="Louise Gagnon",
        email="louise.gagnon@acierie.example",
        ministry_key="melccfp",
        enterprise=Party("1234567890", "Aciérie") if held else None,
        agent=None,
        role="esm" if held else "citizen",
        rights=held.rights if held else frozenset(),
        source=held.source if held else None,
        proxy_id=held.proxy_id if held else None,
        proxy_valid_until=None,
    )


@dataclass
class KnownFacts:
    """What is known of the person, set by each row; records what the journey read."""

    session: SignedIn | None = field(default_factory=signed_in)
    conditions_state: Conditions = Conditions.ACCEPTED
    options: tuple[EffectiveRights, ...] = (ACIERIE,)
    remembered: int | None = None
    citizen_identity: bool = True
    consented: bool = True
    read: list[str] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return NOW

    def signed_in(self) -> SignedIn | None:
        return self.session

    def hint_names_current_person(self, hint: str) -> bool:
        self.read.append("hint")
        return hint == HINT_FOR_ME

    def conditions(self) -> Conditions:
        self.read.append("conditions")
        return self.conditions_state

    def enterprise_options(self) -> Sequence[EffectiveRights]:
        self.read.append("options")
        return self.options

    def remembered_enterprise(self) -> int | None:
        return self.remembered

    def identity(self, held: EffectiveRights | None) -> Identity | None:
        if held is None and not self.citizen_identity:
            return None
        return identity_for(held)

    def shared(self, identity: Identity) -> list[str]:
        return ["openid", "profile", *sorted(identity.rights)]

    def consent_covers(self, shared: list[str]) -> bool:
        self.read.append("consent")
        return self.consented


ENTERPRISE = Demands(audience="enterprise")
CITIZEN = Demands(audience="citizen")


# -- fresh sign-in: one row per check of FRESH_SIGN_IN_CHECKS, and the ones that pass ----------

SIGN_IN_ROWS = [
    ("nobody signed in", ENTERPRISE, KnownFacts(session=None), SignInReason.NO_SESSION),
    (
        "a citizen at an enterprise service",
        ENTERPRISE,
        KnownFacts(session=signed_in(portal="citizen")),
        SignInReason.WRONG_PORTAL,
    ),
    (
        "an enterprise account at a citizens' service",
        CITIZEN,
        KnownFacts(),
        SignInReason.WRONG_PORTAL,
    ),
    (
        "a security question where the code is needed",
        CITIZEN,
        KnownFacts(session=signed_in(portal="citizen", acr=ACR_PASSWORD_AND_SECURITY_QUESTION)),
        SignInReason.ACR_TOO_WEAK,
    ),
    (
        "the emailed code where a passkey is needed",
        replace(ENTERPRISE, needs_phishing_resistant=True),
        KnownFacts(),
        SignInReason.ACR_TOO_WEAK,
    ),
    (
        "prompt=login",
        replace(ENTERPRISE, login_prompt=True),
        KnownFacts(),
        SignInReason.PROMPT_LOGIN,
    ),
    (
        "max_age shorter than the session",
        replace(ENTERPRISE, max_age=timedelta(minutes=5)),
        KnownFacts(),
        SignInReason.MAX_AGE,
    ),
    (
        "ForceAuthn with a sign-in older than the request",
        replace(ENTERPRISE, signed_in_after=NOW - timedelta(minutes=1)),
        KnownFacts(),
        SignInReason.FORCE_AUTHN,
    ),
    (
        "an id_token_hint naming someone else",
        replace(ENTERPRISE, id_token_hint="someone-else"),
        KnownFacts(),
        SignInReason.HINT_FOR_ANOTHER_PERSON,
    ),
]


@pytest.mark.parametrize(
    ("demands", "facts", "reason"),
    [row[1:] for row in SIGN_IN_ROWS],
    ids=[row[0] for row in SIGN_IN_ROWS],
)
def test_a_fresh_sign_in_is_needed_for_each_reason_of_the_table(
    demands: Demands, facts: KnownFacts, reason: SignInReason
) -> None:
    assert journey.decide(demands, facts) == SignInNeeded(reason)
    # Nothing past the sign-in is read for a person who must sign in again.
    assert "conditions" not in facts.read
    assert "options" not in facts.read


def test_every_fresh_sign_in_check_has_a_row() -> None:
    listed = {reason for reason, _check in journey.FRESH_SIGN_IN_CHECKS}
    assert listed | {SignInReason.NO_SESSION} == {row[3] for row in SIGN_IN_ROWS}
    assert listed | {SignInReason.NO_SESSION} == set(SignInReason)


CURRENT_SIGN_IN_ROWS = [
    (
        "a passkey where a passkey is needed",
        replace(ENTERPRISE, needs_phishing_resistant=True),
        KnownFacts(session=signed_in(acr=ACR_PHISHING_RESISTANT)),
    ),
    (
        "a passkey where the code is needed",
        ENTERPRISE,
        KnownFacts(session=signed_in(acr=ACR_PHISHING_RESISTANT)),
    ),
    (
        "a security question is enough",
        replace(CITIZEN, needs_emailed_code=False),
        KnownFacts(session=signed_in(portal="citizen", acr=ACR_PASSWORD_AND_SECURITY_QUESTION)),
    ),
    (
        "max_age longer than the session",
        replace(ENTERPRISE, max_age=timedelta(hours=1)),
        KnownFacts(),
    ),
    (
        "ForceAuthn with a sign-in after the request",
        replace(ENTERPRISE, signed_in_after=NOW - timedelta(hours=1)),
        KnownFacts(),
    ),
    (
        "an id_token_hint naming the person",
        replace(ENTERPRISE, id_token_hint=HINT_FOR_ME),
        KnownFacts(),
    ),
]


@pytest.mark.parametrize(
    ("demands", "facts"),
    [row[1:] for row in CURRENT_SIGN_IN_ROWS],
    ids=[row[0] for row in CURRENT_SIGN_IN_ROWS],
)
def test_the_current_sign_in_does_when_no_check_holds(demands: Demands, facts: KnownFacts) -> None:
    assert journey.fresh_sign_in_reason(demands, facts) is None
    assert isinstance(journey.decide(demands, facts), Ready)


# -- after the sign-in ------------------------------------------------------------------------

ready_acierie = Ready(identity_for(ACIERIE), 11, ("openid", "profile", "iqea.declare"))

OUTCOME_ROWS = [
    (
        "a temporary password",
        ENTERPRISE,
        KnownFacts(session=signed_in(must_change_password=True)),
        PasswordChange(),
    ),
    (
        "conditions waiting",
        ENTERPRISE,
        KnownFacts(conditions_state=Conditions.PENDING),
        ConditionsToAccept(),
    ),
    (
        "conditions declined on the way",
        ENTERPRISE,
        KnownFacts(conditions_state=Conditions.DECLINED),
        Denied(DenialReason.CONDITIONS_DECLINED),
    ),
    ("no right at this ministry", ENTERPRISE, KnownFacts(options=()), NoRights()),
    (
        "no right, and no page may be shown",
        replace(ENTERPRISE, passive=True),
        KnownFacts(options=()),
        Denied(DenialReason.NO_RIGHTS),
    ),
    (
        "« Refuser » with rights",
        replace(ENTERPRISE, decision="deny", is_decision=True),
        KnownFacts(),
        Denied(DenialReason.DECLINED),
    ),
    (
        "« Refuser » without rights",
        replace(ENTERPRISE, decision="deny", is_decision=True),
        KnownFacts(options=()),
        Denied(DenialReason.NO_RIGHTS),
    ),
    (
        "two enterprises, none remembered",
        ENTERPRISE,
        KnownFacts(options=(ACIERIE, CONSULTANT)),
        ChooseEnterprise((ACIERIE, CONSULTANT)),
    ),
    (
        "two enterprises, one remembered",
        ENTERPRISE,
        KnownFacts(options=(ACIERIE, CONSULTANT), remembered=11),
        ready_acierie,
    ),
    (
        "a remembered enterprise no longer possible",
        ENTERPRISE,
        KnownFacts(options=(ACIERIE, CONSULTANT), remembered=99),
        ChooseEnterprise((ACIERIE, CONSULTANT)),
    ),
    (
        "prompt=select_account with one remembered",
        replace(ENTERPRISE, select_account=True),
        KnownFacts(options=(ACIERIE, CONSULTANT), remembered=11),
        ChooseEnterprise((ACIERIE, CONSULTANT)),
    ),
    (
        "prompt=select_account after the choice was posted",
        replace(ENTERPRISE, select_account=True, posted_enterprise="11", is_decision=True),
        KnownFacts(options=(ACIERIE, CONSULTANT)),
        replace(ready_acierie, remember=ACIERIE),
    ),
    (
        "only one enterprise: chosen and remembered",
        ENTERPRISE,
        KnownFacts(),
        replace(ready_acierie, remember=ACIERIE),
    ),
    (
        "an enterprise posted that is not among the options",
        replace(ENTERPRISE, posted_enterprise="22", is_decision=True),
        KnownFacts(),
        ChoiceRefused("22"),
    ),
    (
        "a posted enterprise in other digits",
        replace(ENTERPRISE, posted_enterprise="¹¹", is_decision=True),
        KnownFacts(),
        ChoiceRefused("¹¹"),
    ),
    (
        "no consent yet",
        ENTERPRISE,
        KnownFacts(consented=False, remembered=11),
        ConsentNeeded(11, ("openid", "profile", "iqea.declare")),
    ),
    (
        "prompt=consent",
        replace(ENTERPRISE, consent_again=True),
        KnownFacts(remembered=11),
        ConsentNeeded(11, ("openid", "profile", "iqea.declare")),
    ),
    (
        "consent given on the page",
        replace(ENTERPRISE, decision="allow", is_decision=True),
        KnownFacts(consented=False, remembered=11),
        replace(ready_acierie, consent_given=True),
    ),
    (
        "the choice posted, the consent still to ask",
        replace(ENTERPRISE, posted_enterprise="22", is_decision=True),
        KnownFacts(options=(ACIERIE, CONSULTANT), consented=False),
        ConsentNeeded(22, ("openid", "profile", "iqea.consult"), remember=CONSULTANT),
    ),
    (
        "a citizen who consented",
        replace(CITIZEN, needs_emailed_code=False),
        KnownFacts(session=signed_in(portal="citizen")),
        Ready(identity_for(None), None, ("openid", "profile")),
    ),
    (
        "a citizen who declines",
        replace(CITIZEN, decision="deny", is_decision=True),
        KnownFacts(session=signed_in(portal="citizen")),
        Denied(DenialReason.DECLINED),
    ),
    (
        "a citizen whose account gives no identity",
        CITIZEN,
        KnownFacts(session=signed_in(portal="citizen"), citizen_identity=False),
        NoIdentity(),
    ),
    (
        "a citizen's first visit",
        CITIZEN,
        KnownFacts(session=signed_in(portal="citizen"), consented=False),
        ConsentNeeded(None, ("openid", "profile")),
    ),
]


@pytest.mark.parametrize(
    ("demands", "facts", "outcome"),
    [row[1:] for row in OUTCOME_ROWS],
    ids=[row[0] for row in OUTCOME_ROWS],
)
def test_the_outcome_after_the_sign_in(
    demands: Demands, facts: KnownFacts, outcome: journey.Outcome
) -> None:
    assert journey.decide(demands, facts) == outcome


def test_a_citizen_journey_reads_no_enterprise() -> None:
    facts = KnownFacts(session=signed_in(portal="citizen"))
    journey.decide(CITIZEN, facts)
    assert "options" not in facts.read


def test_the_conditions_are_read_before_any_right() -> None:
    facts = KnownFacts(conditions_state=Conditions.PENDING)
    journey.decide(ENTERPRISE, facts)
    assert facts.read == ["conditions"]


@pytest.mark.parametrize(
    "outcome",
    [
        SignInNeeded(SignInReason.NO_SESSION),
        PasswordChange(),
        ConditionsToAccept(),
        NoRights(),
        ChooseEnterprise((ACIERIE,)),
        ConsentNeeded(None, ()),
    ],
)
def test_outcomes_that_show_a_page_say_so(outcome: journey.Outcome) -> None:
    # The protocols answer these with an error when the relying party forbids pages.
    assert journey.shows_a_page(outcome)


@pytest.mark.parametrize(
    "outcome",
    [
        ChoiceRefused("x"),
        NoIdentity(),
        Denied(DenialReason.DECLINED),
        ready_acierie,
    ],
)
def test_outcomes_that_answer_without_a_page_say_so(outcome: journey.Outcome) -> None:
    assert not journey.shows_a_page(outcome)
