"""Web security: CSRF, security headers, cookies over HTTPS, language switch, templates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from idp import create_app
from idp.accounts.models import UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db
from tests.conftest import csrf_token

TEMPLATES = Path(__file__).resolve().parents[2] / "idp" / "templates"
HTTPS_ISSUER = "https://idp.example"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [None, "", "forged-token", "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.aaaaaa.bbbb"],
    ids=["absent", "empty", "forged", "well-shaped-but-not-signed-by-us"],
)
def test_sign_in_without_a_valid_csrf_token_is_refused(client, person, smtp, token):
    client.get("/connexion")  # a real CSRF token exists in the session
    data = {"user_code": person.user_code, "password": person.password}
    if token is not None:
        data["csrf_token"] = token

    response = client.post("/connexion?lang=en", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your form expired" in html
    assert _count(UserSession) == 0
    assert smtp.count_to(person.email) == 0
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "accounts:signin:password")
        )
        == 0
    )


def test_csrf_token_of_another_browser_is_refused(app, client, person, smtp):
    other = app.test_client()
    token = csrf_token(other.get("/connexion").get_data(as_text=True))
    client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"user_code": person.user_code, "password": person.password, "csrf_token": token},
    )
    assert response.status_code == 400
    assert _count(UserSession) == 0
    assert smtp.count_to(person.email) == 0


# -- security headers ----------------------------------------------------------------------


def _page(auth, person, path: str, signed_in: bool):
    if signed_in:
        auth.sign_in(person)
    response = auth.client.get(path)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(("path", "signed_in"), [("/", True), ("/connexion", False)])
def test_security_headers(auth, person, path, signed_in):
    response = _page(auth, person, path, signed_in)
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Plain HTTP: no HSTS, no Secure-only cookie name.
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_over_http(auth, person):
    response = auth.password_step(person.user_code, person.password)
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("idp_session=")]
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize(
    ("user_agent", "kept"),
    [("Firefox\x00/1\x1b", "Firefox/1"), ("é" * 600, "é" * 512), ("\x00", None)],
    ids=["control characters", "longer than the column", "nothing printable"],
)
def test_the_user_agent_is_kept_printable_and_bounded(auth, person, user_agent, kept):
    """PostgreSQL text holds no NUL and String(512) no more: the same row on both databases."""
    auth.client.environ_base["HTTP_USER_AGENT"] = user_agent
    auth.sign_in(person)
    [user_session] = db.session.scalars(select(UserSession)).all()
    assert user_session.user_agent == kept
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.client_ip.is_not(None))).all()
    assert events  # the sign-in's own, recorded with the browser's address
    assert {event.user_agent for event in events} == {kept}


@pytest.fixture
def https_app(app_config: dict[str, Any], clock, smtp) -> Iterator[Flask]:
    """The provider behind an https issuer (TLS ends at the proxy; the request says https)."""
    https_app = create_app({**app_config, "issuer": HTTPS_ISSUER}, clock=clock)
    yield https_app
    with https_app.app_context():
        db.engine.dispose()


def test_hsts_and_host_cookie_when_the_issuer_is_https(https_app):
    client = https_app.test_client()
    response = client.get("/connexion", base_url=HTTPS_ISSUER)

    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    [cookie] = response.headers.getlist("Set-Cookie")
    name, _, _ = cookie.partition("=")
    attributes = [a.strip() for a in cookie.split(";")[1:]]
    assert name == "__Host-idp_session"
    # __Host- cookies must be Secure, have Path=/ and no Domain, or browsers drop them.
    assert "Secure" in attributes
    assert "Path=/" in attributes
    assert not any(a.lower().startswith("domain=") for a in attributes)
    assert "HttpOnly" in attributes


def test_each_app_keeps_its_own_security_settings(https_app, app_config, clock):
    # A second app in the same process (a worker, a test) must not change the first one's headers.
    create_app({**app_config, "issuer": "http://127.0.0.1:5000"}, clock=clock)
    response = https_app.test_client().get("/connexion", base_url=HTTPS_ISSUER)
    assert "Strict-Transport-Security" in response.headers


class _ReferrerPolicy(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "referrer":
            self.meta = values.get("content")


def _referer_a_browser_sends(page, page_url: str) -> dict[str, str]:
    """The Referer a browser attaches to a same-origin form POST, under the page's policy."""
    parser = _ReferrerPolicy()
    parser.feed(page.get_data(as_text=True))
    policy = parser.meta or page.headers.get("Referrer-Policy", "strict-origin-when-cross-origin")
    policy = policy.split(",")[-1].strip()
    if policy == "no-referrer":
        return {}
    if policy in {"origin", "strict-origin"}:
        parts = urlsplit(page_url)
        return {"Referer": f"{parts.scheme}://{parts.netloc}/"}
    return {"Referer": page_url}


