"""« Paramètres de l'entreprise »: the representative lets ESMs reset one another's password."""

from __future__ import annotations

from idp.accounts.models import AccountRole
from idp.extensions import db
from tests.enterprises.conftest import USERS, account, events, post, step_up

SETTINGS = "/entreprise/parametres"


def _allowed(team) -> bool:
    enterprise = account(team.esm.account.id).enterprise
    db.session.refresh(enterprise)
    return enterprise.esm_password_resets_allowed


def test_the_representative_allows_resets_after_a_recent_code(auth, team, smtp, clock):
    auth.sign_in(team.representative)
    clock.advance(minutes=11)  # the sign-in's code is no longer recent
    page = auth.client.get(f"{SETTINGS}?lang=en").get_data(as_text=True)
    assert "a manager may only suspend or reactivate another manager" in page

    response = post(auth, SETTINGS, {"esm_password_resets_allowed": "y"}, page=SETTINGS)
    assert response.status_code == 302
    assert not _allowed(team)
    back = step_up(auth, smtp, response.headers["Location"], team.representative.email)
    assert back.headers["Location"] == SETTINGS
    resumed = auth.client.get(SETTINGS).get_data(as_text=True)
    assert "Votre code est confirmé" in resumed
    assert "checked" in resumed

    done = post(auth, SETTINGS, {"esm_password_resets_allowed": "y"}, page=SETTINGS)
    assert done.headers["Location"] == SETTINGS
    assert _allowed(team)
    (event,) = events("enterprises:settings:change")
    assert event.actor_account_id == team.representative.account.id
    assert event.details == {"esm_resets_allowed": True}


def test_then_an_esm_may_reset_another_esm(auth, team):
    target = team.other_esm.account
    auth.sign_in(team.esm)
    path = f"{USERS}/{target.id}/mot-de-passe"
    assert "Reset the password" not in auth.client.get(f"{USERS}/{target.id}?lang=en").get_data(
        as_text=True
    )
    assert auth.client.get(path).status_code == 404

    target.enterprise.esm_password_resets_allowed = True
    db.session.commit()

    assert "Reset the password" in auth.client.get(f"{USERS}/{target.id}?lang=en").get_data(
        as_text=True
    )
    shown = post(auth, path, {}, page=path)
    assert shown.status_code == 200
    assert account(target.id).must_change_password is True
    assert len(events("accounts:password:reset", target.id)) == 1


def test_saving_the_same_rule_says_so(auth, team):
    auth.sign_in(team.representative)
    response = post(auth, f"{SETTINGS}?lang=en", {}, page=SETTINGS)
    assert response.status_code == 200
    assert "This is already the rule of the enterprise." in response.get_data(as_text=True)


def test_only_the_representative_opens_the_page(auth, team, factory):
    for person in (team.esm, team.user):
        auth.sign_in(person)
        assert auth.client.get(SETTINGS).status_code == 403
        auth.sign_out()
    auth.sign_in(team.representative)
    page = auth.client.get(SETTINGS)
    assert page.status_code == 200
    assert "Paramètres de l'entreprise" in page.get_data(as_text=True)
    assert team.representative.account.role == AccountRole.AUTHORIZED_REPRESENTATIVE
