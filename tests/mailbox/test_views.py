"""The mailbox pages: a person's own messages, newest first; opening one marks it read."""

from __future__ import annotations

import re
from html import unescape

import pytest

from idp.accounts.models import AccountRole
from idp.extensions import db
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.mailbox.services import post_message
from tests.enterprises.onboarding_helpers import provider_operator
from tests.ministries.test_views import operator_person

INBOX = "/messages"


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


def post(runtime, account, subject: str, text: str = "Corps") -> MailboxMessage:
    message = post_message(
        db.session,
        runtime,
        account.id,
        MessageKind.PROXY_RECEIVED,
        subject=(f"{subject} (fr)", f"{subject} (en)"),
        body=(f"{text} en français", f"{text} in English"),
    )
    assert message is not None
    db.session.commit()
    return message


def badge(html: str) -> int:
    """The unread count shown next to « Messages » in the navigation (0 when absent)."""
    match = re.search(r'<span class="badge">(\d+)<', html)
    return int(match.group(1)) if match else 0


@pytest.fixture
def esm(factory):
    return factory.person(name="Marie Tremblay")


def test_messages_are_listed_newest_first_with_the_unread_ones_marked(auth, esm, runtime, clock):
    post(runtime, esm.account, "Premier")
    clock.advance(hours=1)
    second = post(runtime, esm.account, "Second")
    second.read_at = clock()
    clock.advance(hours=1)
    post(runtime, esm.account, "Troisième")
    auth.sign_in(esm)
    html = body(auth.client.get(INBOX + "?lang=en"))
    subjects = re.findall(r"(\w+) \(en\)", html)
    assert subjects == ["Troisième", "Second", "Premier"]
    rows = re.findall(r"<tr class=\"(mbx-\w+)\">.*?</tr>", html, re.S)
    assert rows == ["mbx-unread", "mbx-read", "mbx-unread"]
    assert html.count(">Unread<") == 2
    assert "<strong>Troisième (en)</strong>" in html
    assert "<strong>Second (en)</strong>" not in html
    assert badge(html) == 2
    assert "Troisième (fr)" in body(auth.client.get(INBOX))  # French by default


def test_reading_a_message_marks_it_read_and_the_badge_goes_down(auth, esm, runtime):
    first = post(runtime, esm.account, "Premier", "Votre procuration")
    post(runtime, esm.account, "Second")
    auth.sign_in(esm)
    assert badge(body(auth.client.get(INBOX))) == 2

    response = auth.client.get(f"{INBOX}/{first.id}")
    html = body(response)
    assert response.status_code == 200
    assert '<h1 id="message-title">Premier (fr)</h1>' in html
    assert "Votre procuration en français" in html
    assert badge(html) == 1
    db.session.refresh(first)
    assert first.read_at is not None
    english = body(auth.client.get(f"{INBOX}/{first.id}?lang=en"))
    assert "Votre procuration in English" in english
    assert badge(body(auth.client.get(INBOX))) == 1


def test_another_persons_message_is_not_found_and_stays_unread(auth, esm, factory, runtime):
    colleague = factory.person(
        enterprise=esm.account.enterprise, name="Jean Roy", role=AccountRole.USER
    )
    theirs = post(runtime, colleague.account, "Confidentiel")
    auth.sign_in(esm)
    assert auth.client.get(f"{INBOX}/{theirs.id}").status_code == 404
    assert auth.client.get(f"{INBOX}/{theirs.id + 1000}").status_code == 404
    assert "Confidentiel" not in body(auth.client.get(INBOX))
    db.session.refresh(theirs)
    assert theirs.read_at is None


# Citizens have no mailbox: their notices come by email (tests/citizens).
@pytest.mark.parametrize("role", [r for r in AccountRole if r != AccountRole.CITIZEN])
def test_every_signed_in_person_has_a_mailbox(auth, factory, runtime, role):
    if role == AccountRole.MINISTRY_OPERATOR:
        person = operator_person(runtime, "amf")
    elif role == AccountRole.PROVIDER_OPERATOR:
        person = provider_operator(runtime)
    else:
        person = factory.person(role=role, name="Jean Roy")
    auth.sign_in(person)
    html = body(auth.client.get(INBOX + "?lang=en"))
    assert "You have no message." in html
    assert f'href="{INBOX}" aria-current="page"' in html


def test_anonymous_visitors_are_sent_to_sign_in(client, esm, runtime):
    message = post(runtime, esm.account, "Premier")
    for path in (INBOX, f"{INBOX}/{message.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]
    db.session.refresh(message)
    assert message.read_at is None
