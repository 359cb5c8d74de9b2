"""The AMF demo site against the provider, both in-process, exchanging messages as a browser does.

The provider's relying-parties directory registers the site from the metadata that
``demo_rp.amf.sp.write_metadata`` writes (keys made in the site's instance folder), as the demo
runner does. The provider's clock follows the real time (``WallClock``): pysaml2, on the site's
side, stamps and checks messages with the wall clock. The site reads the provider's metadata
through its ``idp_metadata_fetcher`` hook, here the provider's test client.

:class:`Journey` is the person's browser: what one site answers with a redirect or a posted
form, it takes to the other (the ``Location``'s path and query, the ``SAMLResponse`` field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo_rp.amf import create_app
from demo_rp.amf.sp import write_metadata
from tests.conftest import TEST_PASSWORD, Person, csrf_token
from tests.proxies.conftest import world  # noqa: F401 (a fixture)
from tests.saml.conftest import app_config, clock, idp_metadata  # noqa: F401 (fixtures)

AMF_BASE = "http://localhost:5002"
AMF_ENTITY_ID = f"{AMF_BASE}/saml/metadata"
IDP_ISSUER = "http://localhost"
IDP_METADATA_URL = f"{IDP_ISSUER}/saml/metadata"

REGISTRATION = f"""\
kind = "saml"
entity_id = "{AMF_ENTITY_ID}"
ministry = "amf"
name_fr = "Autorité des marchés financiers"
name_en = "Autorité des marchés financiers"
metadata_file = "amf-metadata.xml"
required_rights = []
authn_requests_signed = true
encrypt_assertions = true
"""

AMF_RIGHTS = {
    "amf.registration.maintain",
    "amf.payments",
    "amf.requests.follow_up",
    "amf.representatives.manage",
    "amf.disclosures.31_103",
    "amf.registration.other_jurisdiction",
    "amf.exemptions.request",
    "amf.registration.cancel",
}


# -- the provider, with the site registered -------------------------------------------------------


@pytest.fixture
def amf_instance(tmp_path: Path) -> Path:
    return tmp_path / "amf-instance"


@pytest.fixture
def relying_parties(tmp_path: Path, amf_instance: Path) -> Path:
    directory = tmp_path / "relying_parties"
    directory.mkdir()
    write_metadata(directory / "amf-metadata.xml", base_url=AMF_BASE, instance_dir=amf_instance)
    (directory / "amf.toml").write_text(REGISTRATION, "utf-8")
    return directory


# -- the site --------------------------------------------------------------------------------------


@pytest.fixture
def amf_app(amf_instance: Path, idp_metadata: str) -> Flask:  # noqa: F811 (the imported fixture)
    def fetch(url: str) -> str:
        assert url == IDP_METADATA_URL
        return idp_metadata

    app = create_app(
        {
            "base_url": AMF_BASE,
            "instance_dir": amf_instance,
            "idp_metadata_url": IDP_METADATA_URL,
            "idp_metadata_fetcher": fetch,
        }
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def amf(amf_app: Flask) -> FlaskClient:
    return amf_app.test_client()


# -- people ---------------------------------------------------------------------------------------


def _next_year(runtime: Any) -> date:
    today: date = runtime.clock().date()
    return today.replace(year=today.year + 1, day=min(today.day, 28))


@pytest.fixture
def esm_person(world: Any) -> Person:  # noqa: F811 (the imported fixture)
    """Marie Tremblay, electronic services manager of the emitter: every AMF right."""
    return Person(world.esm, TEST_PASSWORD)


@pytest.fixture
def payments_person(factory: Any, world: Any) -> Person:  # noqa: F811
    """Jean Roy of the emitter, holding an internal proxy with the AMF payments right only."""
    from idp.extensions import db
    from idp.proxies.models import ProxyKind
    from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy

    runtime = factory.runtime
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=ProxyKind.INTERNAL,
        ends_on=_next_year(runtime),
        description="Paiements à l'Autorité",
        grants=[MinistryGrant("amf", False, frozenset({"amf.payments"}))],
    )
    assign_proxy(db.session, runtime, world.esm, proxy, [world.user.id])
    db.session.commit()
    return Person(world.user, TEST_PASSWORD)


@pytest.fixture
def consultant_person(factory: Any, world: Any) -> Person:  # noqa: F811
    """Karim Haddad of Conseils Verts Québec, acting for the emitter under an external proxy
    (follow-up of requests) that the emitter gave his firm."""
    from idp.extensions import db
    from idp.proxies.models import ProxyKind
    from idp.proxies.services import MinistryGrant, assign_proxy, create_proxy

    runtime = factory.runtime
    proxy = create_proxy(
        db.session,
        runtime,
        world.esm,
        enterprise_id=world.emitter.id,
        kind=ProxyKind.EXTERNAL,
        ends_on=_next_year(runtime),
        description="Suivi des demandes",
        grants=[MinistryGrant("amf", False, frozenset({"amf.requests.follow_up"}))],
        agent_identifier=world.firm.neq,
        verified_at=runtime.clock(),
    )
    assign_proxy(db.session, runtime, world.firm_esm, proxy, [world.consultant.id])
    db.session.commit()
    return Person(world.consultant, TEST_PASSWORD)


# -- the browser ----------------------------------------------------------------------------------


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def saml_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the provider's auto-submitted form to the site."""
    page = lxml.html.fromstring(html)
    for form in page.iterfind(".//form"):
        fields = {str(i.get("name")): str(i.get("value", "")) for i in form.iterfind(".//input")}
        if "SAMLResponse" in fields or "SAMLRequest" in fields:
            return str(form.get("action", "")), fields
    raise AssertionError(f"no SAML form in the page: {html[:500]}")


