"""Domain events (idp/events.py): who publishes, who subscribes, and that domains stay free of
the protocols."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from idp.events import (
    CredentialsReset,
    EnterpriseChanged,
    Events,
    RightsChanged,
    SessionsEnded,
    publish,
)
from idp.extensions import db
from tests.grants import iqea_grant

IDP = Path(__file__).resolve().parents[1] / "idp"
DOMAINS = ("accounts", "enterprises", "proxies", "ministries", "citizens", "consents", "mailbox")


def test_the_protocols_subscribe_to_every_event(runtime):
    assert runtime.events.subscriptions() == {
        "SessionsEnded": ["idp.oidc.logout._sessions_ended"],
        "RightsChanged": [
            "idp.oidc.logout._rights_changed",
            "idp.secevents.subscriptions._rights_changed",
        ],
        "RightsWithdrawn": [
            "idp.oidc.logout._rights_withdrawn",
            "idp.secevents.subscriptions._rights_withdrawn",
        ],
        "EnterpriseChanged": [
            "idp.oidc.logout._enterprise_changed",
            "idp.secevents.subscriptions._enterprise_changed",
        ],
        "CredentialsReset": ["idp.oidc.logout._credentials_reset"],
        "CredentialsChanged": ["idp.secevents.subscriptions._credentials_changed"],
    }


def test_publish_runs_each_subscriber_in_order_and_sums_what_they_ended(runtime):
    events = Events()
    seen: list[str] = []
    events.subscribe(RightsChanged, lambda _s, _r, e: seen.append(f"first {e.account_ids}") or 2)
    events.subscribe(RightsChanged, lambda _s, _r, e: seen.append("second") or None)
    events.subscribe(SessionsEnded, lambda *_: seen.append("not this one") or 7)
    assert events.publish(None, runtime, RightsChanged((4, 5))) == 2  # type: ignore[arg-type]
    assert seen == ["first (4, 5)", "second"]
    assert events.publish(None, runtime, EnterpriseChanged(1)) == 0  # type: ignore[arg-type]


def test_a_reset_ends_every_grant_through_its_event(runtime, person):
    account = person.account
    grant = iqea_grant(runtime, account, scope="openid offline_access")
    ended = publish(db.session, runtime, CredentialsReset(account.id, cause="password_reset"))
    assert ended == 1
    assert grant.revoke_reason == "password_reset"


def _protocol_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [n for n in names if n.startswith(("idp.oidc", "idp.saml"))]
    return found


def _is_page(path: Path) -> bool:
    """Views answer the browser (a sign-out starts SAML's logout round): not the domain."""
    return path.name == "views.py" or path.name.endswith("_views.py") or "views" in path.parts


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_domain_module_imports_the_protocols(domain):
    modules = [p for p in (IDP / domain).rglob("*.py") if not _is_page(p)]
    assert modules
    offenders = {str(p.relative_to(IDP)): _protocol_imports(p) for p in modules}
    assert {k: v for k, v in offenders.items() if v} == {}
