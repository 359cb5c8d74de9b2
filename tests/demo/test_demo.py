"""The demo profile: its mailbox page, only there, and the idempotent demo seed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.demo.mailbox import read_captured, start_capture
from idp.demo.seed import DEMO_ACCOUNTS, DEMO_CITIZEN, DEMO_ENTERPRISES, DEMO_PASSWORD
from idp.enterprises.models import Enterprise
from idp.extensions import db
from tests.conftest import free_port

DEMO_ISSUER = "http://localhost:5000"


@pytest.fixture
def demo_mail_dir(app_config: dict[str, Any]) -> Path:
    # The outbox page reads <instance>/demo-mail, where `idp demo start` keeps its capture.
    return Path(app_config["instance_dir"]) / "demo-mail"


@pytest.fixture
def app_config(
    app_config: dict[str, Any], demo_mail_dir: Path, request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    """The demo profile with its own SMTP capture, or another profile when parametrized."""
    env = getattr(request, "param", "demo")
    if env != "demo":
        production = env == "production"
        issuer = "https://idp.example" if production else DEMO_ISSUER
        registry = "https://verification.example/v1/identity" if production else None
        yield {
            **app_config,
            "env": env,
            "issuer": issuer,
            **({"taxpayer_registry": registry} if registry else {}),
            **({"enterprise_registry": "https://registre.example/v1"} if production else {}),
        }
        return
    demo_mail_dir.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    capture = start_capture(demo_mail_dir, "127.0.0.1", port)
    try:
        yield {**app_config, "env": "demo", "issuer": DEMO_ISSUER, "smtp_port": port}
    finally:
        capture.stop()


def _code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def test_outbox_shows_the_emailed_code(auth, person, demo_mail_dir, smtp):
    assert auth.client.get("/demo/courriels").status_code == 200

    response = auth.password_step(person.user_code, person.password)
    assert response.status_code == 302

    [mail] = read_captured(demo_mail_dir)
    assert mail.to == person.email
    code = _code_in(mail.text)
    page = auth.client.get("/demo/courriels")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert code in html
    assert person.email in html
    # It went through the demo capture, not the test suite's own SMTP server.
    assert smtp.count_to(person.email) == 0

    # And the code shown is the one that works.
    done = auth.code_step(code)
    assert done.status_code == 302
    assert done.headers["Location"] == "/"


def test_outbox_is_empty_before_any_email(client, demo_mail_dir):
    response = client.get("/demo/courriels")
    assert response.status_code == 200
    assert read_captured(demo_mail_dir) == []
    assert not re.search(r"\b\d{6}\b", response.get_data(as_text=True).split("<main", 1)[1])


@pytest.mark.parametrize("app_config", ["development", "production"], indirect=True)
def test_outbox_does_not_exist_outside_the_demo(client, app_config):
    assert client.get("/demo/courriels").status_code == 404


# -- idp demo seed ---------------------------------------------------------------------------


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Account)),
        db.session.scalar(select(func.count()).select_from(Enterprise)),
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "accounts:account:create")
        ),
    )


def test_demo_seed_is_idempotent(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "Demo data ready." in first.output
    after_first = _counts()
    accounts = len(DEMO_ACCOUNTS) + 1  # and the demo citizen
    assert after_first == (accounts, len(DEMO_ENTERPRISES), accounts)

    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert _counts() == after_first

    codes = set(db.session.scalars(select(Account.user_code)))
    assert codes == {a.user_code for a in (*DEMO_ACCOUNTS, DEMO_CITIZEN)}


def test_demo_esm_signs_in_with_the_demo_password(app, auth, demo_mail_dir):
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0

    response = auth.password_step("ESMA-2345", DEMO_PASSWORD)
    assert response.status_code == 302
    [mail] = read_captured(demo_mail_dir)
    assert mail.to == "marie.tremblay@acierie.example"
    done = auth.code_step(_code_in(mail.text))
    # Demo accounts have a chosen password: no forced change.
    assert done.headers["Location"] == "/"
    home = auth.client.get("/")
    assert home.status_code == 200
    assert "Marie Tremblay" in home.get_data(as_text=True)


def test_demo_seed_gives_the_proxies_of_the_journeys(app, runtime):
    from idp.proxies.models import Proxy, ProxyAssignment
    from idp.proxies.rights import RightsSource, enterprises_for

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Proxy)) == 3
    assert db.session.scalar(select(func.count()).select_from(ProxyAssignment)) == 3
    today = runtime.clock().date()

    def account(code: str) -> Account:
        return db.session.scalars(select(Account).where(Account.user_code == code)).one()

    [iqea] = enterprises_for(db.session, runtime.catalogue, account("USRA-2346"), "melccfp", today)
    assert iqea.rights == {"melccfp.iqea.operator"}
    assert iqea.source is RightsSource.INTERNAL
    [amf] = enterprises_for(db.session, runtime.catalogue, account("USRA-2346"), "amf", today)
    assert amf.rights == {"amf.payments", "amf.disclosures.31_103"}
    clients = enterprises_for(db.session, runtime.catalogue, account("CNST-3457"), "melccfp", today)
    names = {db.session.get(Enterprise, held.enterprise_id).legal_name for held in clients}
    assert names == {DEMO_ENTERPRISES["1143256789"], DEMO_ENTERPRISES["1180000004"]}
    assert all(held.source is RightsSource.EXTERNAL for held in clients)
    assert all(held.rights == {"melccfp.iqea.verifier"} for held in clients)
