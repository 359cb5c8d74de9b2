"""The proxy pages: consulting, cancelling, withdrawing, and who may open what."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from idp.accounts.models import AccountRole
from idp.extensions import db
from idp.proxies.models import Proxy, ProxyAssignment, ProxyKind, ProxyStatus
from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy
from tests.conftest import TEST_PASSWORD, Person

TODAY = date(2026, 11, 22)  # the test clock's day


def make_proxy(runtime, world, **overrides) -> Proxy:
    args = {
        "enterprise_id": world.emitter.id,
        "kind": ProxyKind.INTERNAL,
        "ends_on": date(2027, 6, 30),
        "description": "Déclaration IQEA",
        "grants": [MinistryGrant("melccfp", False, frozenset({"melccfp.iqea.operator"}))],
        "verified_at": runtime.clock(),
    }
    args.update(overrides)
    proxy = create_proxy(db.session, runtime, world.esm, **args)
    db.session.commit()
    return proxy


def give(runtime, actor, proxy, *accounts) -> list[ProxyAssignment]:
    created = assign_proxy(db.session, runtime, actor, proxy, [a.id for a in accounts])
    db.session.commit()
    return created


def sign_in(auth, account) -> None:
    assert auth.sign_in(Person(account, TEST_PASSWORD)).status_code == 302


def held_by(proxy_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ProxyAssignment.account_id).where(ProxyAssignment.proxy_id == proxy_id)
        )
    )


def offered_ids(html: str) -> set[int]:
    return {int(v) for v in re.findall(r'name="account_ids" value="(\d+)"', html)}


def test_index_lists_given_proxies_with_their_state(auth, world, runtime, clock):
    in_force = make_proxy(runtime, world, description="Bilan en vigueur")
    give(runtime, world.esm, in_force, world.user, world.other_user)
    make_proxy(runtime, world, description="Bilan expiré", ends_on=TODAY)
    external = make_proxy(
        runtime,
        world,
        description="Vérification externe",
        kind=ProxyKind.EXTERNAL,
        agent_identifier=world.firm.neq,
    )
    clock.advance(days=1)
    sign_in(auth, world.esm)
    html = auth.client.get("/entreprise/procurations?lang=en").get_data(as_text=True)
    given = html.split("Proxies given by the enterprise", 1)[1].split("Proxies received", 1)[0]
    rows = {
        desc: row
        for row in re.findall(r"<tr>(.*?)</tr>", given, re.S)
        for desc in ("Bilan en vigueur", "Bilan expiré", "Vérification externe")
        if desc in row
    }
    assert "In force" in rows["Bilan en vigueur"]
    assert re.search(r'proxies-number">2<', rows["Bilan en vigueur"])
    assert "Expired" in rows["Bilan expiré"]
    assert world.firm.legal_name in rows["Vérification externe"]
    assert "External" in rows["Vérification externe"]
    assert f"/entreprise/procurations/{external.id}" in rows["Vérification externe"]
    assert "No other enterprise has given a proxy to yours." in html


def test_detail_shows_the_agents_holders_to_the_mandator(auth, world, runtime):
    proxy = make_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    give(runtime, world.firm_esm, proxy, world.consultant)
    sign_in(auth, world.esm)
    html = auth.client.get(f"/entreprise/procurations/{proxy.id}?lang=en").get_data(as_text=True)
    assert "Karim Haddad" in html
    assert world.firm.legal_name in html
    assert f"/entreprise/procurations/{proxy.id}/annulation" in html
    assert f"/entreprise/procurations/{proxy.id}/date-de-fin" in html
    assert f"/entreprise/procurations/{proxy.id}/attribution" not in html  # the agent assigns


def test_cancel_withdraws_the_holders(auth, world, runtime):
    proxy = make_proxy(runtime, world)
    give(runtime, world.esm, proxy, world.user)
    sign_in(auth, world.esm)
    path = f"/entreprise/procurations/{proxy.id}/annulation"
    confirmation = auth.client.get(path + "?lang=en").get_data(as_text=True)
    assert "The holders lose these rights at once." in confirmation
    assert held_by(proxy.id) == [world.user.id]  # nothing happens on GET
    assert (
        auth.form_post(path, {})
        .headers["Location"]
        .endswith(f"/entreprise/procurations/{proxy.id}")
    )
    assert db.session.get(Proxy, proxy.id).status == ProxyStatus.CANCELLED
    assert held_by(proxy.id) == []
    again = auth.form_post(path + "?lang=en", {}).get_data(as_text=True)
    assert "This proxy is already cancelled." in again


def test_expired_proxy_cannot_be_assigned(auth, world, runtime, clock):
    proxy = make_proxy(runtime, world, ends_on=TODAY + timedelta(days=1))
    clock.advance(days=2)
    sign_in(auth, world.esm)
    path = f"/entreprise/procurations/{proxy.id}/attribution"
    html = auth.client.get(path + "?lang=en").get_data(as_text=True)
    assert "An expired or cancelled proxy cannot be assigned." in html
    assert offered_ids(html) == set()
    response = auth.form_post(path + "?lang=en", {"account_ids": [world.user.id]})
    assert response.status_code == 200
    assert "An expired or cancelled proxy cannot be assigned." in response.get_data(as_text=True)
    assert auth.client.get(path + "/verification").status_code == 302  # nothing chosen
    assert held_by(proxy.id) == []


def test_users_holding_a_proxy_from_the_mandator_are_not_offered(auth, world, runtime, clock):
    first = make_proxy(runtime, world, ends_on=TODAY + timedelta(days=3))
    give(runtime, world.esm, first, world.user)
    second = make_proxy(runtime, world, description="Autre")
    sign_in(auth, world.esm)
    path = f"/entreprise/procurations/{second.id}/attribution"
    assert offered_ids(auth.client.get(path).get_data(as_text=True)) == {world.other_user.id}
    # Posting the held user anyway is refused by the form: not one of the choices.
    response = auth.form_post(path, {"account_ids": [world.user.id]})
    assert response.status_code == 200
    assert held_by(second.id) == []
    auth.sign_out()
    clock.advance(days=4)  # the first proxy expired: its holder may receive another
    sign_in(auth, world.esm)
    assert offered_ids(auth.client.get(path).get_data(as_text=True)) == {
        world.user.id,
        world.other_user.id,
    }


def test_withdraw_an_assignment(auth, world, runtime):
    proxy = make_proxy(runtime, world)
    [assignment] = give(runtime, world.esm, proxy, world.user)
    sign_in(auth, world.esm)
    detail = f"/entreprise/procurations/{proxy.id}"
    response = auth.form_post(
        f"/entreprise/procurations/attributions/{assignment.id}/annulation", {}, page=detail
    )
    assert response.headers["Location"].endswith(detail)
    assert held_by(proxy.id) == []


def test_an_esm_of_another_enterprise_gets_404_and_changes_nothing(auth, world, runtime, factory):
    proxy = make_proxy(runtime, world)
    [assignment] = give(runtime, world.esm, proxy, world.user)
    stranger = factory.person(enterprise=factory.enterprise("Tierce inc."), name="Luc Tiers")
    sign_in(auth, stranger.account)
    base = f"/entreprise/procurations/{proxy.id}"
    for path in (
        base,
        base + "/date-de-fin",
        base + "/annulation",
        base + "/attribution",
        base + "/attribution/verification",
        base + "/attribution/accuse-de-reception",
        "/entreprise/procurations/999999",
    ):
        assert auth.client.get(path).status_code == 404, path
    home = "/entreprise/procurations"
    posts = {
        base + "/date-de-fin": {"ends_on": "2028-01-01"},
        base + "/annulation": {},
        base + "/attribution": {"account_ids": [world.user.id]},
        base + "/attribution/verification": {},
        f"/entreprise/procurations/attributions/{assignment.id}/annulation": {},
    }
    for path, data in posts.items():
        assert auth.form_post(path, data, page=home).status_code == 404, path
    unchanged = db.session.get(Proxy, proxy.id)
    assert (unchanged.status, unchanged.ends_on) == (ProxyStatus.ACTIVE, date(2027, 6, 30))
    assert held_by(proxy.id) == [world.user.id]
    listing = auth.client.get(home).get_data(as_text=True)
    assert "Déclaration IQEA" not in listing


def test_the_agent_esm_cannot_cancel_or_extend(auth, world, runtime):
    proxy = make_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    [assignment] = give(runtime, world.firm_esm, proxy, world.consultant)
    sign_in(auth, world.firm_esm)
    base = f"/entreprise/procurations/{proxy.id}"
    detail = auth.client.get(base).get_data(as_text=True)
    assert base + "/annulation" not in detail
    assert base + "/date-de-fin" not in detail
    assert base + "/attribution" in detail  # the agent assigns it
    for path, data in (
        (base + "/date-de-fin", {"ends_on": "2027-01-01"}),
        (base + "/annulation", {}),
    ):
        assert auth.client.get(path).status_code == 404
        assert auth.form_post(path, data, page=base).status_code == 404
    unchanged = db.session.get(Proxy, proxy.id)
    assert (unchanged.status, unchanged.ends_on) == (ProxyStatus.ACTIVE, date(2027, 6, 30))
    assert held_by(proxy.id) == [world.consultant.id]
    # Withdrawing its own staff's assignment is allowed.
    auth.form_post(
        f"/entreprise/procurations/attributions/{assignment.id}/annulation", {}, page=base
    )
    assert held_by(proxy.id) == []


@pytest.mark.parametrize("role", [AccountRole.USER, AccountRole.AUTHORIZED_REPRESENTATIVE])
def test_only_esms_open_the_proxy_pages(auth, world, runtime, factory, role):
    proxy = make_proxy(runtime, world)
    [assignment] = give(runtime, world.esm, proxy, world.user)
    person = (
        Person(world.user, TEST_PASSWORD)
        if role == AccountRole.USER
        else factory.person(enterprise=world.emitter, name="Louise Gagnon", role=role)
    )
    sign_in(auth, person.account)
    base = f"/entreprise/procurations/{proxy.id}"
    for path in (
        "/entreprise/procurations",
        "/entreprise/procurations/nouvelle",
        "/entreprise/procurations/nouvelle/verification",
        base,
        base + "/date-de-fin",
        base + "/annulation",
        base + "/attribution",
        base + "/attribution/verification",
        base + "/attribution/accuse-de-reception",
    ):
        assert auth.client.get(path).status_code == 403, path
    unassign = f"/entreprise/procurations/attributions/{assignment.id}/annulation"
    assert auth.form_post(unassign, {}, page="/").status_code == 403
    assert auth.form_post(base + "/annulation", {}, page="/").status_code == 403
    assert held_by(proxy.id) == [world.user.id]
    assert db.session.get(Proxy, proxy.id).status == ProxyStatus.ACTIVE


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/entreprise/procurations")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]
