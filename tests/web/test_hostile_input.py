"""Hostile input at every route: no answer is a server error, no oversized value comes back.

Hypothesis walks ``app.url_map``. For every rule and every method it takes (GET, POST), each
example fills the path variables, the query and the form with hostile values — numbers past a
bigint, negative numbers, NUL bytes, invalid UTF-8 and lone surrogates percent-encoded, strings
of a megabyte, right-to-left marks, emoji and combining characters, header-like line breaks —
under the names the endpoint knows (the fields of the app's forms; the OpenID Connect and SAML
parameters), beside plausible values (a registered client and redirect URI, a well-formed SAML
message with hostile attributes) so that the hostile ones reach past the first check. Every
answer must be below 500: signed out, signed in as an electronic services manager (the
enterprise pages) and as a citizen (the citizens' pages).

Requests are percent-encoded here, as bytes, so that what no browser would send still reaches
the app; POSTs carry the session's CSRF token, so that they reach the forms behind it. Each
request comes from its own address: the rate limits and the sign-in throttle count per address
and would otherwise turn the rest of the run into 429s.

The app is built once for the module (its tests stay together on one xdist worker). It runs on
SQLite by default and on PostgreSQL with IDP_TEST_DATABASE_URL (tests/conftest.py): PostgreSQL
is the database that refuses a value too long for its column, or a NUL byte.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder, run_wsgi_app
from wtforms.fields.core import UnboundField

from idp import create_app
from idp.accounts.models import Account
from idp.extensions import db
from idp.relying_parties import new_client_secret
from tests.citizens.conftest import CitizenBrowser, live_session, make_citizen
from tests.conftest import (
    PG_URL,
    REDIS_URL,
    TEST_SECRET_KEY,
    Auth,
    Factory,
    MutableClock,
    RequestIsolatingClient,
    csrf_token,
    shared_keys_dir,
)
from tests.oidc.conftest import SPA_CALLBACK, write_client
from tests.proxies.conftest import register
from tests.saml.conftest import _service_provider

# Every test of this module shares one app: with `--dist loadgroup` they run in one worker, one
# after the other, and no other test empties the database under them.
pytestmark = pytest.mark.xdist_group("hostile_input")

# Per route and identity; the whole module runs in about a minute on SQLite. Set
# IDP_TEST_HOSTILE_EXAMPLES (200, say) for a longer search before a release.
EXAMPLES = int(os.environ.get("IDP_TEST_HOSTILE_EXAMPLES", "8"))
HOSTILE_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MEGABYTE = 1_000_000
ISSUER = "http://localhost"
CALLBACK = "https://iqea.example.gouv.qc.ca/auth/callback"
SP_ENTITY_ID = "https://amf.example.gouv.qc.ca/saml"
SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


# -- the routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    variables: tuple[tuple[str, str], ...]  # (converter, name) in order

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def area(self) -> str:
        if self.rule.startswith("/oidc/") or self.rule.startswith("/.well-known/"):
            return "oidc"
        if self.rule.startswith("/saml/"):
            return "saml"
        return "pages"

    @property
    def citizens_page(self) -> bool:
        return self.rule.startswith("/citoyens")

    def path(self, values: dict[str, str]) -> str:
        """The rule with each variable replaced by its (already percent-encoded) value."""
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], self.rule)


_VARIABLE = re.compile(r"<(?:([^:>(]+)(?:\([^)]*\))?:)?([^>]+)>")


def _routes() -> list[Route]:
    """Every rule and method of an app built only to read its URL map."""
    instance = Path(tempfile.mkdtemp(prefix="idp-hostile-routes-"))
    app = create_app(
        {
            "keys_dir": shared_keys_dir(),
            "env": "development",
            "issuer": ISSUER,
            "secret_key": TEST_SECRET_KEY,
            "database_url": f"sqlite:///{instance / 'unused.sqlite3'}",
            "instance_dir": instance,
        }
    )
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        variables = tuple((conv or "default", name) for conv, name in _VARIABLE.findall(rule.rule))
        for method in sorted({"GET", "POST"} & set(rule.methods or ())):
            routes.append(Route(rule.rule, method, variables))
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(instance, ignore_errors=True)
    return routes


ROUTES = _routes()
ENTERPRISE_ROUTES = [r for r in ROUTES if not r.citizens_page]
CITIZEN_ROUTES = [
    r
    for r in ROUTES
    if r.citizens_page or r.area != "pages" or r.rule.startswith(("/verification", "/connexion/"))
]


# -- names and values ------------------------------------------------------------------------

OIDC_NAMES = [
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "max_age",
    "prompt",
    "login_hint",
    "id_token_hint",
    "ui_locales",
    "acr_values",
    "claims",
    "request",
    "request_uri",
    "code_challenge",
    "code_challenge_method",
    "code",
    "code_verifier",
    "grant_type",
    "refresh_token",
    "token",
    "token_type_hint",
    "access_token",
    "client_assertion",
    "client_assertion_type",
    "post_logout_redirect_uri",
    "logout_hint",
    "decision",
    "enterprise",
    "confirm",
]
SAML_NAMES = ["SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"]
# Fields of forms built at run time (one per ministry, question, answer of a registration).
DYNAMIC_FIELDS = [
    "grant_melccfp",
    "rights_melccfp",
    "grant_amf",
    "question_1",
    "answer_1",
    "answer_first_school",
    "establishment_count",
    "amf_client_number",
]
GENERIC_NAMES = ["next", "lang", "page", "login_hint", "acr", "corriger", "draft", "confirm"]


def _form_fields() -> list[str]:
    """The field names of every form class of the app."""
    names: set[str] = set()
    forms = list(FlaskForm.__subclasses__())
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        for cls in form.__mro__:
            names.update(n for n, v in vars(cls).items() if isinstance(v, UnboundField))
    return sorted(names)


PAGE_NAMES = sorted({*_form_fields(), *DYNAMIC_FIELDS, *GENERIC_NAMES})


def encoded(text: str) -> str:
    """Percent-encoded UTF-8; a lone surrogate is encoded as such (not valid UTF-8)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


