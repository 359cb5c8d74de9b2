"""A new email address for an enterprise account (issue #14): step-up, proof of the new
address, notice to the old one, audited; never at once."""

from __future__ import annotations

import re

from idp.accounts.models import EmailChange
from idp.extensions import db
from tests.conftest import Auth, SmtpCapture, csrf_token
from tests.enterprises.conftest import USERS, Team, account, events, step_up

NEW_ADDRESS = "jean.roy@nouvelle.example"


def _details(email: str) -> dict[str, str]:
    return {
        "first_name": "Jean",
        "last_name": "Roy",
        "email": email,
        "telephone": "",
        "extension": "",
    }


def _link(smtp: SmtpCapture, to: str) -> str:
    for captured in reversed(smtp.messages):
        if to in captured.to:
            match = re.search(r"http://localhost(/courriel/confirmer/\S+)", captured.text)
            if match:
                return match.group(1)
    raise AssertionError(f"no link sent to {to}")


def _messages_to(smtp: SmtpCapture, to: str) -> list[str]:
    return [m.text for m in smtp.messages if to in m.to]


def _ask_for_new_address(auth: Auth, team: Team, email: str = NEW_ADDRESS):
    path = f"{USERS}/{team.user.account.id}/modifier"
    return auth.form_post(path, _details(email))


def test_the_address_changes_only_when_its_owner_opens_the_link(auth, team, smtp, client):
    auth.sign_in(team.esm)
    old = team.user.email
    response = _ask_for_new_address(auth, team)
    assert response.status_code == 302
    assert account(team.user.account.id).email == old
    page = auth.client.get(f"{USERS}/{team.user.account.id}").get_data(as_text=True)
    assert NEW_ADDRESS in page
    assert "en attente" in page or "attend" in page
    # The link goes to the new address, in French then English, naming who asked.
    [letter] = _messages_to(smtp, NEW_ADDRESS)
    assert "Marie Tremblay" in letter
    assert letter.index("Bonjour") < letter.index("Hello")
    assert _messages_to(smtp, old) == []  # nothing changed yet

    link = _link(smtp, NEW_ADDRESS)
    shown = client.get(link)  # a mail scanner's GET changes nothing
    assert shown.status_code == 200
    assert account(team.user.account.id).email == old
    confirmed = client.post(link, data={"csrf_token": csrf_token(shown.get_data(as_text=True))})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert account(team.user.account.id).email == NEW_ADDRESS
    # The old address hears of it, with the new one named.
    [notice] = _messages_to(smtp, old)
    assert NEW_ADDRESS in notice
    [request_event] = events("accounts:email:request", team.user.account.id)
    assert request_event.actor_account_id == team.esm.account.id
    [change_event] = events("accounts:email:change", team.user.account.id)
    assert change_event.actor_account_id == team.esm.account.id
    # Single use.
    again = client.post(link, data={"csrf_token": csrf_token(shown.get_data(as_text=True))})
    assert again.status_code == 404


def test_codes_go_to_the_new_address_once_confirmed(app, auth, team, smtp):
    auth.sign_in(team.esm)
    _ask_for_new_address(auth, team)
    link = _link(smtp, NEW_ADDRESS)
    owner = Auth(app.test_client(), smtp)
    page = owner.client.get(link).get_data(as_text=True)
    owner.client.post(link, data={"csrf_token": csrf_token(page)})
    owner.password_step(team.user.user_code, team.user.password)
    assert smtp.count_to(NEW_ADDRESS) == 2  # the link, then the sign-in code
    assert owner.code_step(smtp.last_code(NEW_ADDRESS)).status_code == 302


def test_without_a_recent_code_the_esm_confirms_it_first_and_loses_nothing(auth, team, smtp, clock):
    auth.sign_in(team.esm)
    clock.advance(minutes=11)  # the code of the sign-in is no longer recent
    response = _ask_for_new_address(auth, team)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/verification?next=")
    assert _messages_to(smtp, NEW_ADDRESS) == []
    assert events("accounts:email:request") == []
    back = step_up(auth, smtp, response.headers["Location"], team.esm.email)
    assert back.status_code == 302
    form = auth.client.get(back.headers["Location"]).get_data(as_text=True)
    # What was typed is in the form again, to be saved once more.
    assert f'value="{NEW_ADDRESS}"' in form
    assert "Votre code est confirmé" in form
    _ask_for_new_address(auth, team)
    assert len(_messages_to(smtp, NEW_ADDRESS)) == 1


def test_an_expired_link_cannot_be_used(auth, team, smtp, client, clock, runtime):
    auth.sign_in(team.esm)
    _ask_for_new_address(auth, team)
    link = _link(smtp, NEW_ADDRESS)
    clock.advance(seconds=runtime.settings.email_link_seconds + 1)
    page = client.get(link)
    assert page.status_code == 404
    assert "Ce lien ne peut pas être utilisé" in page.get_data(as_text=True)
    assert account(team.user.account.id).email == team.user.email


def test_a_new_request_voids_the_previous_link(auth, team, smtp, client):
    auth.sign_in(team.esm)
    _ask_for_new_address(auth, team)
    first = _link(smtp, NEW_ADDRESS)
    _ask_for_new_address(auth, team, "jean.roy@autre.example")
    assert client.get(first).status_code == 404
    assert db.session.query(EmailChange).count() == 1


def test_the_link_is_stored_only_as_its_hash(auth, team, smtp):
    auth.sign_in(team.esm)
    _ask_for_new_address(auth, team)
    token = _link(smtp, NEW_ADDRESS).rsplit("/", 1)[1]
    stored = db.session.query(EmailChange).one()
    assert token not in stored.confirmation_hash
    assert len(stored.confirmation_hash) == 64
