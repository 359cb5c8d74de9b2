"""A relying party that requires a passkey (acr urn:clicsequr:acr:phr): a session made with the
emailed code is sent to the passkey step, then comes back; the ID token says what happened
(``acr`` phr, ``amr`` with hwk)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from idp.oidc.acr import ACR_PHISHING_RESISTANT
from tests.oidc.test_authorize import as_person, id_token_of, redeem
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.test_views import add_passkey, options_in, post_answer

CONFIRM = "/connexion/cle-d-acces/confirmer"


def test_a_code_only_session_goes_through_the_passkey_step(
    auth, browser, client, world, client_secrets
):
    key = SoftwareAuthenticator()
    auth.sign_in(as_person(world.esm))
    add_passkey(auth, key)
    request = browser.request(acr_values=ACR_PHISHING_RESISTANT)

    sent = browser.open(request)
    assert sent.status_code == 302
    location = sent.headers["Location"]
    assert urlsplit(location).path == CONFIRM
    page = client.get(location).get_data(as_text=True)
    back = post_answer(auth, location, page, key.get(options_in(page)))
    assert back.status_code == 302
    assert back.headers["Location"].startswith("/oidc/authorize?")

    params = browser.authorize(None, request)
    claims = id_token_of(client, redeem(client, request, params["code"], client_secrets))
    assert claims["acr"] == ACR_PHISHING_RESISTANT
    assert "hwk" in claims["amr"]


def test_without_a_passkey_the_step_says_how_to_add_one(auth, browser, client, world):
    auth.sign_in(as_person(world.esm))
    sent = browser.open(browser.request(acr_values=ACR_PHISHING_RESISTANT))
    page = client.get(sent.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "You have no passkey yet." in page
    assert "data-options" not in page
    # « Add a passkey » comes back to this request once the passkey is added.
    found = re.search(r'href="(/compte/cles-d-acces\?next=[^"]*)"', page)
    assert found, "no link to add a passkey"
    back_to = parse_qs(urlsplit(html.unescape(found.group(1))).query)["next"][0]
    assert back_to == parse_qs(urlsplit(sent.headers["Location"]).query)["next"][0]
    assert back_to.startswith("/oidc/authorize?")


def test_a_code_session_still_serves_sites_that_ask_for_the_code(
    auth, browser, client, world, client_secrets
):
    """A passkey session is stronger than the emailed code: a site asking for the code takes it."""
    key = SoftwareAuthenticator()
    auth.sign_in(as_person(world.esm))
    add_passkey(auth, key)
    sent = browser.open(browser.request(acr_values=ACR_PHISHING_RESISTANT))
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    post_answer(auth, sent.headers["Location"], page, key.get(options_in(page)))
    request = browser.request(acr_values="urn:clicsequr:acr:mfa")
    params = browser.authorize(None, request)
    claims = id_token_of(client, redeem(client, request, params["code"], client_secrets))
    assert claims["acr"] == ACR_PHISHING_RESISTANT
