"""Changing what a proxy gives, through the pages: the form filled with the proxy as it stands,
the review of before and after, the step-up when the change is sensitive, « Correct »."""

from __future__ import annotations

from urllib.parse import urlsplit

from idp.extensions import db
from idp.proxies.models import Proxy, ProxyKind
from idp.proxies.services import MinistryGrant
from tests.proxies.test_views import location, sign_in, step_up
from tests.proxies.test_views_manage import give, make_proxy

OPERATOR, VERIFIER = "melccfp.iqea.operator", "melccfp.iqea.verifier"


def _paths(proxy: Proxy) -> tuple[str, str]:
    base = f"/entreprise/procurations/{proxy.id}/modification"
    return base, base + "/verification"


def _form(**overrides):
    data = {
        "description": "Déclaration IQEA",
        "grant_melccfp": "restricted",
        "rights_melccfp": [OPERATOR],
        "grant_amf": "none",
    }
    data.update(overrides)
    return data


def _rights(proxy_id: int) -> dict[str, object]:
    db.session.expire_all()
    proxy = db.session.get(Proxy, proxy_id)
    return {
        m.ministry_key: "*" if m.unrestricted else sorted(m.right_ids) for m in proxy.ministries
    }


def test_the_form_shows_the_proxy_as_it_stands(auth, world, runtime):
    proxy = make_proxy(runtime, world)
    sign_in(auth, world.esm)
    detail = auth.client.get(f"/entreprise/procurations/{proxy.id}?lang=en").get_data(as_text=True)
    form_path, _review = _paths(proxy)
    assert form_path in detail
    html = auth.client.get(form_path + "?lang=en").get_data(as_text=True)
    assert "Change the rights of the proxy" in html
    assert f'value="{OPERATOR}" checked' in html
    assert f'value="{VERIFIER}" checked' not in html
    assert "Déclaration IQEA</textarea>" in html


def test_taking_a_right_away_reviews_then_ends_it_for_the_holder(auth, world, runtime):
    proxy = make_proxy(
        runtime,
        world,
        grants=[MinistryGrant("melccfp", False, frozenset({OPERATOR, VERIFIER}))],
    )
    give(runtime, world.esm, proxy, world.user)
    sign_in(auth, world.esm)
    form_path, review_path = _paths(proxy)
    assert location(auth.form_post(form_path, _form(description="Opérateur seulement"))).endswith(
        review_path
    )
    assert _rights(proxy.id) == {"melccfp": sorted({OPERATOR, VERIFIER})}  # not yet

    review = auth.client.get(review_path + "?lang=en").get_data(as_text=True)
    assert "Check the change" in review
    assert "Opérateur seulement" in review
    assert "they end at once for the 1 holder" in review
    assert "This change is sensitive" not in review
    french = auth.client.get(review_path + "?lang=fr").get_data(as_text=True)
    assert "Vérifier la modification" in french

    done = location(auth.form_post(review_path, {}))
    assert done.endswith(f"/entreprise/procurations/{proxy.id}")
    assert _rights(proxy.id) == {"melccfp": [OPERATOR]}
    assert db.session.get(Proxy, proxy.id).description == "Opérateur seulement"
    detail = auth.client.get(done).get_data(as_text=True)
    assert "La procuration a été modifiée." in detail


def test_a_wider_external_proxy_asks_for_the_code_and_keeps_the_change(
    auth, world, runtime, smtp, clock
):
    proxy = make_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    sign_in(auth, world.esm)
    clock.advance(minutes=11)
    form_path, review_path = _paths(proxy)
    auth.form_post(form_path, _form(grant_melccfp="unrestricted", rights_melccfp=[]))
    review = auth.client.get(review_path + "?lang=en").get_data(as_text=True)
    assert "This change is sensitive" in review
    target = location(auth.form_post(review_path, {}))
    assert urlsplit(target).path == "/verification"
    assert _rights(proxy.id) == {"melccfp": [OPERATOR]}

    step_up(auth, smtp, world.esm.email, target)
    assert location(auth.form_post(review_path, {})).endswith(f"/{proxy.id}")
    assert _rights(proxy.id) == {"melccfp": "*"}


def test_correct_brings_back_the_change_and_nothing_changed_is_said(auth, world, runtime):
    proxy = make_proxy(runtime, world)
    sign_in(auth, world.esm)
    form_path, review_path = _paths(proxy)
    auth.form_post(form_path, _form(rights_melccfp=[VERIFIER]))
    again = auth.client.get(form_path + "?corriger=1").get_data(as_text=True)
    assert f'value="{VERIFIER}" checked' in again
    assert f'value="{OPERATOR}" checked' not in again

    auth.form_post(form_path, _form())
    refused = auth.form_post(review_path + "?lang=fr", {}).get_data(as_text=True)
    assert "Rien n&#39;a été modifié." in refused
    assert "Modifier les droits de la procuration" in refused  # back on the form
    assert _rights(proxy.id) == {"melccfp": [OPERATOR]}


def test_bad_answers_come_back_on_the_form(auth, world, runtime):
    proxy = make_proxy(runtime, world)
    sign_in(auth, world.esm)
    form_path, _review = _paths(proxy)
    html = auth.form_post(
        form_path + "?lang=en", _form(description="", rights_melccfp=[])
    ).get_data(as_text=True)
    assert "Describe the proxy, for example who it is for." in html
    assert "Choose rights of this ministry, or « Without restriction »." in html


def test_only_the_mandators_esm_opens_the_change_pages(auth, world, runtime, factory):
    proxy = make_proxy(runtime, world, kind=ProxyKind.EXTERNAL, agent_identifier=world.firm.neq)
    form_path, review_path = _paths(proxy)
    sign_in(auth, world.firm_esm)
    detail = auth.client.get(f"/entreprise/procurations/{proxy.id}").get_data(as_text=True)
    assert form_path not in detail
    assert auth.client.get(form_path).status_code == 404
    page = f"/entreprise/procurations/{proxy.id}"
    assert auth.form_post(form_path, _form(grant_amf="unrestricted"), page=page).status_code == 404
    assert auth.form_post(review_path, {}, page=page).status_code == 404
    assert _rights(proxy.id) == {"melccfp": [OPERATOR]}


def test_a_cancelled_proxy_cannot_be_changed(auth, world, runtime):
    proxy = make_proxy(runtime, world)
    sign_in(auth, world.esm)
    auth.form_post(f"/entreprise/procurations/{proxy.id}/annulation", {})
    form_path, _review = _paths(proxy)
    html = auth.client.get(form_path + "?lang=en").get_data(as_text=True)
    assert "An expired or cancelled proxy cannot be changed." in html
    assert 'name="grant_melccfp"' not in html