# Values already percent-encoded, as they would arrive.
RAW_ENCODED = [
    "%ff",
    "%fe%ff%00",
    "%ed%a0%80",  # a lone surrogate (U+D800) in UTF-8
    "%c0%af",  # an overlong "/"
    "%",
    "%zz",
    "%00",
    "a%00b",
    "%0d%0aSet-Cookie:%20x=1",
    "%e2%80%ae",
]
HOSTILE_TEXTS = [
    "",
    "0",
    "-0",
    "1e309",
    "0x10",
    "NaN",
    " 1",
    "²",
    "١٢٣",
    "𝟗",
    "\u202eevil",
    "😀" * 3,
    "e\u0301\u0301\u0301",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udfff\ud800",
    "a\x00b",
    "\x00",
    "a\r\nSet-Cookie: x=1",
    "\r\n\r\n<html>",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../../etc/passwd",
    "//evil.example.com",
    "https://evil.example.com/",
    "javascript:alert(1)",
    "{}",
    "[]",
    "null",
]
BIG_NUMBERS = st.one_of(
    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
    st.integers(min_value=10**19, max_value=10**40),
    st.just(2**31),
).map(str)
NEGATIVE_NUMBERS = st.integers(max_value=-1).map(str)
# A megabyte of ASCII; longer non-ASCII text would mostly measure how slowly Python
# percent-decodes (each "é" is six characters to decode).
LONG_TEXTS = st.sampled_from(["A" * MEGABYTE, "é" * 4096, "9" * 5000, "x" * 2049])


def hostile_values(small_ids: list[int]) -> st.SearchStrategy[str]:
    """One value, percent-encoded."""
    texts = st.one_of(
        st.sampled_from(HOSTILE_TEXTS),
        st.text(max_size=30),
        BIG_NUMBERS,
        NEGATIVE_NUMBERS,
        st.sampled_from([str(i) for i in small_ids]),
        LONG_TEXTS,
    )
    return st.one_of(texts.map(encoded), st.sampled_from(RAW_ENCODED))


