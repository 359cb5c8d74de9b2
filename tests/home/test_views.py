"""The enterprise home page: previous access, the account summary, the public-computer notice."""

from __future__ import annotations

from html import unescape

import pytest

from idp.enterprises.models import EnterpriseStatus
from idp.extensions import db
from tests.conftest import csrf_token


def test_home_shows_the_account_and_its_enterprise(auth, person, clock):
    auth.sign_in(person)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "This is your first sign-in: there is no earlier access to check." in page
    # No advice about an access to recognise when there is none.
    assert "If you do not recognise this access" not in page
    assert person.user_code in page
    assert "Electronic services manager" in page
    assert person.account.enterprise.legal_name in page
    assert person.account.enterprise.neq in page
    assert "you are using a public computer" not in page

    auth.sign_out()
    clock.advance(hours=1)
    auth.sign_in(person)
    again = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "This is your first sign-in" not in again
    assert "If you do not recognise this access" in again
    assert '<time datetime="' in again


def test_a_public_computer_is_reminded_of_it(auth, person):
    auth.sign_in(person, public_computer="y")
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "You said you are using a public computer" in page
    assert csrf_token(page)


@pytest.mark.parametrize(
    ("status", "told"),
    [
        (EnterpriseStatus.ACTIVE, None),
        (EnterpriseStatus.SUSPENDED, "Your enterprise is suspended at clicSÉQUR"),
        (EnterpriseStatus.CANCELLED, "registration at clicSÉQUR is cancelled"),
        (EnterpriseStatus.PENDING_ACTIVATION, "Your enterprise is not yet active at clicSÉQUR"),
    ],
)
def test_home_tells_the_enterprise_standing(auth, person, status, told):
    person.account.enterprise.status = status
    db.session.commit()
    auth.sign_in(person)
    page = unescape(auth.client.get("/?lang=en").get_data(as_text=True))
    if told is None:
        assert "at clicSÉQUR" not in page
    else:
        assert told in page