def test_sign_in_over_https_works_for_a_browser_following_the_referrer_policy(
    https_app, factory, smtp
):
    person = factory.person()
    client = https_app.test_client()
    url = f"{HTTPS_ISSUER}/connexion"
    page = client.get("/connexion", base_url=HTTPS_ISSUER)
    response = client.post(
        "/connexion",
        base_url=HTTPS_ISSUER,
        headers=_referer_a_browser_sends(page, url),
        data={
            "user_code": person.user_code,
            "password": person.password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/connexion/code"
    assert smtp.count_to(person.email) == 1


# -- language ------------------------------------------------------------------------------


def _html_lang(response) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", response.get_data(as_text=True))
    assert match, "no lang attribute on <html>"
    return match.group(1)


def test_pages_are_in_french_by_default(client):
    assert _html_lang(client.get("/connexion")) == "fr"


def test_language_switch_sets_the_cookie_and_goes_back(client):
    response = client.get("/langue/en?next=/connexion")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("idp_lang=en;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie

    assert _html_lang(client.get("/connexion")) == "en"
    client.get("/langue/fr?next=/connexion")
    assert _html_lang(client.get("/connexion")) == "fr"


def test_unknown_language_sets_no_cookie(client):
    response = client.get("/langue/de?next=/connexion")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion"
    assert response.headers.getlist("Set-Cookie") == []
    assert _html_lang(client.get("/connexion")) == "fr"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/connexion",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "evil.example",
        "/\t/evil.example",
    ],
)
def test_language_switch_refuses_open_redirects(client, target):
    response = client.get("/langue/en", query_string={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("", "")
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "\\" not in location
    assert "evil" not in location


def test_language_link_on_the_page_points_back_to_it(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert 'href="/langue/en?next=/connexion"' in html


# -- templates -----------------------------------------------------------------------------

# Emails are not web pages: the CSP does not apply to them and mail clients need inline style.
PAGE_TEMPLATES = sorted(
    p for p in TEMPLATES.rglob("*.html") if "mail" not in p.relative_to(TEMPLATES).parts
)


def test_there_are_page_templates_to_check():
    names = {p.relative_to(TEMPLATES).as_posix() for p in PAGE_TEMPLATES}
    assert {"layout.html", "accounts/login.html", "mfa/verify.html"} <= names


@pytest.mark.parametrize(
    "template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(TEMPLATES).as_posix()
)
def test_templates_have_no_inline_script_or_style(template):
    text = template.read_text(encoding="utf-8")
    inline_scripts = [
        body
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script\s*>", text, re.S | re.I)
        if body.strip()
    ]
    scripts_without_src = [
        attrs for attrs in re.findall(r"<script\b([^>]*)>", text, re.I) if "src=" not in attrs
    ]
    assert inline_scripts == []
    assert scripts_without_src == []
    assert re.findall(r"\sstyle\s*=", text, re.I) == []
    assert re.findall(r"<style\b", text, re.I) == []
    assert re.findall(r"\son[a-z]+\s*=", text, re.I) == []  # onclick=, onload=...
    assert "javascript:" not in text.lower()


class _Forms(HTMLParser):
    """Every form of a page, with the names of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._current = {
                "method": (values.get("method") or "get").lower(),
                "action": values.get("action"),
                "inputs": {},
            }
            self.forms.append(self._current)
        elif (
            tag in {"input", "button", "select", "textarea"}
            and self._current is not None
            and values.get("name")
        ):
            self._current["inputs"][values["name"]] = values.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _visit(auth, factory, smtp, page: str) -> str:
    if page == "login":
        return auth.client.get("/connexion").get_data(as_text=True)
    if page == "csrf-error":
        return auth.client.post("/connexion").get_data(as_text=True)
    person = factory.person(temporary=page == "forced-change")
    if page == "code":
        auth.password_step(person.user_code, person.password)
        return auth.client.get("/connexion/code").get_data(as_text=True)
    if page == "code-void":
        auth.password_step(person.user_code, person.password)
        code = smtp.last_code(person.email)
        wrong = "000000" if code != "000000" else "111111"
        html = ""
        for _ in range(6):
            html = auth.code_step(wrong).get_data(as_text=True)
        return html
    if page == "home-public":
        auth.sign_in(person, public_computer="y")
        return auth.client.get("/").get_data(as_text=True)
    auth.sign_in(person)
    if page == "home":
        return auth.client.get("/").get_data(as_text=True)
    return auth.client.get("/mot-de-passe").get_data(as_text=True)


@pytest.mark.parametrize(
    ("page", "minimum_post_forms"),
    [
        ("login", 1),
        ("code", 2),
        ("code-void", 2),
        ("home", 1),
        ("home-public", 2),
        ("change", 2),
        ("forced-change", 2),
        ("csrf-error", 0),
    ],
)
def test_every_post_form_carries_a_csrf_token(auth, factory, smtp, page, minimum_post_forms):
    html = _visit(auth, factory, smtp, page)
    posts = [f for f in _forms(html) if f["method"] == "post"]
    assert len(posts) >= minimum_post_forms
    for form in posts:
        assert form["inputs"].get("csrf_token"), form
    assert [f for f in _forms(html) if f["method"] not in {"post", "get"}] == []