@dataclass
class Known:
    """Plausible values, so that hostile ones beside them get past the first check."""

    small_ids: list[int]
    ministries: list[str]
    clock: MutableClock
    values: dict[str, list[str]] = field(default_factory=dict)

    def saml_message(self, draw: Any, parameter: str, method: str) -> str:
        """A SAML message of the registered (unsigned) SP with hostile attributes, encoded."""
        text = st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(max_size=20), LONG_TEXTS)
        kind = draw(st.sampled_from(["AuthnRequest", "LogoutRequest", "LogoutResponse"]))
        if parameter == "SAMLResponse":
            kind = "LogoutResponse"
        attributes = {
            "ID": draw(st.one_of(st.just("_" + "a" * 40), st.just("_" + "a" * 300), text)),
            "Version": "2.0",
            "IssueInstant": self.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "AssertionConsumerServiceURL": draw(
                st.one_of(st.just(f"{SP_ENTITY_ID}/acs"), st.none(), text)
            ),
            "AssertionConsumerServiceIndex": draw(st.one_of(st.none(), BIG_NUMBERS, text)),
            "InResponseTo": draw(st.one_of(st.none(), text)),
        }
        body = f"<saml:Issuer>{SP_ENTITY_ID}</saml:Issuer>"
        if kind == "AuthnRequest":
            name_id_format = draw(st.one_of(st.none(), text))
            if name_id_format is not None:
                body += f"<samlp:NameIDPolicy Format={_attribute(name_id_format)}/>"
        elif kind == "LogoutRequest":
            body += f"<saml:NameID>{_text(draw(text))}</saml:NameID>"
        rendered = " ".join(f"{k}={_attribute(v)}" for k, v in attributes.items() if v is not None)
        encoding = draw(st.sampled_from(["utf-8", "utf-16"]))
        xml = (
            f'<?xml version="1.0" encoding="{encoding}"?>'
            f'<samlp:{kind} xmlns:samlp="{SAMLP_NS}" xmlns:saml="{SAML_NS}" {rendered}>'
            f"{body}</samlp:{kind}>"
        ).encode(encoding, "surrogatepass")
        if method == "GET":
            compressor = zlib.compressobj(wbits=-15)
            xml = compressor.compress(xml) + compressor.flush()
        return encoded(base64.b64encode(xml).decode("ascii"))


def _attribute(value: str) -> str:
    return quoteattr(value)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;")


# -- the app, once for the module ------------------------------------------------------------


@dataclass
class Identity:
    """A browser (its own test client), signed in as someone or nobody."""

    client: FlaskClient
    addresses: Iterator[str]
    sign_in: Any = None  # a callable, or None to stay signed out
    account: Account | None = None
    token: str = ""
    token_cookie: str | None = None  # the session cookie the token was read with

    def ensure(self) -> None:
        """Signed in (again, if a hostile request signed out) and holding a CSRF token of the
        current session (read again whenever the session cookie changed)."""
        if self.sign_in is not None and (
            self.account is None or live_session(self.account) is None
        ):
            # From an address of its own: the sign-in pages' rate limits count per address.
            self.client.environ_base["REMOTE_ADDR"] = next(self.addresses)
            self.sign_in()
        if self.token_cookie != self._session_cookie() or not self.token:
            page = "/citoyens/" if self.account is not None and self.account.is_citizen else "/"
            html = self.client.get(page, follow_redirects=True).get_data(as_text=True)
            self.token = csrf_token(html) if "csrf_token" in html else "none"
            self.token_cookie = self._session_cookie()

    def _session_cookie(self) -> str | None:
        cookie = self.client.get_cookie(self.client.application.config["SESSION_COOKIE_NAME"])
        return cookie.value if cookie else None


@dataclass
class Hostile:
    app: Flask
    known: Known
    signed_out: Identity
    esm: Identity
    citizen: Identity
    addresses: Iterator[str]


