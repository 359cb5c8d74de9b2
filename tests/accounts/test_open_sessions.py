"""« Mes sessions » (idp/accounts/open_sessions.py, sessions_views.py): the person's open
sign-ins on both portals, and signing out of one or of all the others."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from idp.accounts.models import UserSession
from idp.accounts.open_sessions import Device, describe_device
from idp.audit.models import AuditEvent
from idp.extensions import db
from tests.conftest import Auth, csrf_token
from tests.grants import iqea_grant

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (CHROME_LINUX, Device("Chrome 156", "Linux", None)),
        (SAFARI_IPHONE, Device("Mobile Safari 17", "iOS 17", "iPhone")),
        ("", Device(None, None, None)),
        (None, Device(None, None, None)),
        ("\x00 not a browser", Device(None, None, None)),
    ],
)
def test_a_browser_is_named_by_its_user_agent(user_agent, device):
    assert describe_device(user_agent) == device


@pytest.fixture
def laptop(app, auth, person):
    """The person signed in on a second browser (Chrome on Linux)."""
    other = Auth(app.test_client(), auth.smtp)
    other.client.environ_base["HTTP_USER_AGENT"] = CHROME_LINUX
    other.sign_in(person)
    return other


def _iqea_grant(runtime, person, session_id: int):
    """A grant IQEA obtained in that session (as its sign-in would have made)."""
    return iqea_grant(runtime, person.account, session_id=session_id)


def _session_of(client) -> UserSession:
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.ended_at.is_(None), UserSession.stage == "authenticated")
        .order_by(UserSession.id.desc())
    ).first()


def test_the_page_lists_each_browser_the_current_one_first(auth, person, laptop, runtime):
    auth.client.environ_base["HTTP_USER_AGENT"] = SAFARI_IPHONE
    auth.sign_in(person)
    phone = _session_of(auth.client)
    laptop_session = db.session.scalars(
        select(UserSession).where(UserSession.user_agent == CHROME_LINUX)
    ).one()
    _iqea_grant(runtime, person, laptop_session.id)
    db.session.commit()
    page = auth.client.get("/compte/sessions?lang=en").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert text.index("Mobile Safari 17 on iOS 17 (iPhone)") < text.index("Chrome 156 on Linux")
    assert "This browser: the session you are using now." in text
    # The site reached from the laptop (by its id: no relying party is registered here).
    assert "Sites reached iqea" in text
    assert page.count("Sign out this session") == 1
    assert f"/compte/sessions/{laptop_session.id}/deconnexion" in page
    assert f"/compte/sessions/{phone.id}/deconnexion" not in page
    french = auth.client.get("/compte/sessions?lang=fr").get_data(as_text=True)
    assert "Mes sessions" in french
    assert "Chrome 156 sous Linux" in french


def test_signing_out_another_browser_ends_it_and_its_grants(auth, person, laptop, runtime):
    auth.sign_in(person)
    laptop_session = db.session.scalars(
        select(UserSession).where(UserSession.user_agent == CHROME_LINUX)
    ).one()
    grant = _iqea_grant(runtime, person, laptop_session.id)
    db.session.commit()
    grant_id, session_id = grant.id, laptop_session.id
    page = auth.client.get("/compte/sessions").get_data(as_text=True)
    answer = auth.client.post(
        f"/compte/sessions/{session_id}/deconnexion", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 302
    db.session.expire_all()
    ended = db.session.get(UserSession, session_id)
    assert ended.end_reason == "signed_out_elsewhere"
    assert db.session.get(type(grant), grant_id).revoke_reason == "session_ended"
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "accounts:session:end")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_account_id == person.account.id
    # The laptop is signed out; this browser is not.
    assert laptop.client.get("/").status_code == 302
    assert auth.client.get("/").status_code == 200


def test_all_other_sessions_at_once(auth, person, laptop):
    auth.sign_in(person)
    page = auth.client.get("/compte/sessions").get_data(as_text=True)
    answer = auth.client.post(
        "/compte/sessions/deconnexion-des-autres", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 302
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "accounts:session:end")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert (event.actor_account_id, event.details["sessions"]) == (person.account.id, 1)
    assert laptop.client.get("/").status_code == 302
    assert auth.client.get("/compte/sessions").status_code == 200
    after = auth.client.get("/compte/sessions?lang=en").get_data(as_text=True)
    assert "Sign out all my other sessions" not in after


def test_nobody_signs_out_another_persons_session_or_their_own_this_way(auth, person, factory, app):
    stranger = factory.person(name="Jean Autre")
    other = Auth(app.test_client(), auth.smtp)
    other.sign_in(stranger)
    theirs = _session_of(other.client).id
    auth.sign_in(person)
    mine = _session_of(auth.client).id
    token = csrf_token(auth.client.get("/compte/sessions").get_data(as_text=True))
    for target in (theirs, mine, 9_999_999):
        answer = auth.client.post(
            f"/compte/sessions/{target}/deconnexion", data={"csrf_token": token}
        )
        assert answer.status_code == 404, target
    assert other.client.get("/").status_code == 200
    # Without the CSRF token: refused before anything.
    refused = auth.client.post("/compte/sessions/deconnexion-des-autres", data={})
    assert refused.status_code == 400
