"""The administration journey of the demo, through the pages, as the issue describes it.

Register an enterprise at MELCCFP, have it activated by the ministry operator, create a user,
create an internal proxy with the IQEA operator right and assign it, create an external proxy
for the consulting firm and assign it there. Every step goes through the forms a person uses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from idp.accounts.models import Account
from idp.demo.seed import DEMO_PASSWORD, seed_demo
from idp.extensions import db
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.proxies.models import Proxy, ProxyKind
from idp.proxies.rights import enterprises_for, rights_at
from tests.conftest import Auth, Person

IQEA_OPERATOR = "melccfp.iqea.operator"
IQEA_VERIFIER = "melccfp.iqea.verifier"


@pytest.fixture
def demo(app, runtime):
    seed_demo(db.session, runtime)
    db.session.commit()


def person(user_code: str, password: str = DEMO_PASSWORD) -> Person:
    account = db.session.scalars(select(Account).where(Account.user_code == user_code)).one()
    return Person(account, password)


def redirected(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def sign_in_as(app, smtp, user_code: str, password: str = DEMO_PASSWORD) -> Auth:
    auth = Auth(app.test_client(), smtp)
    assert redirected(auth.sign_in(person(user_code, password))) in {"/", "/mot-de-passe"}
    return auth


def test_the_demo_administration_journey(app, demo, smtp, runtime, clock):
    clock.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    boreale_esm = sign_in_as(app, smtp, "ESMB-4567")
    boreale = person("ESMB-4567").account.enterprise

    # 1. The ESM registers the enterprise at MELCCFP: « En traitement ».
    services = boreale_esm.client.get("/entreprise/services?lang=en").get_data(as_text=True)
    assert "Not registered" in services
    assert 'href="/entreprise/services/melccfp/inscription"' in services
    redirected(
        boreale_esm.form_post(
            "/entreprise/services/melccfp/inscription", {"answer_establishment_count": "1"}
        )
    )
    registration = db.session.scalars(
        select(MinistryRegistration).where(MinistryRegistration.enterprise_id == boreale.id)
    ).one()
    assert registration.status == RegistrationStatus.PENDING

    # 2. The ministry operator activates it.
    operator = sign_in_as(app, smtp, "MENV-2345")
    queue = operator.client.get("/ministere/inscriptions").get_data(as_text=True)
    assert "Papetière Boréale inc." in queue
    redirected(
        operator.form_post(
            f"/ministere/inscriptions/{registration.id}/decision",
            {"decision": "activate", "reason": ""},
            page="/ministere/inscriptions",
        )
    )
    db.session.refresh(registration)
    assert registration.status == RegistrationStatus.ACTIVE
    inbox = boreale_esm.client.get("/messages?lang=en").get_data(as_text=True)
    assert "Registration activated" in inbox

    # 3. The ESM creates a user file: form, review, « Transmettre », acknowledgement.
    redirected(
        boreale_esm.form_post(
            "/entreprise/utilisateurs/nouveau",
            {
                "first_name": "Léa",
                "last_name": "Fortin",
                "email": "lea.fortin@boreale.example",
                "telephone": "819 555-0142",
                "extension": "",
                "role": "user",
            },
        )
    )
    acknowledgement = boreale_esm.form_post("/entreprise/utilisateurs/nouveau/verification", {})
    html = acknowledgement.get_data(as_text=True)
    user_code, temporary = re.findall(r'class="mono uf-secret">([^<]+)<', html)
    lea = person(user_code).account

    # 4. An internal proxy with the IQEA operator right, then its assignment to the new user.
    redirected(
        boreale_esm.form_post(
            "/entreprise/procurations/nouvelle",
            {
                "kind": "internal",
                "agent_identifier": "",
                "ends_on": "2027-11-22",
                "description": "Déclaration annuelle IQEA",
                "grant_melccfp": "restricted",
                "rights_melccfp": [IQEA_OPERATOR],
            },
        )
    )
    redirected(boreale_esm.form_post("/entreprise/procurations/nouvelle/verification", {}))
    internal = db.session.scalars(
        select(Proxy).where(Proxy.kind == ProxyKind.INTERNAL, Proxy.enterprise_id == boreale.id)
    ).one()
    base = f"/entreprise/procurations/{internal.id}/attribution"
    redirected(boreale_esm.form_post(base, {"account_ids": [lea.id]}))
    redirected(boreale_esm.form_post(base + "/verification", {}))
    today = clock.now.date()
    held = rights_at(db.session, runtime.catalogue, lea, boreale.id, "melccfp", today)
    assert held is not None
    assert held.rights == {IQEA_OPERATOR}

    # 5. An external proxy for the consulting firm (sensitive: the emailed code again).
    clock.advance(minutes=11)
    redirected(
        boreale_esm.form_post(
            "/entreprise/procurations/nouvelle",
            {
                "kind": "external",
                "agent_identifier": "1170000002",
                "ends_on": "2027-11-22",
                "description": "Vérification IQEA par Conseils Verts",
                "grant_melccfp": "restricted",
                "rights_melccfp": [IQEA_VERIFIER],
            },
        )
    )
    step_up = redirected(
        boreale_esm.form_post("/entreprise/procurations/nouvelle/verification", {})
    )
    assert step_up.startswith("/verification")
    boreale_esm.client.get(step_up)
    redirected(
        boreale_esm.form_post(step_up, {"code": smtp.last_code("julie.bergeron@boreale.example")})
    )
    redirected(boreale_esm.form_post("/entreprise/procurations/nouvelle/verification", {}))
    external = db.session.scalars(
        select(Proxy).where(Proxy.kind == ProxyKind.EXTERNAL, Proxy.enterprise_id == boreale.id)
    ).one()

    # 6. The consulting firm's ESM sees it received, and assigns it to its consultant.
    firm_esm = sign_in_as(app, smtp, "ESMC-3456")
    received = firm_esm.client.get("/entreprise/procurations").get_data(as_text=True)
    assert "Papetière Boréale inc." in received
    inbox = firm_esm.client.get("/messages?lang=en").get_data(as_text=True)
    assert "Proxy received from Papetière Boréale inc." in inbox
    consultant = person("CNST-3457").account
    base = f"/entreprise/procurations/{external.id}/attribution"
    redirected(firm_esm.form_post(base, {"account_ids": [consultant.id]}))
    redirected(firm_esm.form_post(base + "/verification", {}))
    acting = enterprises_for(db.session, runtime.catalogue, consultant, "melccfp", today)
    # Beside the seeded clients of the firm (Aciérie, Cimenterie), Boréale now.
    by_enterprise = {a.enterprise_id: a for a in acting}
    assert len(by_enterprise) == 3
    assert by_enterprise[boreale.id].rights == frozenset({IQEA_VERIFIER})
    assert by_enterprise[boreale.id].agent_enterprise_id == consultant.enterprise_id

    # The mandator's ESM sees who in the firm holds it.
    detail = boreale_esm.client.get(f"/entreprise/procurations/{external.id}")
    assert "Karim Haddad" in detail.get_data(as_text=True)

    # 7. The new user signs in with the temporary password and must choose a password.
    newcomer = Auth(app.test_client(), smtp)
    newcomer.password_step(user_code, temporary)
    assert redirected(newcomer.code_step(smtp.last_code("lea.fortin@boreale.example"))) == (
        "/mot-de-passe"
    )
    history = boreale_esm.client.get("/entreprise/historique?lang=en").get_data(as_text=True)
    assert "Proxy assigned" in history
