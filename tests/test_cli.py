"""The ``idp`` administration commands: enterprises and accounts."""

from __future__ import annotations

import re

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from idp.accounts.models import Account
from idp.accounts.user_codes import is_well_formed
from idp.audit.models import AuditEvent
from idp.enterprises.models import Enterprise
from idp.extensions import db

NEQ_MESSAGE = "The Québec enterprise number (NEQ) has exactly 10 digits."
DUPLICATE_MESSAGE = "An enterprise with this NEQ already exists."
EMAIL_MESSAGE = "Enter a valid email address, such as name@example.com."


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def _said(app, output: str, msgid: str) -> bool:
    """The message is in the output, in English or in the provider's default language."""
    with app.test_request_context("/"):
        translated = gettext(msgid)
    return msgid in output or translated in output


def _enterprises() -> list[Enterprise]:
    db.session.expire_all()
    return list(db.session.scalars(select(Enterprise)))


def _audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


# -- enterprise create -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1143256789", "1143 256 789", " 1143256789 ", "114 325 6789"])
def test_enterprise_create_accepts_the_neq_as_people_type_it(cli, typed):
    result = cli.invoke(args=["enterprise", "create", "--neq", typed, "--name", "Aciérie inc."])
    assert result.exit_code == 0, result.output
    assert "1143256789" in result.output
    [enterprise] = _enterprises()
    assert (enterprise.neq, enterprise.legal_name) == ("1143256789", "Aciérie inc.")
    assert _audit_count("enterprises:enterprise:create") == 1


@pytest.mark.parametrize(
    "typed",
    ["114325678", "11432567890", "11432S6789", "", "1143-256-789"],
    ids=["9-digits", "11-digits", "letter", "empty", "dashes"],
)
def test_enterprise_create_refuses_a_malformed_neq(app, cli, typed):
    result = cli.invoke(args=["enterprise", "create", "--neq", typed, "--name", "Aciérie inc."])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert _said(app, result.output, NEQ_MESSAGE), result.output
    assert "Traceback" not in result.output
    assert _enterprises() == []


@pytest.mark.parametrize(
    "typed",
    ["１１４３２５６７８９", "١١٤٣٢٥٦٧٨٩"],  # fullwidth and Arabic-Indic digits
    ids=["fullwidth", "arabic-indic"],
)
def test_enterprise_neq_is_stored_in_ascii_digits_or_refused(cli, typed):
    # Python's \d matches any Unicode digit; a NEQ kept in other digits would never be found
    # again by its ASCII form, and could be registered twice.
    cli.invoke(args=["enterprise", "create", "--neq", typed, "--name", "Aciérie inc."])
    assert [e.neq for e in _enterprises()] in ([], ["1143256789"])


def test_enterprise_create_refuses_a_duplicate(app, cli):
    args = ["enterprise", "create", "--neq", "1143256789", "--name", "Aciérie inc."]
    assert cli.invoke(args=args).exit_code == 0
    again = cli.invoke(
        args=["enterprise", "create", "--neq", "1143 256 789", "--name", "Autre inc."]
    )
    assert again.exit_code == 1
    assert _said(app, again.output, DUPLICATE_MESSAGE), again.output
    assert [e.legal_name for e in _enterprises()] == ["Aciérie inc."]
    assert _audit_count("enterprises:enterprise:create") == 1


def test_enterprise_create_takes_the_article_of_the_name(cli):
    plain = ["enterprise", "create", "--neq", "1143256789", "--name", "Aciérie inc."]
    assert cli.invoke(args=plain).exit_code == 0
    named = ["--neq", "1180000004", "--name", "Fromagerie du Lac", "--article", "la"]
    assert cli.invoke(args=["enterprise", "create", *named]).exit_code == 0
    enterprises = {e.neq: e for e in _enterprises()}
    assert enterprises["1143256789"].name_article == ""
    assert enterprises["1143256789"].sentence_name.de("fr") == "d'Aciérie inc."
    assert enterprises["1180000004"].sentence_name.de("fr") == "de la Fromagerie du Lac"


@pytest.mark.parametrize(
    ("name", "article", "exit_code"),
    [("Aciérie inc.", "la", 1), ("Fromagerie du Lac", "l'", 1), ("Fromagerie du Lac", "un", 2)],
)
def test_enterprise_create_refuses_an_article_that_does_not_fit(app, cli, name, article, exit_code):
    args = ["enterprise", "create", "--neq", "1143256789", "--name", name, "--article", article]
    result = cli.invoke(args=args)
    assert result.exit_code == exit_code, result.output
    if exit_code == 1:
        assert _said(app, result.output, "This article does not fit the enterprise's legal name.")
    assert _enterprises() == []