def _relying_parties(directory: Path) -> None:
    """An OIDC client, a public one, and a SAML SP that may send unsigned requests."""
    fields = {
        "kind": "oidc",
        "client_id": "iqea",
        "ministry": "melccfp",
        "name_fr": "IQEA",
        "name_en": "IQEA",
        "redirect_uris": [CALLBACK],
        "post_logout_redirect_uris": ["https://iqea.example.gouv.qc.ca/signed-out"],
        "token_endpoint_auth_method": "client_secret_basic",
        "client_secret_sha256": new_client_secret()[1],
        "scopes": ["openid", "profile", "email", "enterprise", "offline_access"],
    }
    write_client(directory, fields)
    public = {**fields, "client_id": "iqea-spa", "redirect_uris": [SPA_CALLBACK]}
    public["token_endpoint_auth_method"] = "none"
    del public["client_secret_sha256"]
    write_client(directory, public)
    sp = _service_provider(directory.parent / "sps", SP_ENTITY_ID, "amf")
    (directory / "amf-metadata.xml").write_text(sp.metadata(), "utf-8")
    (directory / "amf.toml").write_text(
        'kind = "saml"\n'
        f'entity_id = "{SP_ENTITY_ID}"\n'
        'ministry = "amf"\nname_fr = "AMF"\nname_en = "AMF"\n'
        'metadata_file = "amf-metadata.xml"\n'
        "authn_requests_signed = false\n",
        "utf-8",
    )


def addresses() -> Iterator[str]:
    """A new client address for each request: 10.0.0.1, 10.0.0.2, …"""
    for i in itertools.count(1):
        yield f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="module")
def hostile(
    _migrated_template: str,
    _smtp_controller: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Hostile]:
    base = tmp_path_factory.mktemp("hostile")
    if PG_URL:
        database_url = PG_URL
    else:
        shutil.copy(_migrated_template, base / "idp.sqlite3")
        database_url = f"sqlite:///{base / 'idp.sqlite3'}"
    (base / "relying_parties").mkdir()
    _relying_parties(base / "relying_parties")
    controller, smtp = _smtp_controller
    clock = MutableClock()
    app = create_app(
        {
            "keys_dir": shared_keys_dir(),
            "env": "development",
            "issuer": ISSUER,
            "secret_key": TEST_SECRET_KEY,
            "database_url": database_url,
            "redis_url": REDIS_URL,
            "instance_dir": base / "instance",
            "smtp_host": "127.0.0.1",
            "smtp_port": controller.port,
            "smtp_starttls": False,
            "argon2_memory_cost_kib": 1024,
            "argon2_time_cost": 1,
            "relying_parties_dir": base / "relying_parties",
            # A hostile request may sign the person out; signing in again needs a new code.
            "mfa_max_codes_per_hour": 100_000,
        },
        clock=clock,
    )
    app.config["TESTING"] = True
    app.test_client_class = RequestIsolatingClient
    runtime = app.extensions["idp.runtime"]
    if REDIS_URL:
        runtime.throttle.storage.reset()
    with app.app_context():
        factory = Factory(runtime)
        esm = factory.person()
        colleague = factory.person(enterprise=esm.account.enterprise, name="Luc Gagnon")
        register(runtime, esm.account, "melccfp")
        citizen = make_citizen(runtime)
        small_ids = sorted({0, 1, 2, 3, colleague.account.id} - {esm.account.id})

        esm_client, citizen_client = app.test_client(), app.test_client()
        esm_auth = Auth(esm_client, smtp)
        citizens = CitizenBrowser(citizen_client, smtp)
        known = Known(
            small_ids=small_ids,
            ministries=["melccfp", "amf", "nothing"],
            clock=clock,
            values={
                "client_id": ["iqea", "iqea-spa"],
                "redirect_uri": [CALLBACK, SPA_CALLBACK],
                "response_type": ["code"],
                "scope": ["openid", "openid profile email enterprise"],
                "code_challenge": ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
                "code_challenge_method": ["S256"],
                "grant_type": ["authorization_code", "refresh_token", "client_credentials"],
                "lang": ["fr", "en"],
                "action": ["suspendre", "reactiver", "annuler"],
                "ministry_key": ["melccfp", "amf"],
                "decision": ["allow", "deny"],
                "SigAlg": ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"],
            },
        )
        sources = addresses()
        yield Hostile(
            app=app,
            known=known,
            signed_out=Identity(app.test_client(), sources),
            esm=Identity(esm_client, sources, lambda: esm_auth.sign_in(esm), esm.account),
            citizen=Identity(citizen_client, sources, lambda: citizens.sign_in(citizen), citizen),
            addresses=sources,
        )
        db.session.remove()
        db.engine.dispose()
    if PG_URL:
        _empty_postgres(PG_URL)
    shutil.rmtree(base, ignore_errors=True)


