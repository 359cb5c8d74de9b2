"""Accounts for the sign-in benchmarks, on top of the demo data (``idp demo seed``).

    python -m bench.seed --accounts 1200 --out accounts.json   (IDP_* name the database)

Each account is a consultant of Conseils Verts Québec inc. holding, like Karim Haddad
(``CNST-3457``), both external IQEA verifier proxies the demo's two emitters gave the firm: at
the MELCCFP the person chooses which enterprise to act for, then consents, as in the demo (the
conditions of use were accepted beforehand, as the demo's people did). One
account signs in once per run: the per-account limits (5 codes an hour, the per-user-code
throttle) never come into play, and no limit is raised for the benchmark.

All share the demo password and one argon2id hash of it made with the provider's own settings
(OWASP parameters): verifying it costs exactly what verifying a hash of its own would.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from sqlalchemy import select

from idp import create_app
from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.user_codes import DIGITS
from idp.conditions.services import accept_in_force
from idp.demo.seed import DEMO_PASSWORD
from idp.enterprises.services import find_by_neq
from idp.extensions import db
from idp.proxies.models import Proxy, ProxyKind
from idp.proxies.services import assign_proxy

CONSULTING_FIRM = "1170000002"
CONSULTING_ESM = "ESMC-3456"
PREFIX = "BNCH"


def user_codes(count: int) -> list[str]:
    """BNCH-2222, BNCH-2223, ... (well-formed user codes: no 0 or 1)."""
    combos = itertools.product(DIGITS, repeat=4)
    codes = [f"{PREFIX}-{''.join(digits)}" for digits in itertools.islice(combos, count)]
    if len(codes) < count:
        raise SystemExit(f"at most {len(DIGITS) ** 4} benchmark accounts")
    return codes


def seed(count: int) -> list[dict[str, str]]:
    app = create_app()
    with app.app_context():
        runtime = app.extensions["idp.runtime"]
        session = db.session
        firm = find_by_neq(session, CONSULTING_FIRM)
        esm = session.scalar(select(Account).where(Account.user_code == CONSULTING_ESM))
        if firm is None or esm is None:
            raise SystemExit("the demo data is missing: run `idp demo seed` first")
        proxies = session.scalars(
            select(Proxy).where(
                Proxy.kind == ProxyKind.EXTERNAL, Proxy.agent_enterprise_id == firm.id
            )
        ).all()
        if len(proxies) < 2:
            raise SystemExit("the demo's two external proxies to the consulting firm are missing")
        password_hash = runtime.hashing.hash(DEMO_PASSWORD)
        existing = set(
            session.scalars(select(Account.user_code).where(Account.user_code.like(f"{PREFIX}-%")))
        )
        accounts = []
        for number, code in enumerate(user_codes(count), start=1):
            if code in existing:
                continue
            accounts.append(
                Account(
                    user_code=code,
                    display_name=f"Banc d'essai {number}",
                    email=f"banc.{number}@conseilsverts.example",
                    password_hash=password_hash,
                    status=AccountStatus.ACTIVE,
                    must_change_password=False,
                    created_at=runtime.clock(),
                    enterprise_id=firm.id,
                    role=AccountRole.USER,
                )
            )
        session.add_all(accounts)
        session.flush()
        if accounts:
            for proxy in proxies:
                assign_proxy(session, runtime, esm, proxy, [a.id for a in accounts])
            # Like the demo's people, they accepted the conditions of use before the run.
            for account in accounts:
                accept_in_force(session, runtime, account, source="bench_seed")
        session.commit()
        rows = session.execute(
            select(Account.user_code, Account.email)
            .where(Account.user_code.like(f"{PREFIX}-%"))
            .order_by(Account.id)
        ).all()
        db.engine.dispose()
        return [{"user_code": code, "email": email} for code, email in rows]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    accounts = seed(args.accounts)
    args.out.write_text(json.dumps(accounts), "utf-8")
    print(f"{len(accounts)} benchmark accounts ready")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
