"""Creating accounts from the enterprise side: never a citizen account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from idp.accounts.models import Account, AccountRole
from idp.accounts.services import create_account
from idp.errors import ValidationError
from idp.extensions import db


def test_an_enterprise_cannot_create_a_citizen_account(factory, runtime):
    enterprise = factory.enterprise()
    before = db.session.scalar(select(func.count()).select_from(Account))
    with pytest.raises(ValidationError) as excinfo:
        create_account(
            db.session,
            runtime,
            enterprise=enterprise,
            display_name="Amélie Bouchard",
            email="amelie@example.com",
            role=AccountRole.CITIZEN,
        )
    # The message is French by default (the language of pages before a person chooses).
    assert str(excinfo.value.message) == "Un compte citoyen est créé par le citoyen lui-même."
    assert db.session.scalar(select(func.count()).select_from(Account)) == before


def test_the_cli_offers_no_citizen_role(app):
    result = app.test_cli_runner().invoke(
        args=[
            "account",
            "create",
            "--enterprise",
            "1143256789",
            "--name",
            "A B",
            "--email",
            "a@example.com",
            "--role",
            "citizen",
        ]
    )
    assert result.exit_code == 2
    assert "'citizen' is not one of" in result.output