def test_enterprise_create_requires_a_name(cli):
    result = cli.invoke(args=["enterprise", "create", "--neq", "1143256789"])
    assert result.exit_code == 2
    assert "--name" in result.output
    assert _enterprises() == []


# -- account create --------------------------------------------------------------------------


CREATE_ENTERPRISE = ["enterprise", "create", "--neq", "1143256789", "--name", "Aciérie inc."]


def _account_args(neq: str = "1143 256 789", email: str = "Jean.Roy@Example.com") -> list[str]:
    return ["account", "create", "--enterprise", neq, "--name", "Jean Roy", "--email", email]


def _create_account(cli, *extra: str):
    assert cli.invoke(args=CREATE_ENTERPRISE).exit_code == 0
    return cli.invoke(args=[*_account_args(), *extra])


def _printed(output: str) -> tuple[str, str]:
    code = re.search(r"^User code:\s+(\S+)$", output, re.M)
    password = re.search(r"^Temporary password:\s+(\S+)$", output, re.M)
    assert code, output
    assert password, output
    return code.group(1), password.group(1)


def test_account_create_prints_a_user_code_and_a_temporary_password(cli):
    result = _create_account(cli)
    assert result.exit_code == 0, result.output
    user_code, temporary = _printed(result.output)

    assert is_well_formed(user_code)
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary)
    [account] = db.session.scalars(select(Account)).all()
    assert account.user_code == user_code
    assert account.role == "user"
    assert account.must_change_password is True
    assert account.email == "Jean.Roy@example.com"
    # Only a hash is kept.
    assert account.password_hash.startswith("$argon2id$")
    assert temporary not in account.password_hash
    assert _audit_count("accounts:account:create") == 1


def test_printed_temporary_password_signs_in_and_must_be_changed(cli, auth, smtp):
    user_code, temporary = _printed(_create_account(cli, "--role", "esm").output)

    response = auth.password_step(user_code, temporary)
    assert response.status_code == 302
    done = auth.code_step(smtp.last_code("Jean.Roy@example.com"))
    assert done.headers["Location"] == "/mot-de-passe"
    assert auth.client.get("/").headers["Location"] == "/mot-de-passe"


def test_account_create_for_an_unknown_enterprise(cli):
    result = cli.invoke(args=_account_args(neq="1143256789"))
    assert result.exit_code == 1
    assert "Error: No enterprise has the NEQ 1143256789." in result.output
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0


def test_account_create_refuses_a_bad_email(app, cli):
    cli.invoke(args=CREATE_ENTERPRISE)
    result = cli.invoke(args=_account_args(email="not-an-email"))
    assert result.exit_code == 1
    assert _said(app, result.output, EMAIL_MESSAGE), result.output
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0


def test_account_create_refuses_an_unknown_role(cli):
    result = _create_account(cli, "--role", "admin")
    assert result.exit_code == 2
    assert "--role" in result.output
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0


# -- account unlock --------------------------------------------------------------------------


def test_account_unlock_of_an_unknown_code_fails_cleanly(cli):
    result = cli.invoke(args=["account", "unlock", "ZZZZ-9999"])
    assert result.exit_code == 1
    assert result.output == "Error: No account has the user code ZZZZ-9999.\n"
    assert _audit_count("accounts:account:unlock") == 0


def test_account_unlock_of_a_known_code(cli, person):
    result = cli.invoke(args=["account", "unlock", person.user_code.lower()])
    assert result.exit_code == 0, result.output
    assert result.output == f"Account {person.user_code} unlocked.\n"
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "accounts:account:unlock")
    ).all()
    assert event.details == {"reason": "administrator"}
    assert event.subject_account_id == person.account.id


def test_operator_create_makes_a_provider_operator_attached_to_nothing(cli):
    from idp.accounts.models import Account, AccountRole
    from idp.extensions import db

    result = cli.invoke(
        args=["operator", "create", "--name", "Hélène Morin", "--email", "helene@example.com"]
    )
    assert result.exit_code == 0, result.output
    assert "Temporary password:" in result.output
    account = db.session.query(Account).one()
    assert account.role == AccountRole.PROVIDER_OPERATOR
    assert account.enterprise_id is None
    assert account.ministry_key is None
    assert account.user_code in result.output