# -- one hostile request ---------------------------------------------------------------------


@dataclass
class HostileRequest:
    method: str
    path: str
    query: str
    body: str | None
    headers: dict[str, str]

    def __str__(self) -> str:
        def cut(text: str) -> str:
            return text if len(text) < 300 else f"{text[:300]}… ({len(text)} characters)"

        body = f" body={cut(self.body)!r}" if self.body is not None else ""
        return f"{self.method} {cut(self.path)}?{cut(self.query)}{body} headers={self.headers}"


def draw_request(data: Any, route: Route, hostile: Hostile, identity: Identity) -> HostileRequest:
    known = hostile.known
    values = hostile_values(known.small_ids)
    path_values = {}
    for converter, name in route.variables:
        plausible = [encoded(v) for v in known.values.get(name, [])]
        if converter == "int":
            plausible += [str(i) for i in known.small_ids]
        choices = st.sampled_from(plausible) | values if plausible else values
        path_values[name] = data.draw(choices, label=f"<{name}>")
    names = {"oidc": OIDC_NAMES, "saml": SAML_NAMES, "pages": PAGE_NAMES}[route.area]
    chosen = data.draw(
        st.lists(st.sampled_from(names) | st.text(min_size=1, max_size=10), max_size=6),
        label="names",
    )
    pairs = []
    for name in chosen:
        if name in ("SAMLRequest", "SAMLResponse") and data.draw(st.booleans(), label="message"):
            value = known.saml_message(data.draw, name, route.method)
        elif name in known.values and data.draw(st.booleans(), label="plausible"):
            value = encoded(data.draw(st.sampled_from(known.values[name]), label=name))
        else:
            value = data.draw(values, label=name)
        pairs.append(f"{encoded(name)}={value}")
    headers = {}
    if route.area == "oidc" and data.draw(st.booleans(), label="authorization"):
        raw = data.draw(st.binary(max_size=40) | st.just(b"iqea:x"), label="basic")
        scheme = data.draw(st.sampled_from(["Basic", "Bearer", "basic"]), label="scheme")
        headers["Authorization"] = f"{scheme} {base64.b64encode(raw).decode('ascii')}"
    if data.draw(st.booleans(), label="odd user agent"):
        agents = ["A" * 100_000, "\xff\xfe", "", "a\x00b", "\x1b[31m\x7f"]
        headers["User-Agent"] = data.draw(st.sampled_from(agents), label="user agent")
    if route.method == "GET":
        return HostileRequest("GET", route.path(path_values), "&".join(pairs), None, headers)
    in_query = data.draw(st.integers(0, len(pairs)), label="in the query")
    body = pairs[in_query:]
    if data.draw(st.integers(0, 9), label="csrf") > 0:  # mostly with the session's token
        body.append(f"csrf_token={encoded(identity.token)}")
    return HostileRequest(
        "POST", route.path(path_values), "&".join(pairs[:in_query]), "&".join(body), headers
    )


def send(hostile: Hostile, identity: Identity, request: HostileRequest) -> Any:
    return identity.client.open(
        request.path,
        method=request.method,
        query_string=request.query,
        data=request.body.encode("ascii") if request.body is not None else None,
        content_type="application/x-www-form-urlencoded" if request.body is not None else None,
        headers=request.headers,
        environ_base={"REMOTE_ADDR": next(hostile.addresses)},
    )


