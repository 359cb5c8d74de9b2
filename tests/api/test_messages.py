"""POST …/enterprises/{neq}/messages: the ministry writes to an enterprise's mailbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.accounts.models import AccountRole, AccountStatus
from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction
from idp.extensions import db
from idp.mailbox.models import MailboxMessage, MessageKind
from tests.api.conftest import (
    access_token,
    assert_matches,
    assert_problem,
    bearer,
    openapi_document,
    pending_registration,
)

MESSAGE = {
    "subject": {"fr": "Rapport annuel attendu", "en": "Annual report due"},
    "body": {
        "fr": "Déposez le rapport 2026 avant le 1er mars.",
        "en": "File the 2026 report before March 1.",
    },
}


def messages_path(neq: str, ministry: str = "melccfp") -> str:
    return f"/api/v1/ministries/{ministry}/enterprises/{neq}/messages"


@pytest.fixture
def token(client, client_secrets):
    return bearer(access_token(client, client_secrets))


@pytest.fixture
def enterprise(factory, runtime):
    """An enterprise that asked MELCCFP, with two ESMs and a user."""
    esm = factory.person(name="Marie Tremblay").account
    enterprise = esm.enterprise
    factory.person(enterprise=enterprise, name="Luc Gagnon")
    factory.person(enterprise=enterprise, name="Jean Roy", role=AccountRole.USER)
    pending_registration(runtime, esm)
    return enterprise


def received(enterprise_id: int) -> list[MailboxMessage]:
    from idp.accounts.models import Account

    return list(
        db.session.scalars(
            select(MailboxMessage)
            .join(Account, Account.id == MailboxMessage.account_id)
            .where(Account.enterprise_id == enterprise_id)
        )
    )


def test_each_esm_receives_it_signed_by_the_ministry(client, runtime, enterprise, token):
    answer = client.post(messages_path(enterprise.neq), json=MESSAGE, headers=token)
    assert answer.status_code == 201
    body = answer.get_json()
    assert_matches(openapi_document(client), "MessageReceipt", body)
    assert body["recipients"] == 2
    assert body["enterprise"]["neq"] == enterprise.neq
    messages = received(enterprise.id)
    assert len(messages) == 2  # the ESMs, not the user
    message = messages[0]
    assert message.kind == MessageKind.MINISTRY_MESSAGE
    assert message.subject("fr") == "Rapport annuel attendu"
    assert message.subject("en") == "Annual report due"
    assert message.body("fr").startswith("Déposez le rapport 2026")
    melccfp = runtime.catalogue.ministry("melccfp")
    assert message.body("fr").split("\n\n")[-1] == melccfp.name_fr
    assert message.body("en").split("\n\n")[-1] == melccfp.name_en
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.MAILBOX_MESSAGE_POST)
    ).one()
    assert event.enterprise_id == enterprise.id
    assert event.details == {
        "ministry": "melccfp",
        "api_client": "melccfp-manager",
        "recipients": 2,
    }


def test_an_esm_reads_it_in_the_mailbox(client, factory, runtime, token, auth):
    esm = factory.person(name="Marie Tremblay")
    pending_registration(runtime, esm.account)
    auth.sign_in(esm)
    # The same client, with the ESM's cookie: the API reads the token, never the session.
    answer = client.post(messages_path(esm.account.enterprise.neq), json=MESSAGE, headers=token)
    assert answer.status_code == 201
    assert "Set-Cookie" not in answer.headers
    page = client.get("/messages")
    assert "Rapport annuel attendu" in page.get_data(as_text=True)


def test_an_enterprise_that_never_asked_the_ministry_is_not_found(client, factory, runtime, token):
    stranger = factory.person(name="Sophie Côté").account
    assert_problem(
        client.post(messages_path(stranger.enterprise.neq), json=MESSAGE, headers=token),
        404,
        "not_found",
        openapi_document(client),
    )
    # Asking AMF does not open MELCCFP's way to its mailbox.
    pending_registration(runtime, stranger, "amf")
    assert_problem(
        client.post(messages_path(stranger.enterprise.neq), json=MESSAGE, headers=token),
        404,
        "not_found",
    )
    for neq in ("0000000000", "abcdefghij", "123"):
        assert_problem(
            client.post(messages_path(neq), json=MESSAGE, headers=token), 404, "not_found"
        )
    assert received(stranger.enterprise_id) == []


def test_an_enterprise_without_an_active_esm_is_409(client, enterprise, token):
    from idp.accounts.models import Account

    for account in db.session.scalars(
        select(Account).where(Account.enterprise_id == enterprise.id)
    ):
        account.status = AccountStatus.SUSPENDED
    db.session.commit()
    answer = client.post(messages_path(enterprise.neq), json=MESSAGE, headers=token)
    assert_problem(answer, 409, "no_recipient", openapi_document(client))


def test_it_needs_the_mailbox_scope_and_the_ministry(client, client_secrets, enterprise):
    audit_only = bearer(access_token(client, client_secrets, scope="management:melccfp:audit"))
    answer = client.post(messages_path(enterprise.neq), json=MESSAGE, headers=audit_only)
    assert_problem(answer, 403, "insufficient_scope")
    amf = bearer(access_token(client, client_secrets, "amf-manager"))
    assert_problem(
        client.post(messages_path(enterprise.neq), json=MESSAGE, headers=amf), 403, "other_ministry"
    )
    assert received(enterprise.id) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": None}, "subject"),
        ({"subject": "Rapport"}, "subject"),
        ({"subject": {"fr": "Rapport"}}, "subject.en"),
        ({"subject": {"fr": "Rapport", "en": ""}}, "subject.en"),
        ({"subject": {"fr": "x" * 201, "en": "Report"}}, "subject.fr"),
        ({"subject": {"fr": "Rapport", "en": "Report", "es": "Informe"}}, "subject.es"),
        ({"body": {"fr": 1, "en": "Body"}}, "body.fr"),
        ({"body": {"fr": "x" * 10_001, "en": "Body"}}, "body.fr"),
        ({"body": {"fr": "\ud800", "en": "Body"}}, "body.fr"),
        ({"from": "someone else"}, "from"),
    ],
)
def test_a_message_outside_the_schema_is_422(client, enterprise, token, change, field):
    answer = client.post(messages_path(enterprise.neq), json={**MESSAGE, **change}, headers=token)
    problem = assert_problem(answer, 422, "invalid_body", openapi_document(client))
    assert problem["errors"][0]["field"] == field
    assert received(enterprise.id) == []