@dataclass
class Journey:
    amf: FlaskClient
    idp: FlaskClient
    auth: Any

    def to_provider(self, amf_response: Any) -> Any:
        """Follow the site's redirect to the provider."""
        assert amf_response.status_code == 302, amf_response.get_data(as_text=True)[:500]
        location = amf_response.headers["Location"]
        assert location.startswith(f"{IDP_ISSUER}/"), location
        return self.idp.get(path_of(location))

    def to_site(self, idp_response: Any) -> Any:
        """Follow the provider's redirect to the site."""
        assert idp_response.status_code == 302, idp_response.get_data(as_text=True)[:500]
        location = idp_response.headers["Location"]
        assert location.startswith(f"{AMF_BASE}/"), location
        return self.amf.get(path_of(location))

    def provider_form(self, person: Person) -> tuple[str, dict[str, str]]:
        """Start at « Se connecter avec clicSÉQUR »; the form the provider posts to the ACS."""
        response = self.to_provider(self.amf.get("/connexion"))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        resume = urlsplit(response.headers["Location"]).path
        assert resume.startswith("/saml/sso/"), resume
        response = self.idp.get(resume)
        if response.status_code == 302 and "/connexion" in response.headers["Location"]:
            self.auth.form_post(
                path_of(response.headers["Location"]),
                {"user_code": person.user_code, "password": person.password},
            )
            done = self.auth.code_step(self.auth.smtp.last_code(person.email))
            assert done.status_code == 302, done.get_data(as_text=True)[:500]
            response = self.idp.get(resume)
        for _ in range(3):
            text = response.get_data(as_text=True)
            if response.status_code == 403 and 'value="deny"' in text:
                # No right at the AMF: the provider's page returns to the site.
                response = self.idp.post(
                    resume, data={"decision": "deny", "csrf_token": csrf_token(text)}
                )
                continue
            if response.status_code != 200 or 'name="SAMLResponse"' in text:
                break
            if 'name="enterprise"' in text:
                [first] = lxml.html.fromstring(text).xpath("//button[@name='enterprise']/@value")
                response = self.idp.post(
                    resume, data={"enterprise": str(first), "csrf_token": csrf_token(text)}
                )
            elif 'value="allow"' in text:
                response = self.idp.post(
                    resume, data={"decision": "allow", "csrf_token": csrf_token(text)}
                )
            else:
                raise AssertionError(f"unexpected page: {text[:800]}")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return saml_form(response.get_data(as_text=True))

    def sign_in(self, person: Person) -> Any:
        """The whole sign-in; the site's answer to the posted Response."""
        action, fields = self.provider_form(person)
        assert action == f"{AMF_BASE}/saml/acs"
        return self.amf.post(path_of(action), data=fields)

    def page(self, path: str) -> Any:
        response = self.amf.get(path)
        assert response.status_code == 200, (response.status_code, response.headers)
        return response


@pytest.fixture
def journey(amf: FlaskClient, client: FlaskClient, auth: Any) -> Journey:
    return Journey(amf, client, auth)


def blocks_of(html: str) -> dict[str, str]:
    """The dashboard's functional blocks: right → "enabled" or "disabled"."""
    page = lxml.html.fromstring(html)
    return {
        str(e.get("data-right")): str(e.get("data-state")) for e in page.xpath("//*[@data-right]")
    }


def field(html: str, name: str) -> str:
    page = lxml.html.fromstring(html)
    [element] = page.xpath(f"//*[@data-field='{name}']")
    return " ".join(element.text_content().split())
