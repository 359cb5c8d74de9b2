"""Recovery services: reset links (single use, short-lived, hashed at rest), what using one
ends and sends, user code reminders, and the same answer whether or not an account exists."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from idp.accounts import recovery
from idp.accounts.models import AccountRole, AccountStatus, PasswordReset, Portal, UserSession
from idp.accounts.services import sign_in_with_password
from idp.accounts.sessions import authenticate_session, start_pending_session
from idp.audit.models import AuditEvent
from idp.audit.services import ClientInfo
from idp.audit.tags import AuditAction, Outcome
from idp.errors import (
    AuthenticationFailedError,
    CodeError,
    ForbiddenError,
    NotFoundError,
    ThrottledError,
    ValidationError,
)
from idp.extensions import db
from idp.oidc.models import Grant
from tests.citizens.conftest import ANSWERS, make_citizen

CLIENT = ClientInfo(ip="203.0.113.7", user_agent="pytest")
NEW_PASSWORD = "Fjord-Tadoussac-Baleine-42"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Small recovery limits and an early lock, so the tests reach them in a few steps.
    return {
        **app_config,
        "recovery_account_limits": "3/hour",
        "recovery_ip_limits": "5/hour",
        "signin_account_delays": "50/minute",
        "signin_account_lock_failures": "3/30 minutes",
    }


class Outbox(list[EmailMessage]):
    """The ``deliver`` handed to the services: keeps what they would send."""

    def link(self) -> str:
        body = self[-1].get_body(preferencelist=("plain",)).get_content()
        match = re.search(r"mot-de-passe-oublie/(\S+)", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def ask(runtime, outbox, person, *, email=None, user_code=None, portal=Portal.ENTERPRISE, ip=None):
    recovery.request_password_reset(
        db.session,
        runtime,
        portal=portal,
        user_code=user_code or person.user_code,
        email=email or person.email,
        client=ClientInfo(ip=ip or CLIENT.ip),
        deliver=outbox.append,
    )
    db.session.commit()


def complete(runtime, outbox, token, password=NEW_PASSWORD, portal=Portal.ENTERPRISE, **kw):
    reset = recovery.find_password_reset(db.session, runtime, token, portal)
    account = recovery.complete_password_reset(
        db.session, runtime, reset, password, client=CLIENT, deliver=outbox.append, **kw
    )
    db.session.commit()
    return account


def events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == str(action))))


# -- the request -------------------------------------------------------------------------------


def test_a_matching_request_emails_a_link_stored_only_as_its_hash(runtime, outbox, person):
    ask(runtime, outbox, person, email=person.email.upper())

    assert len(outbox) == 1
    assert outbox[0]["To"] == person.email
    token = outbox.link()
    stored = db.session.scalars(select(PasswordReset)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (
        token not in {c.name: getattr(stored, c.name) for c in PasswordReset.__table__.c}.values()
    )
    assert (stored.expires_at - stored.created_at).total_seconds() == 1800
    assert stored.used_at is None
    assert f"http://localhost/connexion/mot-de-passe-oublie/{token}" in str(
        outbox[0].get_body(preferencelist=("plain",)).get_content()
    )


@pytest.mark.parametrize(
    "case",
    ["unknown_code", "wrong_email", "suspended", "cancelled", "other_portal"],
)
def test_no_match_sends_nothing_and_answers_the_same(runtime, outbox, factory, case):
    person = factory.person(
        status={"suspended": AccountStatus.SUSPENDED, "cancelled": AccountStatus.CANCELLED}.get(
            case, AccountStatus.ACTIVE
        )
    )
    ask(
        runtime,
        outbox,
        person,
        user_code="ZZZZ-9999" if case == "unknown_code" else None,
        email="someone.else@example.com" if case == "wrong_email" else None,
        portal=Portal.CITIZEN if case == "other_portal" else Portal.ENTERPRISE,
    )

    assert outbox == []
    assert db.session.scalars(select(PasswordReset)).all() == []
    (event,) = events(AuditAction.PASSWORD_RESET_REQUEST)
    assert event.outcome == Outcome.FAILURE
    assert event.details["reason"] == "no_match"


def test_requests_are_throttled_per_typed_user_code_known_or_not(runtime, outbox, factory):
    person = factory.person()
    for _ in range(3):
        ask(runtime, outbox, person, ip="198.51.100.1")
        ask(runtime, outbox, person, user_code="ZZZZ-9999", ip="198.51.100.2")
    assert len(outbox) == 3

    for user_code in (person.user_code, "ZZZZ-9999"):
        with pytest.raises(ThrottledError) as raised:
            ask(runtime, outbox, person, user_code=user_code, ip="198.51.100.3")
        assert raised.value.details["scope"] == "recovery"
    db.session.commit()
    assert len(outbox) == 3
    assert len(events(AuditAction.RECOVERY_THROTTLED)) == 2


def test_requests_are_throttled_per_client_ip(runtime, outbox, factory):
    people = [factory.person(name=f"Personne Numéro{n}") for n in range(6)]
    for someone in people[:5]:
        ask(runtime, outbox, someone)
    with pytest.raises(ThrottledError):
        ask(runtime, outbox, people[5])
    assert len(outbox) == 5
    ask(runtime, outbox, people[5], ip="192.0.2.99")  # another address is not held back
    assert len(outbox) == 6


# -- the link ----------------------------------------------------------------------------------


def test_the_link_sets_the_password_once(runtime, outbox, person):
    ask(runtime, outbox, person)
    token = outbox.link()

    account = complete(runtime, outbox, token)

    assert runtime.hashing.verify(account.password_hash, NEW_PASSWORD)
    assert account.must_change_password is False
    assert db.session.scalars(select(PasswordReset)).one().used_at is not None
    with pytest.raises(NotFoundError):
        recovery.find_password_reset(db.session, runtime, token, Portal.ENTERPRISE)
    (event,) = events(AuditAction.PASSWORD_RESET_COMPLETE)
    assert event.subject_account_id == account.id


def test_a_used_link_cannot_be_used_again_even_if_already_loaded(runtime, outbox, person):
    ask(runtime, outbox, person)
    token = outbox.link()
    reset = recovery.find_password_reset(db.session, runtime, token, Portal.ENTERPRISE)
    complete(runtime, outbox, token)

    # As a second request that loaded the link before the first one used it.
    assert reset.account.is_active  # loaded while the request had it
    db.session.expunge(reset)
    reset.used_at = None
    with pytest.raises(NotFoundError):
        recovery.complete_password_reset(
            db.session,
            runtime,
            reset,
            "Autre-Phrase-Longue-2027",
            client=CLIENT,
            deliver=outbox.append,
        )


def test_a_link_expires(runtime, outbox, person, clock):
    ask(runtime, outbox, person)
    clock.advance(seconds=1800)
    with pytest.raises(NotFoundError):
        recovery.find_password_reset(db.session, runtime, outbox.link(), Portal.ENTERPRISE)


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "not-a-token-at-all"])
def test_a_wrong_token_opens_nothing(runtime, outbox, person, token):
    ask(runtime, outbox, person)
    with pytest.raises(NotFoundError):
        recovery.find_password_reset(db.session, runtime, token, Portal.ENTERPRISE)


def test_an_enterprise_link_is_not_valid_on_the_citizens_portal(runtime, outbox, person):
    ask(runtime, outbox, person)
    with pytest.raises(NotFoundError):
        recovery.find_password_reset(db.session, runtime, outbox.link(), Portal.CITIZEN)


def test_using_one_link_voids_the_others(runtime, outbox, person):
    ask(runtime, outbox, person)
    first = outbox.link()
    ask(runtime, outbox, person)
    second = outbox.link()
    assert first != second

    complete(runtime, outbox, second)

    with pytest.raises(NotFoundError):
        recovery.find_password_reset(db.session, runtime, first, Portal.ENTERPRISE)
    assert len(db.session.scalars(select(PasswordReset)).all()) == 1


def test_the_new_password_follows_the_change_password_rules(runtime, outbox, person):
    ask(runtime, outbox, person)
    token = outbox.link()
    for weak in ("short", person.user_code + "-abcdefgh", "Riviere-Saguenay-Brume"):
        with pytest.raises(ValidationError) as raised:
            complete(runtime, outbox, token, password=weak)
        assert raised.value.details["field"] == "new_password"
        db.session.rollback()
    # Refused passwords leave the link usable.
    assert recovery.find_password_reset(db.session, runtime, token, Portal.ENTERPRISE)


def _live_session(runtime, account) -> UserSession:
    user_session, _token = start_pending_session(
        db.session, runtime, account, public_computer=False, client=CLIENT
    )
    authenticate_session(db.session, runtime, user_session)
    return user_session


def _grant(runtime, account, user_session, *, offline: bool) -> Grant:
    grant = Grant(
        client_id="iqea",
        account_id=account.id,
        session_id=user_session.id,
        enterprise_id=account.enterprise_id,
        ministry_key="melccfp",
        scope="openid",
        offline=offline,
        created_at=runtime.clock(),
    )
    db.session.add(grant)
    return grant


def test_the_reset_ends_every_session_and_grant_and_sends_a_notice(runtime, outbox, person):
    account = person.account
    sessions = [_live_session(runtime, account) for _ in range(2)]
    grants = [
        _grant(runtime, account, sessions[0], offline=False),
        _grant(runtime, account, sessions[1], offline=True),
    ]
    db.session.commit()
    ask(runtime, outbox, person)

    complete(runtime, outbox, outbox.link())

    for user_session in sessions:
        db.session.refresh(user_session)
        assert user_session.ended_at is not None
        assert user_session.end_reason == "password_reset"
    for grant in grants:
        db.session.refresh(grant)
        assert grant.revoked_at is not None
    notice = outbox[-1]
    assert notice["To"] == person.email
    assert "Mot de passe de votre compte changé" in notice["Subject"]
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert person.user_code in body
    assert "22 novembre 2026" in body


def test_the_reset_lifts_a_sign_in_lock(runtime, outbox, person):
    for _ in range(3):
        with pytest.raises(AuthenticationFailedError):
            sign_in_with_password(
                db.session,
                runtime,
                user_code=person.user_code,
                password="wrong-password",
                public_computer=False,
                client=CLIENT,
            )
    db.session.commit()
    assert runtime.throttle.is_locked(person.user_code)
    ask(runtime, outbox, person)

    account = complete(runtime, outbox, outbox.link())

    assert not runtime.throttle.is_locked(person.user_code)
    assert account.locked_until is None
    unlocks = events(AuditAction.ACCOUNT_UNLOCK)
    assert [e.details["reason"] for e in unlocks] == ["password_reset"]


# -- citizens: the security question first ----------------------------------------------------


@pytest.fixture
def citizen(runtime):
    return make_citizen(runtime)


def _citizen_link(runtime, outbox, citizen) -> str:
    recovery.request_password_reset(
        db.session,
        runtime,
        portal=Portal.CITIZEN,
        user_code=citizen.user_code,
        email=citizen.email,
        client=CLIENT,
        deliver=outbox.append,
    )
    db.session.commit()
    body = outbox[-1].get_body(preferencelist=("plain",)).get_content()
    assert "/citoyens/connexion/mot-de-passe-oublie/" in body
    assert outbox[-1]["Content-Language"] == "fr"
    return outbox.link()


def test_a_citizen_answers_the_question_before_the_password_is_set(runtime, outbox, citizen):
    token = _citizen_link(runtime, outbox, citizen)
    reset = recovery.find_password_reset(db.session, runtime, token, Portal.CITIZEN)
    with pytest.raises(ForbiddenError):
        recovery.complete_password_reset(
            db.session, runtime, reset, NEW_PASSWORD, client=CLIENT, deliver=outbox.append
        )
    db.session.rollback()

    asked = recovery.reset_question(db.session, runtime, reset)
    assert recovery.reset_question(db.session, runtime, reset).id == asked.id  # stable
    recovery.check_reset_answer(
        db.session, runtime, reset, dict(ANSWERS)[asked.question_key].upper(), client=CLIENT
    )
    account = complete(runtime, outbox, token, portal=Portal.CITIZEN, question_answered=True)

    assert runtime.hashing.verify(account.password_hash, NEW_PASSWORD)
    assert outbox[-1]["Subject"] == "Mot de passe de votre compte clicSÉQUR – Citoyens changé"


def test_wrong_answers_count_and_void_the_link(runtime, outbox, citizen):
    token = _citizen_link(runtime, outbox, citizen)
    reset = recovery.find_password_reset(db.session, runtime, token, Portal.CITIZEN)
    with pytest.raises(CodeError) as first:
        recovery.check_reset_answer(db.session, runtime, reset, "nope", client=CLIENT)
    assert first.value.details["reason"] == "mismatch"
    with pytest.raises(CodeError):
        recovery.check_reset_answer(db.session, runtime, reset, "nope", client=CLIENT)
    # The third wrong answer fills the account's lock tier (3 failures in this test's
    # settings) and uses up the link's attempts: the link is void.
    with pytest.raises(CodeError) as last:
        recovery.check_reset_answer(db.session, runtime, reset, "nope", client=CLIENT)
    assert last.value.details["reason"] == "voided"
    db.session.commit()
    with pytest.raises(NotFoundError):
        recovery.find_password_reset(db.session, runtime, token, Portal.CITIZEN)
    failures = [
        e for e in events(AuditAction.CITIZEN_SECURITY_QUESTION) if e.outcome == Outcome.FAILURE
    ]
    assert len(failures) == 3


# -- forgotten user codes ----------------------------------------------------------------------


def remind(runtime, outbox, email, *, portal=Portal.ENTERPRISE, neq=None, ip=None):
    recovery.send_user_codes(
        db.session,
        runtime,
        portal=portal,
        email=email,
        neq=neq,
        client=ClientInfo(ip=ip or CLIENT.ip),
        deliver=outbox.append,
    )
    db.session.commit()


def test_the_user_codes_of_an_address_are_sent_to_it(runtime, outbox, factory):
    first = factory.person(email="partage@example.com")
    second = factory.person(email="Partage@example.com", role=AccountRole.USER)
    factory.person(email="partage@example.com", status=AccountStatus.CANCELLED)

    remind(runtime, outbox, " PARTAGE@example.com ")

    (message,) = outbox
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert first.user_code in body
    assert second.user_code in body
    assert body.count("-") >= 2
    assert "Aciérie Saint-Laurent inc." in body
    assert len(re.findall(r"\b[A-Z]{4}-\d{4}\b", body)) == 4  # two codes, in both languages


def test_a_neq_keeps_only_that_enterprises_codes(runtime, outbox, factory):
    first = factory.person(email="partage@example.com")
    second = factory.person(email="partage@example.com")
    remind(runtime, outbox, "partage@example.com", neq=second.account.enterprise.neq)
    body = outbox[-1].get_body(preferencelist=("plain",)).get_content()
    assert second.user_code in body
    assert first.user_code not in body


def test_no_account_no_email_same_answer(runtime, outbox, factory, citizen):
    factory.person(email="quelquun@example.com")
    remind(runtime, outbox, "personne@example.com")
    remind(runtime, outbox, citizen.email)  # a citizen's address, asked at the enterprise portal
    remind(runtime, outbox, "quelquun@example.com", portal=Portal.CITIZEN)
    assert outbox == []
    assert {e.outcome for e in events(AuditAction.USER_CODE_REMINDER)} == {Outcome.FAILURE}


def test_a_citizen_gets_their_code_in_their_language(runtime, outbox):
    citizen = make_citizen(runtime, locale="en")
    remind(runtime, outbox, citizen.email, portal=Portal.CITIZEN)
    (message,) = outbox
    assert message["Content-Language"] == "en"
    assert citizen.user_code in message.get_body(preferencelist=("plain",)).get_content()


def test_reminders_are_throttled_per_address(runtime, outbox, factory):
    factory.person(email="partage@example.com")
    for n in range(3):
        remind(runtime, outbox, "partage@example.com", ip=f"198.51.100.{n}")
    with pytest.raises(ThrottledError):
        remind(runtime, outbox, "PARTAGE@example.com", ip="198.51.100.9")
    assert len(outbox) == 3
