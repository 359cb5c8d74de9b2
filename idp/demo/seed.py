"""Deterministic demo data: an emitting company and a consulting firm, each with an ESM and users.

Running it again changes nothing. User codes and the password are fixed so the README can list
them; these accounts exist only in databases seeded for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.services import find_by_user_code
from idp.audit.services import record
from idp.audit.tags import AuditAction
from idp.citizens.enrolment import CitizenDetails, hashed_answers, make_citizen_account
from idp.citizens.sin import sin_hash
from idp.conditions.services import accept_in_force
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.enterprises.services import create_enterprise, find_by_neq
from idp.ministries.services import (
    active_ministry_keys,
    decide_registration,
    submit_registration,
)
from idp.proxies.models import ProxyAssignment, ProxyKind
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy
from idp.runtime import Runtime

# S105: the published password of the demo accounts, printed by `idp demo start`.
DEMO_PASSWORD = "Fleuve-Erable-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    user_code: str
    display_name: str
    email: str
    role: AccountRole
    neq: str | None
    ministry_key: str | None = None


_EMITTER, _CONSULTANT, _NEWCOMER = "1143256789", "1170000002", "1160000003"
# A second emitter, client of the consulting firm too: the consultant chooses between the two.
_CLIENT = "1180000004"
_REP, _ESM, _USER = AccountRole.AUTHORIZED_REPRESENTATIVE, AccountRole.ESM, AccountRole.USER
_OPERATOR = AccountRole.MINISTRY_OPERATOR

DEMO_ENTERPRISES = {
    _EMITTER: "Aciérie Saint-Laurent inc.",
    _CONSULTANT: "Conseils Verts Québec inc.",
    # Registered nowhere yet: the demo of a registration, its activation and first proxies.
    _NEWCOMER: "Papetière Boréale inc.",
    _CLIENT: "Cimenterie Outaouais inc.",
}

DEMO_ACCOUNTS = (
    DemoAccount("REPA-2347", "Louise Gagnon", "louise.gagnon@acierie.example", _REP, _EMITTER),
    DemoAccount("ESMA-2345", "Marie Tremblay", "marie.tremblay@acierie.example", _ESM, _EMITTER),
    DemoAccount("USRA-2346", "Jean Roy", "jean.roy@acierie.example", _USER, _EMITTER),
    DemoAccount("ESMC-3456", "Sophie Côté", "sophie.cote@conseilsverts.example", _ESM, _CONSULTANT),
    DemoAccount(
        "CNST-3457", "Karim Haddad", "karim.haddad@conseilsverts.example", _USER, _CONSULTANT
    ),
    DemoAccount("ESMB-4567", "Julie Bergeron", "julie.bergeron@boreale.example", _ESM, _NEWCOMER),
    DemoAccount(
        "ESMD-5678", "Pierre Lefebvre", "pierre.lefebvre@cimenterie.example", _ESM, _CLIENT
    ),
    DemoAccount(
        "MENV-2345",
        "Nadia Bouchard",
        "nadia.bouchard@environnement.example",
        _OPERATOR,
        None,
        "melccfp",
    ),
    DemoAccount(
        "AMFQ-2345", "Éric Lavoie", "eric.lavoie@lautorite.example", _OPERATOR, None, "amf"
    ),
    # Staff of the provider: decides the enterprises' own registrations (/exploitation).
    DemoAccount(
        "EXPL-2345",
        "Hélène Morin",
        "helene.morin@clicsequr.example",
        AccountRole.PROVIDER_OPERATOR,
        None,
    ),
)

# The emitting company is already active at both; the consulting firm is left unregistered so
# the demo can show a registration and its activation by the ministry operator.
DEMO_REGISTRATIONS = {
    _EMITTER: {"melccfp": {"establishment_count": "2"}, "amf": {"amf_client_number": "500123"}},
    _CLIENT: {"melccfp": {"establishment_count": "1"}},
}

# Proxies for the journeys of the demo sites: Jean Roy files the IQEA report and pays at the
# AMF; Karim Haddad verifies the reports of both emitters through their external proxies.
_IQEA_OPERATOR, _IQEA_VERIFIER = "melccfp.iqea.operator", "melccfp.iqea.verifier"
_AMF_RIGHTS = frozenset({"amf.payments", "amf.disclosures.31_103"})


@dataclass(frozen=True)
class DemoProxy:
    mandator: str
    description: str
    grants: tuple[tuple[str, frozenset[str]], ...]
    holder: str
    # The agent firm's NEQ for an external proxy (its ESM assigns it).
    agent: str | None = None


DEMO_PROXIES = (
    DemoProxy(
        _EMITTER,
        "Déclaration IQEA et paiements AMF",
        (("melccfp", frozenset({_IQEA_OPERATOR})), ("amf", _AMF_RIGHTS)),
        holder="USRA-2346",
    ),
    DemoProxy(
        _EMITTER,
        "Vérification de la déclaration IQEA",
        (("melccfp", frozenset({_IQEA_VERIFIER})),),
        holder="CNST-3457",
        agent=_CONSULTANT,
    ),
    DemoProxy(
        _CLIENT,
        "Vérification de la déclaration IQEA",
        (("melccfp", frozenset({_IQEA_VERIFIER})),),
        holder="CNST-3457",
        agent=_CONSULTANT,
    ),
)
# Valid a year from the first seeding (within the three-years-less-a-day limit).
_PROXY_DAYS = 365

# The demo citizen: the first taxpayer of config/demo-taxpayers.toml, with an account already,
# for the pesticide certificate site. Her four answers are published like the password.
DEMO_CITIZEN = DemoAccount(
    "2846-CTZN", "Sophie Gagnon", "sophie.gagnon@courriel.example", AccountRole.CITIZEN, None
)
DEMO_CITIZEN_SIN = "062527601"
DEMO_CITIZEN_IMAGE = "harfang"
DEMO_CITIZEN_PHRASE = "Le fleuve est calme ce matin"
DEMO_CITIZEN_ANSWERS = (
    ("first_school", "École Saint-Jean"),
    ("first_pet", "Caramel"),
    ("childhood_street", "Rue des Érables"),
    ("grandmother_name", "Yvette"),
)


def seed_demo(session: DbSession, runtime: Runtime) -> list[DemoAccount]:
    """Create whatever of the demo data is missing; returns the demo accounts."""
    enterprises: dict[str, Enterprise] = {}
    for neq, name in DEMO_ENTERPRISES.items():
        # None of the demo names takes an article: « d'Aciérie Saint-Laurent inc. ».
        enterprises[neq] = find_by_neq(session, neq) or create_enterprise(
            session, runtime.clock, neq=neq, legal_name=name, name_article=""
        )
    for demo in DEMO_ACCOUNTS:
        if find_by_user_code(session, demo.user_code) is not None:
            continue
        account = Account(
            user_code=demo.user_code,
            display_name=demo.display_name,
            email=demo.email,
            password_hash=runtime.hashing.hash(DEMO_PASSWORD),
            status=AccountStatus.ACTIVE,
            must_change_password=False,
            created_at=runtime.clock(),
            enterprise=enterprises[demo.neq] if demo.neq else None,
            enterprise_id=enterprises[demo.neq].id if demo.neq else None,
            ministry_key=demo.ministry_key,
            role=demo.role,
        )
        session.add(account)
        session.flush()
        record(
            session,
            runtime.clock,
            AuditAction.ACCOUNT_CREATE,
            subject_id=account.id,
            enterprise_id=account.enterprise_id,
            role=str(demo.role),
            source="demo_seed",
        )
    _register(session, runtime, enterprises)
    _give_proxies(session, runtime, enterprises)
    _seed_citizen(session, runtime)
    _accept_conditions(session, runtime)
    return [*DEMO_ACCOUNTS, DEMO_CITIZEN]


def _accept_conditions(session: DbSession, runtime: Runtime) -> None:
    """The demo's people accepted the conditions in force, so the demo goes straight through
    (a newly published version included); the accounts made during a demo accept their own."""
    for demo in (*DEMO_ACCOUNTS, DEMO_CITIZEN):
        account = find_by_user_code(session, demo.user_code)
        if account is not None:
            accept_in_force(session, runtime, account, source="demo_seed")


def _seed_citizen(session: DbSession, runtime: Runtime) -> None:
    if find_by_user_code(session, DEMO_CITIZEN.user_code) is not None:
        return
    given, family = DEMO_CITIZEN.display_name.split(" ", 1)
    account = make_citizen_account(
        session,
        runtime,
        CitizenDetails(
            user_code=DEMO_CITIZEN.user_code,
            given_name=given,
            family_name=family,
            email=DEMO_CITIZEN.email,
            locale="fr",
            sin_hash=sin_hash(runtime.sin_key, DEMO_CITIZEN_SIN),
            image_key=DEMO_CITIZEN_IMAGE,
            personal_phrase=DEMO_CITIZEN_PHRASE,
        ),
        password_hash=runtime.hashing.hash(DEMO_PASSWORD),
        answers=hashed_answers(runtime, list(DEMO_CITIZEN_ANSWERS)),
    )
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_CREATE,
        subject_id=account.id,
        role=str(AccountRole.CITIZEN),
        source="demo_seed",
    )


def _register(session: DbSession, runtime: Runtime, enterprises: dict[str, Enterprise]) -> None:
    for neq, ministries in DEMO_REGISTRATIONS.items():
        enterprise = enterprises[neq]
        esm = next(a for a in DEMO_ACCOUNTS if a.neq == neq and a.role == _ESM)
        actor = find_by_user_code(session, esm.user_code)
        done = active_ministry_keys(session, enterprise.id)
        for ministry_key, answers in ministries.items():
            if ministry_key in done or actor is None:
                continue
            registration = submit_registration(
                session,
                runtime,
                actor,
                enterprise_id=enterprise.id,
                ministry_key=ministry_key,
                answers=answers,
            )
            operator = next(a for a in DEMO_ACCOUNTS if a.ministry_key == ministry_key)
            decider = find_by_user_code(session, operator.user_code)
            if decider is not None:
                decide_registration(session, runtime, decider, registration, activate=True)


def _give_proxies(session: DbSession, runtime: Runtime, enterprises: dict[str, Enterprise]) -> None:
    """Each demo proxy once: skipped when its holder already has one from that mandator."""
    for demo in DEMO_PROXIES:
        mandator = enterprises[demo.mandator]
        holder = find_by_user_code(session, demo.holder)
        esm = _esm_of(session, demo.mandator)
        if holder is None or esm is None or _holds_one_from(session, holder, mandator):
            continue
        proxy = create_proxy(
            session,
            runtime,
            esm,
            enterprise_id=mandator.id,
            kind=ProxyKind.EXTERNAL if demo.agent else ProxyKind.INTERNAL,
            ends_on=runtime.today() + timedelta(days=_PROXY_DAYS),
            description=demo.description,
            grants=[MinistryGrant(key, False, rights) for key, rights in demo.grants],
            agent_identifier=demo.agent,
            # The seed acts for the ESM, who would have entered the emailed code.
            verified_at=runtime.clock(),
        )
        assigner = _esm_of(session, demo.agent) if demo.agent else esm
        if assigner is not None:
            assign_proxy(session, runtime, assigner, proxy, [holder.id])


def _esm_of(session: DbSession, neq: str) -> Account | None:
    demo = next((a for a in DEMO_ACCOUNTS if a.neq == neq and a.role == _ESM), None)
    return find_by_user_code(session, demo.user_code) if demo else None


def _holds_one_from(session: DbSession, holder: Account, mandator: Enterprise) -> bool:
    return (
        session.scalar(
            select(ProxyAssignment.id).where(
                ProxyAssignment.account_id == holder.id,
                ProxyAssignment.mandator_enterprise_id == mandator.id,
            )
        )
        is not None
    )