def assert_no_server_error(hostile: Hostile, identity: Identity, route: Route, data: Any) -> None:
    identity.ensure()
    request = draw_request(data, route, hostile, identity)
    note(str(request))
    response = send(hostile, identity, request)
    assert response.status_code < 500, f"{response.status_code} for {request}"


# -- the property: no 5xx --------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=str)
@HOSTILE_SETTINGS
@given(data=st.data())
def test_no_server_error_signed_out(hostile: Hostile, route: Route, data: Any) -> None:
    assert_no_server_error(hostile, hostile.signed_out, route, data)


@pytest.mark.parametrize("route", ENTERPRISE_ROUTES, ids=str)
@HOSTILE_SETTINGS
@given(data=st.data())
def test_no_server_error_signed_in_as_esm(hostile: Hostile, route: Route, data: Any) -> None:
    assert_no_server_error(hostile, hostile.esm, route, data)


@pytest.mark.parametrize("route", CITIZEN_ROUTES, ids=str)
@HOSTILE_SETTINGS
@given(data=st.data())
def test_no_server_error_signed_in_as_citizen(hostile: Hostile, route: Route, data: Any) -> None:
    assert_no_server_error(hostile, hostile.citizen, route, data)


# -- path variables no row or token can match ------------------------------------------------

ID_ROUTES = [r for r in ROUTES if any(converter == "int" for converter, _ in r.variables)]
TEXT_ROUTES = [r for r in ROUTES if any(c == "default" for c, _ in r.variables)]


def bounded_request(hostile: Hostile, identity: Identity, route: Route, **values: str) -> Any:
    """``route`` with the given path values (plausible ones for the other variables)."""
    for converter, name in route.variables:
        if name not in values:
            plausible = hostile.known.values.get(name, ["x"])
            values[name] = "1" if converter == "int" else encoded(plausible[0])
    body = f"csrf_token={encoded(identity.token)}" if route.method == "POST" else None
    request = HostileRequest(route.method, route.path(values), "", body, {})
    return send(hostile, identity, request)


@pytest.mark.parametrize(
    "number", [str(2**31), str(2**63), str(2**64), "9" * 30, "0", "%D9%A1"], ids=str
)
@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_an_id_no_row_can_have_is_not_found(hostile: Hostile, route: Route, number: str) -> None:
    """Past the INTEGER of the id columns, 0, or digits of another script: 404, whoever asks."""
    hostile.esm.ensure()
    variable = next(name for converter, name in route.variables if converter == "int")
    response = bounded_request(hostile, hostile.esm, route, **{variable: number})
    assert response.status_code == 404


@pytest.mark.parametrize("segment", ["%00", "a%00b", "a%0D%0Ab", "%7F"], ids=str)
@pytest.mark.parametrize("route", TEXT_ROUTES, ids=str)
def test_a_path_segment_with_a_control_character_is_not_found(
    hostile: Hostile, route: Route, segment: str
) -> None:
    hostile.esm.ensure()
    variable = next(name for converter, name in route.variables if converter == "default")
    response = bounded_request(hostile, hostile.esm, route, **{variable: segment})
    assert response.status_code == 404


# -- no oversized value comes back -----------------------------------------------------------

