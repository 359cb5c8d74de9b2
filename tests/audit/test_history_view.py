"""The enterprise's activity history: its own events only, newest first, 50 a page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from idp.accounts.models import AccountRole
from idp.audit.models import AuditEvent
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.audit.views import ACTION_LABELS, OUTCOME_LABELS, action_label
from idp.extensions import db
from idp.ministries.services import decide_registration
from tests.ministries.test_views import operator_person, submit

HISTORY = "/entreprise/historique"


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


def rows(html: str) -> list[str]:
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return re.findall(r"<tr>.*?</tr>", tbody.group(1), re.S) if tbody else []


def event_count() -> int:
    return int(db.session.scalar(select(func.count(AuditEvent.id))) or 0)


@pytest.fixture
def esm(factory):
    return factory.person(name="Marie Tremblay")


def test_every_action_and_outcome_has_a_sentence():
    assert set(ACTION_LABELS) == set(AuditAction)
    assert set(OUTCOME_LABELS) == set(Outcome)
    assert action_label("someone:something:new") == "someone:something:new"


def test_the_esm_sees_the_enterprise_events_newest_first(auth, esm, factory, runtime, clock):
    enterprise = esm.account.enterprise
    user = factory.person(enterprise=enterprise, name="Jean Roy", role=AccountRole.USER)
    clock.advance(minutes=5)
    record(
        db.session,
        runtime.clock,
        AuditAction.ACCOUNT_SUSPEND,
        actor_id=esm.account.id,
        subject_id=user.account.id,
        enterprise_id=enterprise.id,
    )
    clock.advance(minutes=5)
    record(
        db.session,
        runtime.clock,
        AuditAction.PROXY_EXPIRE,
        enterprise_id=enterprise.id,
        reason="inactivity",
    )
    db.session.commit()
    auth.sign_in(esm)
    html = body(auth.client.get(HISTORY + "?lang=en"))
    found = rows(html)
    # The sign-in of the ESM came last, the account creations first.
    assert "Verification code entered" in found[0] or "Signed in" in found[0]
    expired = next(row for row in found if "Proxy expired" in row)
    suspended = next(row for row in found if "Account suspended" in row)
    assert found.index(expired) < found.index(suspended)
    assert "System" in expired
    assert "Reason: inactivity" in expired
    assert "Marie Tremblay" in suspended
    assert "Jean Roy" in suspended
    assert "Succeeded" in suspended
    # Entering the code is recorded without an actor: the person concerned did it, not "System".
    verified = next(row for row in found if "Verification code entered" in row)
    assert "System" not in verified
    assert "Marie Tremblay" in verified
    assert re.search(r"2026-11-22, 9:05\s?a\.m\.", suspended)  # 14:05 UTC is 9:05 in Québec
    assert 'datetime="2026-11-22T14:05:00+00:00"' in suspended
    french = body(auth.client.get(HISTORY))
    assert "2026-11-22 09 h 05" in french
    assert "client_ip" not in html
    assert "127.0.0.1" not in html


def test_a_registration_names_the_ministry_and_the_operator(auth, esm, runtime):
    registration = submit(runtime, esm.account, "amf")
    decide_registration(
        db.session,
        runtime,
        operator_person(runtime, "amf", name="Éric Lavoie").account,
        registration,
        activate=False,
        reason="Numéro inconnu",
    )
    db.session.commit()
    auth.sign_in(esm)
    found = rows(body(auth.client.get(HISTORY + "?lang=en")))
    decided = next(row for row in found if "Registration decided" in row)
    assert "Éric Lavoie" in decided
    assert "(AMF)" in decided
    assert ">AMF</abbr>" in decided
    assert "Refused" in decided
    requested = next(row for row in found if "Registration requested" in row)
    assert "Marie Tremblay" in requested


def test_another_enterprise_events_never_show(auth, esm, factory, runtime):
    other = factory.person(name="Paul Poulin")  # in an enterprise of its own
    record(
        db.session,
        runtime.clock,
        AuditAction.PROXY_CREATE,
        actor_id=other.account.id,
        enterprise_id=other.account.enterprise_id,
    )
    db.session.commit()
    auth.sign_in(esm)
    before = event_count()
    for path in (HISTORY, f"{HISTORY}?enterprise_id={other.account.enterprise_id}"):
        html = body(auth.client.get(path + ("&" if "?" in path else "?") + "lang=en"))
        assert "Paul Poulin" not in html
        assert "Proxy created" not in html
    assert event_count() == before  # reading the history records nothing


def test_the_history_is_paged_by_fifty(auth, esm, runtime, clock):
    enterprise_id = esm.account.enterprise_id
    auth.sign_in(esm)
    already = int(
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.enterprise_id == enterprise_id)
        )
        or 0
    )
    for _ in range(100 - already):
        clock.advance(seconds=1)
        record(db.session, runtime.clock, AuditAction.PROXY_EXTEND, enterprise_id=enterprise_id)
    clock.advance(seconds=1)
    record(db.session, runtime.clock, AuditAction.PROXY_CANCEL, enterprise_id=enterprise_id)
    db.session.commit()

    first = body(auth.client.get(HISTORY + "?lang=en"))
    assert len(rows(first)) == 50
    assert "Proxy cancelled" in rows(first)[0]
    assert f'href="{HISTORY}?page=2"' in first
    assert "Previous page" not in first
    assert "Page 1 of 3" in first
    second = body(auth.client.get(HISTORY + "?page=2&lang=en"))
    assert len(rows(second)) == 50
    assert f'href="{HISTORY}?page=1"' in second
    assert f'href="{HISTORY}?page=3"' in second
    last = body(auth.client.get(HISTORY + "?page=3&lang=en"))
    assert len(rows(last)) == 1
    assert "Next page" not in last
    assert auth.client.get(HISTORY + "?page=4").status_code == 404
    assert auth.client.get(HISTORY + "?page=0").status_code == 404


@pytest.mark.parametrize("page", [str(2**31), str(2**63), str(2**64), "9" * 30, "-1"])
def test_a_page_past_any_history_is_not_found(auth, esm, page):
    """Its offset would not fit the database's integers: no page, rather than an error."""
    auth.sign_in(esm)
    assert auth.client.get(f"{HISTORY}?page={page}").status_code == 404


@pytest.mark.parametrize("role", [AccountRole.USER, AccountRole.AUTHORIZED_REPRESENTATIVE])
def test_only_an_esm_opens_the_history(auth, factory, role):
    auth.sign_in(factory.person(role=role, name="Jean Roy"))
    assert auth.client.get(HISTORY).status_code == 403


def test_an_operator_cannot_open_the_history(auth, runtime):
    auth.sign_in(operator_person(runtime, "melccfp"))
    assert auth.client.get(HISTORY).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(HISTORY)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]
