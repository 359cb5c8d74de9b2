"""User file pages: create (form, review, submit, acknowledgement), consult, change, designate."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, or_, select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.audit.models import AuditEvent
from idp.enterprises.views import DRAFT_KEY
from idp.extensions import db
from tests.conftest import Auth, csrf_token
from tests.enterprises.conftest import ACK, NEW, REVIEW, USERS, account, events, post, step_up

ANNE = {
    "first_name": "Anne",
    "last_name": "Lévesque",
    "email": "anne.levesque@acierie.example",
    "telephone": "418 555-0123",
    "extension": "204",
    "role": "user",
}


def _accounts_named(last_name: str) -> list[Account]:
    return list(db.session.scalars(select(Account).where(Account.last_name == last_name)))


def _enter(auth: Auth, data: dict[str, str]):
    return auth.form_post(NEW, data)


def _submit(auth: Auth):
    return auth.form_post(REVIEW, {})


def _is_acknowledgement(response) -> bool:
    """The acknowledgement is the answer to the POST itself (the password is never stored)."""
    return response.status_code == 200 and "uf-secret" in response.get_data(as_text=True)


def _acknowledged(html: str) -> tuple[str, str]:
    """The user code and temporary password shown on the acknowledgement."""
    codes = re.findall(r'class="mono uf-secret">([^<]+)<', html)
    assert len(codes) == 2, html
    return codes[0], codes[1]


# -- creating a user file ---------------------------------------------------------------------


def test_users_page_lists_the_enterprise_files_only(auth, team):
    auth.sign_in(team.esm)
    page = auth.client.get(f"{USERS}?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for person in (team.representative, team.esm, team.other_esm, team.user):
        assert person.user_code in html
        assert f'href="{USERS}/{person.account.id}"' in html
    for outsider in (team.outsider_esm, team.outsider_user):
        assert outsider.user_code not in html
    assert '<th scope="col">Last sign-in</th>' in html
    # Signed in at 14:00 UTC: 9:00 in Québec (EST).
    assert "9:00" in html
    assert "Create a user file" in html


def test_create_a_user_through_form_review_and_acknowledgement(app, auth, team, smtp):
    auth.sign_in(team.esm)
    response = _enter(auth, ANNE)
    assert response.status_code == 302
    assert response.headers["Location"] == REVIEW
    assert _accounts_named("Lévesque") == []  # nothing created before « Submit »

    review = auth.client.get(f"{REVIEW}?lang=en").get_data(as_text=True)
    assert "Check the information" in review
    assert "anne.levesque@acierie.example" in review
    assert "418 555-0123, extension 204" in review

    response = auth.form_post(f"{REVIEW}?lang=en", {}, page=REVIEW)
    assert _is_acknowledgement(response)
    [created] = _accounts_named("Lévesque")
    assert created.role == AccountRole.USER
    assert created.enterprise_id == team.esm.account.enterprise_id
    assert created.telephone == "418 555-0123"
    assert created.telephone_extension == "204"
    assert created.must_change_password is True
    [event] = events("accounts:account:create", created.id)
    assert event.actor_account_id == team.esm.account.id

    html = response.get_data(as_text=True)
    user_code, temporary = _acknowledged(html)
    assert user_code == created.user_code
    # The temporary password never travels in the (signed, not encrypted) session cookie.
    cookie = auth.client.get_cookie("idp_session").value
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert temporary not in str(stored)
    assert "data-print hidden" in html
    assert app.extensions["idp.runtime"].hashing.verify(created.password_hash, temporary)

    again = auth.client.get(f"{ACK}?lang=en").get_data(as_text=True)
    assert temporary not in again
    assert user_code not in again
    assert "can no longer be displayed" in again
    assert "reset the person's password" in again

    # The new person signs in with them and must choose a password first.
    newcomer = app.test_client()
    newcomer_auth = Auth(newcomer, smtp)
    response = newcomer_auth.password_step(user_code, temporary)
    assert response.headers["Location"].endswith("/connexion/code")
    response = newcomer_auth.code_step(smtp.last_code("anne.levesque@acierie.example"))
    assert response.headers["Location"] == "/mot-de-passe"
    assert newcomer.get("/").headers["Location"] == "/mot-de-passe"


def test_correct_comes_back_with_the_entered_values(auth, team):
    auth.sign_in(team.esm)
    _enter(auth, {**ANNE, "role": "esm"})
    review = auth.client.get(REVIEW).get_data(as_text=True)
    assert f'href="{NEW}?draft=1"' in review  # « Correct »
    form = auth.client.get(f"{NEW}?draft=1").get_data(as_text=True)
    for name in ("first_name", "last_name", "email", "telephone", "extension"):
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(ANNE[name])}"', form), name
    assert re.search(r'checked[^>]*value="esm"|value="esm"[^>]*checked', form)
    # A fresh « Create a user file » starts empty.
    fresh = auth.client.get(NEW).get_data(as_text=True)
    assert "Lévesque" not in fresh
    # Correcting and submitting again changes the draft, still nothing created.
    _enter(auth, {**ANNE, "first_name": "Annie"})
    assert "Annie" in auth.client.get(REVIEW).get_data(as_text=True)
    assert _accounts_named("Lévesque") == []


def test_review_without_a_draft_goes_back_to_the_form(auth, team):
    auth.sign_in(team.esm)
    response = auth.client.get(REVIEW)
    assert response.status_code == 302
    assert response.headers["Location"] == NEW


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("extension", "12345", "The extension has at most 4 digits."),
        ("telephone", "555-0123", "Enter a telephone number of 10 digits, such as 418 555-0123."),
        ("email", "anne.levesque", "Enter a valid email address, such as name@example.com."),
        ("last_name", "   ", "Enter the last name."),
        ("role", "ministry_operator", "Choose the role: user or electronic services manager."),
    ],
)
def test_invalid_details_are_refused_on_their_field(auth, team, field, value, message):
    auth.sign_in(team.esm)
    response = auth.form_post(f"{NEW}?lang=en", {**ANNE, field: value})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    field_error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert field_error, html
    assert message in field_error.group(1)
    assert f'href="#{field}' in html  # the error summary links to the field
    if field != "last_name":
        assert f'value="{ANNE["first_name"]}"' in html  # the data is kept
    assert _accounts_named("Lévesque") == []
    assert auth.client.get(REVIEW).headers["Location"] == NEW  # no draft kept


def test_every_problem_is_shown_at_once(auth, team):
    auth.sign_in(team.esm)
    data = {**ANNE, "first_name": "", "email": "nope", "extension": "12345", "role": ""}
    html = auth.form_post(f"{NEW}?lang=en", data).get_data(as_text=True)
    for field_id in ("first_name", "email", "extension", "role-0"):
        assert f'href="#{field_id}"' in html, field_id


def test_a_draft_refused_at_submit_goes_back_to_the_form_with_the_error(auth, team):
    auth.sign_in(team.esm)
    _enter(auth, ANNE)
    with auth.client.session_transaction() as cookie_session:
        cookie_session[DRAFT_KEY] = {**cookie_session[DRAFT_KEY], "extension": "12345"}
    response = auth.form_post(f"{REVIEW}?lang=en", {})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="extension-error"' in html
    assert "The extension has at most 4 digits." in html
    assert 'value="anne.levesque@acierie.example"' in html
    assert _accounts_named("Lévesque") == []


def test_another_persons_draft_is_never_shown(auth, team):
    auth.sign_in(team.esm)
    _enter(auth, ANNE)
    with auth.client.session_transaction() as cookie_session:
        cookie_session[DRAFT_KEY] = {**cookie_session[DRAFT_KEY], "account_id": 999}
    assert auth.client.get(REVIEW).headers["Location"] == NEW
    assert "Lévesque" not in auth.client.get(f"{NEW}?draft=1").get_data(as_text=True)


# -- step-up for an ESM -----------------------------------------------------------------------


def test_creating_an_esm_asks_for_a_recent_code_and_keeps_the_draft(auth, team, smtp, clock):
    auth.sign_in(team.esm)
    clock.advance(minutes=11)  # the sign-in code is now too old
    _enter(auth, {**ANNE, "role": "esm"})
    response = _submit(auth)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == f"/verification?next={REVIEW}"
    assert _accounts_named("Lévesque") == []

    back = step_up(auth, smtp, location, team.esm.email)
    assert back.headers["Location"] == REVIEW
    assert "anne.levesque@acierie.example" in auth.client.get(REVIEW).get_data(as_text=True)
    response = _submit(auth)
    assert _is_acknowledgement(response)
    [created] = _accounts_named("Lévesque")
    assert created.role == AccountRole.ESM
    assert events("mfa:code:step_up", team.esm.account.id)


def test_the_code_counts_for_ten_minutes(auth, team, smtp, clock):
    auth.sign_in(team.esm)
    clock.advance(minutes=9)
    _enter(auth, {**ANNE, "role": "esm"})
    assert _is_acknowledgement(_submit(auth))  # within 10 minutes of sign-in

    _enter(auth, {**ANNE, "email": "b@acierie.example", "last_name": "Bérubé", "role": "esm"})
    clock.advance(minutes=2)  # 11 minutes after the code
    response = _submit(auth)
    assert response.headers["Location"].startswith("/verification?")
    assert _accounts_named("Bérubé") == []
    step_up(auth, smtp, response.headers["Location"], team.esm.email)

    clock.advance(minutes=11)
    response = _submit(auth)
    assert response.headers["Location"].startswith("/verification?")  # asked again
    assert _accounts_named("Bérubé") == []


def test_creating_a_user_needs_no_recent_code(auth, team, clock):
    auth.sign_in(team.esm)
    clock.advance(minutes=20)
    _enter(auth, ANNE)
    assert _is_acknowledgement(_submit(auth))
    assert len(_accounts_named("Lévesque")) == 1


# -- the authorized representative ------------------------------------------------------------


def test_representative_creates_only_esms(auth, team, clock, smtp):
    auth.sign_in(team.representative)
    form = auth.client.get(f"{NEW}?lang=en").get_data(as_text=True)
    assert 'value="user"' not in form
    assert 'type="hidden" name="role" value="esm"' in form

    response = auth.form_post(f"{NEW}?lang=en", {**ANNE, "role": "user"}, page=NEW)
    assert response.status_code == 200
    assert "Choose the role" in response.get_data(as_text=True)
    assert auth.client.get(REVIEW).headers["Location"] == NEW

    clock.advance(minutes=11)
    _enter(auth, {**ANNE, "role": "esm"})
    response = _submit(auth)
    step_up(auth, smtp, response.headers["Location"], team.representative.email)
    acknowledgement = _submit(auth)
    assert _is_acknowledgement(acknowledgement)
    acknowledgement.close()  # the notice is sent once the response is done
    [created] = _accounts_named("Lévesque")
    assert created.role == AccountRole.ESM
    # The email names the representative as such, not as an electronic services manager.
    [mail] = [m for m in smtp.messages if ANNE["email"] in m.to]
    name = team.representative.account.display_name
    assert f"{name}, représentant autorisé d" in mail.text
    assert f"{name}, authorized representative of" in mail.text


def test_representative_designates_an_esm_with_a_recent_code(auth, team, smtp, clock):
    target = team.user.account
    page = f"{USERS}/{target.id}"
    auth.sign_in(team.representative)
    html = auth.client.get(f"{page}?lang=en").get_data(as_text=True)
    assert "Designate as electronic services manager" in html
    assert "Modify the details" not in html

    clock.advance(minutes=11)
    response = post(auth, f"{page}/designation", {"make_esm": "1"}, page=page)
    assert response.headers["Location"] == f"/verification?next={page}"
    assert account(target.id).role == AccountRole.USER
    assert (
        step_up(auth, smtp, response.headers["Location"], team.representative.email).headers[
            "Location"
        ]
        == page
    )

    response = post(auth, f"{page}/designation", {"make_esm": "1"}, page=page)
    assert response.headers["Location"] == page
    assert account(target.id).role == AccountRole.ESM
    [event] = events("accounts:account:role", target.id)
    assert event.details["role"] == "esm"
    assert event.actor_account_id == team.representative.account.id

    html = auth.client.get(f"{page}?lang=en").get_data(as_text=True)
    assert "Withdraw the electronic services manager designation" in html
    response = post(auth, f"{page}/designation", {"make_esm": "0"}, page=page)
    assert account(target.id).role == AccountRole.USER
    assert len(events("accounts:account:role", target.id)) == 2


def test_an_esm_cannot_designate(auth, team):
    auth.sign_in(team.esm)
    page = f"{USERS}/{team.user.account.id}"
    assert "Designate" not in auth.client.get(f"{page}?lang=en").get_data(as_text=True)
    response = post(auth, f"{page}/designation", {"make_esm": "1"}, page=page)
    assert response.status_code == 404
    assert account(team.user.account.id).role == AccountRole.USER
    assert events("accounts:account:role") == []


# -- consulting and changing a file -----------------------------------------------------------


def test_modify_a_user_file(auth, team):
    target = team.user.account
    auth.sign_in(team.esm)
    form = auth.client.get(f"{USERS}/{target.id}/modifier").get_data(as_text=True)
    assert 'value="Jean"' in form  # split from the display name
    response = auth.form_post(
        f"{USERS}/{target.id}/modifier",
        {
            "first_name": "Jean",
            "last_name": "Roy-Dubé",
            "email": "jean.roy@acierie.example",
            "telephone": "",
            "extension": "",
        },
    )
    assert response.headers["Location"] == f"{USERS}/{target.id}"
    changed = account(target.id)
    assert changed.display_name == "Jean Roy-Dubé"
    # A new address waits for its owner's confirmation (tests/enterprises/test_email_change.py).
    assert changed.email != "jean.roy@acierie.example"
    [event] = events("accounts:account:update", target.id)
    assert "last_name" in event.details["fields"]
    assert events("accounts:email:request", target.id)


def test_modify_refuses_a_five_digit_extension_and_keeps_the_data(auth, team):
    target = team.user.account
    auth.sign_in(team.esm)
    path = f"{USERS}/{target.id}/modifier?lang=en"
    data = {**ANNE, "extension": "12345"}
    html = auth.form_post(path, data).get_data(as_text=True)
    assert "The extension has at most 4 digits." in html
    assert 'value="anne.levesque@acierie.example"' in html
    assert account(target.id).email != "anne.levesque@acierie.example"
    assert events("accounts:account:update") == []


def test_suspending_ends_the_target_session_at_once(app, auth, team, smtp):
    target = team.user
    other = Auth(app.test_client(), smtp)
    other.sign_in(target)
    assert other.client.get("/").status_code == 200

    auth.sign_in(team.esm)
    path = f"{USERS}/{target.account.id}/statut/suspendre"
    confirm = auth.client.get(f"{path}?lang=en").get_data(as_text=True)
    assert "Suspending ends the person's sessions at once" in confirm
    response = auth.form_post(path, {})
    assert response.headers["Location"] == f"{USERS}/{target.account.id}"
    assert account(target.account.id).status == AccountStatus.SUSPENDED

    response = other.client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")
    [event] = events("accounts:account:suspend", target.account.id)
    assert event.details["sessions_ended"] == 1

    auth.form_post(f"{USERS}/{target.account.id}/statut/reactiver", {})
    assert account(target.account.id).status == AccountStatus.ACTIVE
    assert len(events("accounts:account:reactivate", target.account.id)) == 1


def test_a_cancelled_file_cannot_be_reactivated(auth, team):
    target = team.user.account
    auth.sign_in(team.esm)
    auth.form_post(f"{USERS}/{target.id}/statut/annuler", {})
    assert account(target.id).status == AccountStatus.CANCELLED
    assert len(events("accounts:account:cancel", target.id)) == 1

    path = f"{USERS}/{target.id}/statut/reactiver"
    page = auth.client.get(f"{path}?lang=en").get_data(as_text=True)
    assert "A cancelled user file cannot be changed." in page
    assert "Reactivate the user file</button>" not in page
    response = post(auth, f"{path}?lang=en", page=f"{USERS}/{target.id}")
    assert "A cancelled user file cannot be changed." in response.get_data(as_text=True)
    assert account(target.id).status == AccountStatus.CANCELLED
    assert events("accounts:account:reactivate") == []
    html = auth.client.get(f"{USERS}/{target.id}?lang=en").get_data(as_text=True)
    assert "Reactivate</a>" not in html
    assert "can no longer be changed or reactivated" in html


def test_reset_password_shows_a_new_temporary_password_once(app, auth, team, smtp):
    target = team.user
    auth.sign_in(team.esm)
    path = f"{USERS}/{target.account.id}/mot-de-passe"
    assert "Reset the password" in auth.client.get(f"{path}?lang=en").get_data(as_text=True)
    response = auth.form_post(f"{path}?lang=en", {}, page=path)
    assert _is_acknowledgement(response)
    html = response.get_data(as_text=True)
    user_code, temporary = _acknowledged(html)
    assert user_code == target.user_code
    assert "new temporary password" in html
    changed = account(target.account.id)
    assert changed.must_change_password is True
    assert app.extensions["idp.runtime"].hashing.verify(changed.password_hash, temporary)
    assert not app.extensions["idp.runtime"].hashing.verify(changed.password_hash, target.password)
    assert temporary not in auth.client.get(ACK).get_data(as_text=True)
    assert len(events("accounts:password:reset", target.account.id)) == 1


# -- who may do what --------------------------------------------------------------------------


def _file_urls(account_id: int) -> list[str]:
    base = f"{USERS}/{account_id}"
    return [
        base,
        f"{base}/modifier",
        f"{base}/statut/suspendre",
        f"{base}/statut/reactiver",
        f"{base}/statut/annuler",
        f"{base}/mot-de-passe",
    ]


def _snapshot() -> tuple[list[tuple], int]:
    accounts = [
        (a.id, a.status, a.role, a.email, a.display_name, a.password_hash, a.must_change_password)
        for a in db.session.scalars(select(Account).order_by(Account.id))
    ]
    changes = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            or_(
                AuditEvent.action.like("accounts:account:%"),
                AuditEvent.action == "accounts:password:reset",
            )
        )
    )
    return accounts, changes or 0


def test_an_esm_may_suspend_another_esm_but_not_modify_cancel_or_reset_it(auth, team):
    target = team.other_esm.account
    auth.sign_in(team.esm)
    html = auth.client.get(f"{USERS}/{target.id}?lang=en").get_data(as_text=True)
    assert "Suspend</a>" in html
    for hidden in ("Modify the details", "Cancel the user file", "Reset the password"):
        assert hidden not in html

    before = _snapshot()
    base = f"{USERS}/{target.id}"
    for path in (f"{base}/modifier", f"{base}/statut/annuler", f"{base}/mot-de-passe"):
        assert auth.client.get(path).status_code in {403, 404}, path
        assert post(auth, path, {**ANNE}).status_code in {403, 404}, path
    assert _snapshot() == before

    auth.form_post(f"{base}/statut/suspendre", {})
    assert account(target.id).status == AccountStatus.SUSPENDED
    auth.form_post(f"{base}/statut/reactiver", {})
    assert account(target.id).status == AccountStatus.ACTIVE


def test_an_esm_cannot_suspend_or_cancel_itself(auth, team):
    me = team.esm.account
    auth.sign_in(team.esm)
    html = auth.client.get(f"{USERS}/{me.id}?lang=en").get_data(as_text=True)
    assert "Modify the details" in html
    assert "Suspend</a>" not in html
    before = _snapshot()
    for action in ("suspendre", "annuler"):
        assert post(auth, f"{USERS}/{me.id}/statut/{action}").status_code == 404
    assert post(auth, f"{USERS}/{me.id}/mot-de-passe").status_code == 404
    assert _snapshot() == before


def test_an_esm_learns_nothing_about_another_enterprise(auth, team):
    auth.sign_in(team.esm)
    before = _snapshot()
    for outsider in (team.outsider_user.account, team.outsider_esm.account):
        for path in _file_urls(outsider.id):
            assert auth.client.get(path).status_code == 404, path
        for path in _file_urls(outsider.id)[1:]:
            assert post(auth, path, {**ANNE}).status_code == 404, path
        designation = f"{USERS}/{outsider.id}/designation"
        assert post(auth, designation, {"make_esm": "1"}).status_code == 404
    assert auth.client.get(f"{USERS}/999999").status_code == 404
    assert _snapshot() == before


def test_unknown_status_action_is_not_found(auth, team):
    auth.sign_in(team.esm)
    assert auth.client.get(f"{USERS}/{team.user.account.id}/statut/supprimer").status_code == 404


def test_a_user_is_refused_every_page(auth, team):
    auth.sign_in(team.user)
    before = _snapshot()
    target = team.other_esm.account.id
    pages = [USERS, NEW, REVIEW, ACK, *_file_urls(target)]
    for path in pages:
        assert auth.client.get(path).status_code == 403, path
    for path in [NEW, REVIEW, *_file_urls(target)[1:], f"{USERS}/{target}/designation"]:
        assert post(auth, path, {**ANNE, "make_esm": "1"}).status_code == 403, path
    assert _snapshot() == before


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(USERS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_posts_without_the_csrf_token_are_refused(auth, team):
    auth.sign_in(team.esm)
    response = auth.client.post(f"{USERS}/{team.user.account.id}/statut/suspendre")
    assert response.status_code == 400
    assert account(team.user.account.id).status == AccountStatus.ACTIVE


# -- language ---------------------------------------------------------------------------------


def test_pages_are_french_by_default_and_english_on_request(auth, team):
    auth.sign_in(team.esm)
    french = auth.client.get(USERS).get_data(as_text=True)
    assert '<html lang="fr">' in french
    assert "Code d'utilisateur" in french
    english = auth.client.get(f"{USERS}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "User code" in english


def test_pages_have_no_inline_script_or_style(auth, team):
    auth.sign_in(team.esm)
    _enter(auth, ANNE)
    for path in [USERS, NEW, REVIEW, f"{USERS}/{team.user.account.id}"]:
        html = auth.client.get(path).get_data(as_text=True)
        assert "<script>" not in html, path
        assert "style=" not in html, path
        assert "<style" not in html, path
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.S):
            assert csrf_token(form), path