# A megabyte under each name a page or a redirect might repeat. Two thousand characters of it
# anywhere in the answer (past every bound of idp/oidc/parameters.py) is an echo.
MEGABYTE_VALUE = "Zq" * (MEGABYTE // 2)
ECHOED = "Zq" * 1000
ECHO_NAMES = {
    "oidc": [
        "state",
        "redirect_uri",
        "response_type",
        "client_id",
        "nonce",
        "login_hint",
        "scope",
        "grant_type",
        "post_logout_redirect_uri",
        "unknown_parameter",
    ],
    "saml": ["RelayState", "SAMLRequest", "SAMLResponse"],
    # Any name at all ends up in the address to come back to after a sign-in.
    "pages": ["next", "login_hint", "unknown_parameter"],
}
# What a relying party would send beside it, so that the request gets as far as it can.
PLAUSIBLE_OIDC = {
    "response_type": "code",
    "client_id": "iqea",
    "redirect_uri": CALLBACK,
    "scope": "openid",
    "state": "s1",
    "nonce": "n1",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
    "post_logout_redirect_uri": "https://iqea.example.gouv.qc.ca/signed-out",
}


@dataclass
class RawAnswer:
    status_code: int
    headers: list[tuple[str, str]]
    body: str


def send_raw(hostile: Hostile, identity: Identity, request: HostileRequest) -> RawAnswer:
    """The request straight to the WSGI app, with the identity's session cookie.

    The test client rebuilds the URL of every request twice (to match cookies), which for a
    megabyte query costs more than the app's answer; this test needs none of it.
    """
    app = hostile.app
    cookie = identity.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    builder = EnvironBuilder(
        path=request.path,
        method=request.method,
        query_string=request.query,
        data=request.body.encode("ascii") if request.body is not None else None,
        content_type="application/x-www-form-urlencoded" if request.body is not None else None,
        environ_base={
            "REMOTE_ADDR": next(hostile.addresses),
            **({"HTTP_COOKIE": f"{cookie.key}={cookie.value}"} if cookie else {}),
        },
    )
    db.session.commit()
    with app.app_context():
        app_iter, status, headers = run_wsgi_app(app, builder.get_environ(), buffered=True)
        body = b"".join(app_iter).decode("utf-8", "replace")
    db.session.expire_all()
    return RawAnswer(int(status.split()[0]), list(headers.items()), body)


def echoed(answer: RawAnswer) -> bool:
    return ECHOED in answer.body or any(ECHOED in value for _name, value in answer.headers)


@pytest.mark.parametrize("who", ["signed_out", "esm"])
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_megabyte_parameter_is_not_reflected(hostile: Hostile, route: Route, who: str) -> None:
    identity: Identity = getattr(hostile, who)
    identity.ensure()
    for name in ECHO_NAMES[route.area]:
        parameters = (
            {k: encoded(v) for k, v in PLAUSIBLE_OIDC.items()} if route.area == "oidc" else {}
        )
        parameters[name] = MEGABYTE_VALUE  # nothing to percent-encode in it
        pairs = [f"{k}={v}" for k, v in parameters.items()]
        values = {
            variable: "1"
            if converter == "int"
            else encoded(hostile.known.values.get(variable, ["x"])[0])
            for converter, variable in route.variables
        }
        if route.method == "GET":
            request = HostileRequest("GET", route.path(values), "&".join(pairs), None, {})
        else:
            body = "&".join([*pairs, f"csrf_token={encoded(identity.token)}"])
            request = HostileRequest("POST", route.path(values), "", body, {})
        answer = send_raw(hostile, identity, request)
        assert answer.status_code < 500, f"{answer.status_code} for {request}"
        assert not echoed(answer), f"{name} echoed by {route} ({answer.status_code})"


# -- a NUL byte, which PostgreSQL text cannot hold -------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "parameters"),
    [
        ("POST", "/connexion", "user_code=A%00B&password=p"),
        ("POST", "/connexion", "user%00code=AB&password=p"),
        ("POST", "/citoyens/connexion", "user_code=1234-%00BCD"),
        ("GET", "/connexion", "next=/%00"),
        ("GET", "/citoyens/inscription", "next=/citoyens/%00"),
    ],
)
def test_a_nul_byte_in_a_page_parameter_is_refused(
    hostile: Hostile, method: str, path: str, parameters: str
) -> None:
    """400 before any view, on SQLite as on PostgreSQL; the same request without it is read."""
    identity = hostile.signed_out
    identity.ensure()
    for sent, status in ((parameters, 400), (parameters.replace("%00", ""), 200)):
        if method == "GET":
            request = HostileRequest("GET", path, sent, None, {})
        else:
            body = f"{sent}&csrf_token={encoded(identity.token)}"
            request = HostileRequest("POST", path, "", body, {})
        response = send(hostile, identity, request)
        assert response.status_code in (status, 302 if status == 200 else status), sent
