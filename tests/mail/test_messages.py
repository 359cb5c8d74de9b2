"""The account emails as the SMTP server receives them: account created by an ESM, cancelled
by an ESM or for inactivity (both portals). Outside a request they leave at once."""

from __future__ import annotations

from idp.accounts.models import AccountRole, AccountStatus
from idp.enterprises.user_files import UserFileData, create_user_file, set_status
from idp.extensions import db
from idp.lifecycle import run_lifecycle
from tests.citizens.conftest import make_citizen


def test_a_new_user_file_emails_its_user_code_never_the_password(runtime, factory, smtp):
    esm = factory.person(name="Marie Tremblay")
    created = create_user_file(
        db.session,
        runtime,
        esm.account,
        esm.account.enterprise,
        UserFileData("Anne", "Lévesque", "anne@example.com"),
        AccountRole.USER,
    )
    db.session.commit()

    (message,) = smtp.messages
    assert message.to == ["anne@example.com"]
    assert message.message["Subject"].startswith("Votre compte clicSÉQUR – Entreprises est créé")
    assert created.account.user_code in message.text
    assert "Marie Tremblay" in message.text
    assert "Aciérie Saint-Laurent inc." in message.text
    assert created.temporary_password not in message.text
    assert "electronic services manager of" in message.text  # then in English


def test_a_cancelled_user_file_is_told(runtime, factory, smtp):
    esm = factory.person()
    user = factory.person(enterprise=esm.account.enterprise, name="Jean Roy", role=AccountRole.USER)
    set_status(db.session, runtime, esm.account, user.account, AccountStatus.CANCELLED)
    db.session.commit()

    (message,) = smtp.messages
    assert message.to == [user.email]
    assert "est annulé" in message.message["Subject"]
    assert "par le responsable des services électroniques" in message.text
    assert "22 novembre 2026" in message.text


def test_suspending_sends_no_cancellation(runtime, factory, smtp):
    esm = factory.person()
    user = factory.person(enterprise=esm.account.enterprise, name="Jean Roy", role=AccountRole.USER)
    set_status(db.session, runtime, esm.account, user.account, AccountStatus.SUSPENDED)
    db.session.commit()
    assert smtp.messages == []


def test_cancellation_for_inactivity_is_told_on_both_portals(runtime, factory, clock, smtp):
    person = factory.person()
    citizen = make_citizen(runtime, locale="en")
    clock.now = clock.now.replace(year=2029)

    run_lifecycle(db.session, runtime)
    db.session.commit()

    to_person = [m for m in smtp.messages if person.email in m.to]
    to_citizen = [m for m in smtp.messages if citizen.email in m.to]
    (enterprise_notice,) = to_person
    assert "car il n'avait pas servi depuis 24 mois" in enterprise_notice.text
    assert "as it had not been used for 24 months" in enterprise_notice.text
    (citizen_notice,) = to_citizen
    assert citizen_notice.message["Subject"] == "Your clicSÉQUR – Citizens account is cancelled"
    assert citizen.user_code in citizen_notice.text

    run_lifecycle(db.session, runtime)  # already cancelled: nothing again
    db.session.commit()
    assert len([m for m in smtp.messages if person.email in m.to]) == 1
