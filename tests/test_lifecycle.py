"""`idp lifecycle run`: inactivity, proxy reminders and expiries; idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from idp.accounts.models import Account, AccountRole, AccountStatus, EmailChange, UserSession
from idp.audit.models import AuditEvent
from idp.citizens.models import CitizenEnrolment, CitizenProfile
from idp.citizens.sin import sin_hash
from idp.extensions import db
from idp.lifecycle import cancellation_date, run_lifecycle
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.mfa.models import OneTimeCode
from idp.oidc.models import UsedClientAssertion
from idp.proxies.models import ProxyKind
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy
from tests.citizens.conftest import AMELIE, NOBODY, OLIVIER, CitizenBrowser, make_citizen
from tests.proxies.conftest import register


def _messages(kind: MessageKind, account_id: int | None = None) -> list[MailboxMessage]:
    query = select(MailboxMessage).where(MailboxMessage.kind == kind)
    if account_id is not None:
        query = query.where(MailboxMessage.account_id == account_id)
    return list(db.session.scalars(query))


def _count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_cancellation_date_is_24_months_after_last_use(factory, clock):
    person = factory.person()
    assert cancellation_date(person.account) == date(2028, 11, 22)
    person.account.last_sign_in_at = clock.now + timedelta(days=10)
    assert cancellation_date(person.account) == date(2028, 12, 2)


@pytest.mark.parametrize(
    ("days_before", "threshold"), [(31, None), (30, 30), (8, 30), (7, 7), (1, 7)]
)
def test_inactivity_warning_thresholds(runtime, factory, clock, smtp, days_before, threshold):
    person = factory.person()
    clock.now = clock.now.replace(year=2028) - timedelta(days=days_before)
    report = run_lifecycle(db.session, runtime)
    db.session.commit()
    warnings = _messages(MessageKind.ACCOUNT_INACTIVITY, person.account.id)
    if threshold is None:
        assert warnings == []
        assert report.inactivity_warnings == 0
        return
    assert len(warnings) == 1
    assert warnings[0].dedupe_key.endswith(f":{threshold}")
    assert "2028-11-22" in warnings[0].body_fr
    assert smtp.count_to(person.email) == 1  # the email copy, through the real SMTP server


def test_inactive_account_is_cancelled_and_its_sessions_end(runtime, factory, clock, auth):
    person = factory.person()
    auth.sign_in(person)
    clock.now = clock.now.replace(year=2028)
    run_lifecycle(db.session, runtime)
    db.session.commit()
    db.session.refresh(person.account)
    assert person.account.status == AccountStatus.CANCELLED
    assert db.session.scalar(select(UserSession.end_reason)) == "account_inactive"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "accounts:account:cancel")
    ).one()
    assert event.details["reason"] == "inactivity"
    assert event.actor_account_id is None


def test_expired_one_time_artefacts_are_removed_a_day_later(runtime, factory, clock, auth):
    auth.sign_in(factory.person())  # an emailed code, used
    db.session.add(UsedClientAssertion(key="a" * 64, expires_at=clock.now + timedelta(minutes=2)))
    db.session.commit()

    def left() -> tuple[int, int]:
        codes = db.session.scalar(select(func.count(OneTimeCode.id)))
        assertions = db.session.scalar(select(func.count()).select_from(UsedClientAssertion))
        return codes, assertions

    assert left() == (1, 1)
    clock.advance(hours=23)  # expired, but within the day replay checks may still look at
    assert run_lifecycle(db.session, runtime).expired_removed == 0
    assert left() == (1, 1)
    clock.advance(hours=2)
    db.session.add(UsedClientAssertion(key="b" * 64, expires_at=clock.now + timedelta(minutes=2)))
    assert run_lifecycle(db.session, runtime).expired_removed == 2
    db.session.commit()
    assert left() == (0, 1)  # the live assertion stays
    assert run_lifecycle(db.session, runtime).expired_removed == 0


def test_running_twice_sends_nothing_twice(runtime, factory, clock, smtp):
    person = factory.person()
    clock.now = clock.now.replace(year=2028) - timedelta(days=20)
    first = run_lifecycle(db.session, runtime)
    db.session.commit()
    second = run_lifecycle(db.session, runtime)
    db.session.commit()
    assert (first.inactivity_warnings, second.inactivity_warnings) == (1, 0)
    assert smtp.count_to(person.email) == 1
    clock.advance(days=14)  # now 6 days before: the 7-day warning, once
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 1
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 0


def test_proxy_reminders_go_to_granting_esms_and_holders(runtime, factory, clock):
    emitter = factory.enterprise()
    esm = factory.person(enterprise=emitter, name="Marie Tremblay").account
    user = factory.person(enterprise=emitter, name="Jean Roy", role=AccountRole.USER).account
    register(runtime, esm, "melccfp")
    proxy = create_proxy(
        db.session,
        runtime,
        esm,
        enterprise_id=emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=clock.now.date() + timedelta(days=40),
        description="IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
    )
    assign_proxy(db.session, runtime, esm, proxy, [user.id])
    db.session.commit()
    assert run_lifecycle(db.session, runtime).proxy_reminders == 0
    clock.advance(days=10)  # 30 days left
    assert run_lifecycle(db.session, runtime).proxy_reminders == 2
    assert run_lifecycle(db.session, runtime).proxy_reminders == 0
    clock.advance(days=25)  # 5 days left
    assert run_lifecycle(db.session, runtime).proxy_reminders == 2
    db.session.commit()
    assert {m.account_id for m in _messages(MessageKind.PROXY_EXPIRING)} == {esm.id, user.id}
    reminder = _messages(MessageKind.PROXY_EXPIRING, user.id)[0]
    assert "La procuration « IQEA » d'Aciérie Saint-Laurent inc. expire le" in reminder.body_fr
    assert "The proxy « IQEA » of Aciérie Saint-Laurent inc. expires on" in reminder.body_en


def test_expired_proxy_is_recorded_once(runtime, factory, clock):
    emitter = factory.enterprise()
    esm = factory.person(enterprise=emitter, name="Marie Tremblay").account
    register(runtime, esm, "melccfp")
    proxy = create_proxy(
        db.session,
        runtime,
        esm,
        enterprise_id=emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=clock.now.date(),
        description="IQEA",
        grants=[MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
    )
    db.session.commit()
    run_lifecycle(db.session, runtime)
    assert proxy.expiry_recorded_at is None  # still in force on its end date
    clock.advance(days=1)
    assert run_lifecycle(db.session, runtime).proxies_expired == 1
    assert run_lifecycle(db.session, runtime).proxies_expired == 0
    db.session.commit()
    assert _count("proxies:proxy:expire") == 1


def test_lifecycle_command(app, factory, clock):
    factory.person()
    clock.now = clock.now.replace(year=2028)
    result = app.test_cli_runner().invoke(args=["lifecycle", "run"])
    assert result.exit_code == 0, result.output
    assert "accounts cancelled: 1" in result.output
    assert "expired codes, tokens and requests removed: 0" in result.output


# -- citizens ---------------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config, tmp_path):
    """The fictional taxpayers of tests/citizens, so an enrolment can be started."""
    path = tmp_path / "taxpayers.toml"
    path.write_text(
        "\n".join(
            "[[taxpayers]]\n"
            f'sin = "{t.sin.replace(" ", "")}"\n'
            f'access_code = "{t.access_code}"\n'
            f'notice_number = "{t.notice_number}"\n'
            f'given_name = "{t.given_name}"\n'
            f'family_name = "{t.family_name}"\n'
            for t in (AMELIE, OLIVIER)
        ),
        encoding="utf-8",
    )
    return {**app_config, "taxpayer_registry": str(path)}


@pytest.fixture
def browser(client, smtp) -> CitizenBrowser:
    return CitizenBrowser(client, smtp)


def _enrolments() -> list[CitizenEnrolment]:
    return list(db.session.scalars(select(CitizenEnrolment)))


def test_inactive_citizens_are_warned_by_email_in_their_language_once(runtime, clock, smtp):
    french = make_citizen(runtime, OLIVIER)
    english = make_citizen(runtime, AMELIE, user_code="7777-WXYZ", locale="en")
    clock.now = clock.now.replace(year=2028) - timedelta(days=30)

    first = run_lifecycle(db.session, runtime)
    db.session.commit()
    again = run_lifecycle(db.session, runtime)
    db.session.commit()
    assert (first.inactivity_warnings, again.inactivity_warnings) == (2, 0)
    assert first.accounts_cancelled == 0
    assert smtp.count_to(french.email) == 1
    assert smtp.count_to(english.email) == 1
    [fr_mail] = [m for m in smtp.messages if french.email in m.to]
    [en_mail] = [m for m in smtp.messages if english.email in m.to]
    assert fr_mail.message["Subject"] == (
        "Votre compte clicSÉQUR – Citoyens sera annulé pour inactivité"
    )
    assert fr_mail.message["Content-Language"] == "fr"
    assert "22 novembre 2028" in fr_mail.text
    assert french.user_code in fr_mail.text
    assert en_mail.message["Subject"] == (
        "Your clicSÉQUR – Citizens account will be cancelled for inactivity"
    )
    assert en_mail.message["Content-Language"] == "en"
    assert "November 22, 2028" in en_mail.text
    assert english.user_code in en_mail.text
    assert "novembre" not in en_mail.text

    clock.advance(days=23)  # 7 days before: the second warning, once
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 2
    db.session.commit()
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 0
    db.session.commit()
    assert smtp.count_to(french.email) == 2
    assert smtp.count_to(english.email) == 2
    assert "November 22, 2028" in smtp.messages[-1].text or "22 novembre 2028" in (
        smtp.messages[-1].text
    )
    assert db.session.get(Account, french.id).status == AccountStatus.ACTIVE


def test_a_citizen_who_signs_in_after_the_warning_is_not_cancelled(runtime, clock, browser):
    citizen = make_citizen(runtime, OLIVIER)
    clock.now = clock.now.replace(year=2028) - timedelta(days=7)
    assert run_lifecycle(db.session, runtime).inactivity_warnings == 1
    db.session.commit()
    browser.sign_in(citizen)
    clock.advance(days=8)
    report = run_lifecycle(db.session, runtime)
    db.session.commit()
    assert report.accounts_cancelled == 0
    assert db.session.get(Account, citizen.id).status == AccountStatus.ACTIVE


def test_an_inactive_citizen_is_cancelled_and_the_sin_forgotten(runtime, clock, browser, smtp):
    citizen = make_citizen(runtime, OLIVIER)
    browser.sign_in(citizen)
    clock.now = clock.now.replace(year=2028)

    report = run_lifecycle(db.session, runtime)
    db.session.commit()

    assert report.accounts_cancelled == 1
    account = db.session.get(Account, citizen.id)
    assert account.status == AccountStatus.CANCELLED
    assert account.status_changed_at == clock.now
    assert db.session.get(CitizenProfile, citizen.id).sin_hash is None
    sessions = db.session.scalars(select(UserSession).filter_by(account_id=citizen.id)).all()
    assert [s.end_reason for s in sessions] == ["account_inactive"]
    assert browser.client.get("/citoyens/").status_code == 302
    assert run_lifecycle(db.session, runtime).accounts_cancelled == 0
    # Nothing ties the number to the old account: the person can make a new one.
    new = browser.enrol(OLIVIER)
    assert new.id != citizen.id
    assert db.session.get(CitizenProfile, new.id).sin_hash == sin_hash(runtime.sin_key, OLIVIER.sin)


def test_expired_enrolments_and_email_changes_are_removed(app, runtime, clock, browser, smtp):
    settings = runtime.settings
    citizen = make_citizen(runtime, NOBODY)
    assert browser.identity(AMELIE).status_code == 302
    owner = CitizenBrowser(app.test_client(), smtp)
    owner.sign_in(citizen)
    asked = owner.post("/citoyens/compte/courriel", {"email": "nouvelle@example.com"})
    assert asked.status_code == 302
    pending = db.session.scalars(select(EmailChange)).one()
    confirmed = EmailChange(
        account_id=citizen.id,
        email="ancienne@example.com",
        confirmation_hash="0" * 64,
        created_at=clock.now - timedelta(days=30),
        expires_at=clock.now - timedelta(days=28),
        confirmed_at=clock.now - timedelta(days=29),
    )
    db.session.add(confirmed)
    db.session.commit()
    pending_id, confirmed_id = pending.id, confirmed.id

    clock.advance(seconds=settings.citizen_enrolment_seconds + 1)
    later = CitizenBrowser(app.test_client(), smtp)
    assert later.identity(OLIVIER).status_code == 302
    [live] = [e for e in _enrolments() if e.given_name == "Olivier"]

    report = run_lifecycle(db.session, runtime)
    db.session.commit()
    assert report.enrolments_removed == 1
    assert [e.id for e in _enrolments()] == [live.id]
    # The address change has 48 hours: still there.
    assert db.session.get(EmailChange, pending_id) is not None
    assert run_lifecycle(db.session, runtime).enrolments_removed == 0
    db.session.commit()

    clock.advance(seconds=settings.citizen_link_seconds)
    report = run_lifecycle(db.session, runtime)
    db.session.commit()
    assert report.enrolments_removed == 1
    assert _enrolments() == []
    assert db.session.get(EmailChange, pending_id) is None
    # A confirmed change is the record of what happened: kept.
    assert db.session.get(EmailChange, confirmed_id) is not None
    assert db.session.get(Account, citizen.id).email == NOBODY.email


def test_an_enrolment_waiting_for_its_link_is_kept_while_the_link_is_valid(runtime, clock, browser):
    assert browser.identity(AMELIE).status_code == 302
    browser.image()
    browser.questions()
    assert browser.password().status_code == 302
    clock.advance(seconds=runtime.settings.citizen_enrolment_seconds + 1)
    assert run_lifecycle(db.session, runtime).enrolments_removed == 0
    db.session.commit()
    assert len(_enrolments()) == 1
    assert browser.client.get(browser.link(AMELIE.email)).status_code == 200


def test_lifecycle_command_reports_enrolments_removed(app, runtime, clock, browser):
    assert browser.identity(AMELIE).status_code == 302
    clock.advance(seconds=runtime.settings.citizen_enrolment_seconds + 1)
    result = app.test_cli_runner().invoke(args=["lifecycle", "run"])
    assert result.exit_code == 0, result.output
    assert "citizen enrolments removed: 1" in result.output
    assert _enrolments() == []


def test_lifecycle_command_warns_inactive_citizens(app, runtime, clock, smtp):
    citizen = make_citizen(runtime, OLIVIER)
    clock.now = clock.now.replace(year=2028) - timedelta(days=30)
    result = app.test_cli_runner().invoke(args=["lifecycle", "run"])
    assert result.exit_code == 0, result.output
    assert "Inactivity warnings: 1" in result.output
    assert smtp.count_to(citizen.email) == 1
