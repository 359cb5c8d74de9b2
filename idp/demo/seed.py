"""Deterministic demo data: an emitting company and a consulting firm, each with an ESM and users.

Running it again changes nothing. User codes and the password are fixed so the README can list
them; these accounts exist only in databases seeded for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.services import find_by_user_code
from idp.audit.services import record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.enterprises.services import create_enterprise, find_by_neq
from idp.ministries.services import (
    active_ministry_keys,
    decide_registration,
    submit_registration,
)
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
_REP, _ESM, _USER = AccountRole.AUTHORIZED_REPRESENTATIVE, AccountRole.ESM, AccountRole.USER
_OPERATOR = AccountRole.MINISTRY_OPERATOR

DEMO_ENTERPRISES = {
    _EMITTER: "Aciérie Saint-Laurent inc.",
    _CONSULTANT: "Conseils Verts Québec inc.",
    # Registered nowhere yet: the demo of a registration, its activation and first proxies.
    _NEWCOMER: "Papetière Boréale inc.",
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
)

# The emitting company is already active at both; the consulting firm is left unregistered so
# the demo can show a registration and its activation by the ministry operator.
DEMO_REGISTRATIONS = {
    _EMITTER: {"melccfp": {"establishment_count": "2"}, "amf": {"amf_client_number": "500123"}},
}


def seed_demo(session: DbSession, runtime: Runtime) -> list[DemoAccount]:
    """Create whatever of the demo data is missing; returns the demo accounts."""
    enterprises: dict[str, Enterprise] = {}
    for neq, name in DEMO_ENTERPRISES.items():
        enterprises[neq] = find_by_neq(session, neq) or create_enterprise(
            session, runtime.clock, neq=neq, legal_name=name
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
    return list(DEMO_ACCOUNTS)


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
