"""What the virtual browsers and relying-party back-ends do, request by request (aiohttp).

- :class:`Browser`: a person's browser at the provider: cookies, forms with their CSRF token,
  redirects followed by hand and only within the provider (the one that leaves it is the answer
  to the relying party, whose host does not exist), from an address of its own
  (``X-Forwarded-For``, the provider trusting one proxy).
- :func:`complete_sign_in`: authorize, password, emailed code (read from the SMTP capture),
  enterprise choice, consent, token exchange, UserInfo.
- :func:`refresh`: one use of a refresh token, which rotates it.
- :class:`AuthnRequests` and :func:`saml_round`: a signed AuthnRequest (HTTP-Redirect) in, the
  signed Response out, for a browser already signed in.
- :func:`reference_refresh_token`: a refresh token from oidc-provider's authorization code flow.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import aiohttp
import yarl

from bench.load import OperationError
from bench.provider import CALLBACK, WEB_SCOPES
from bench.smtp import CodeCapture

REDIRECTS = {301, 302, 303, 307, 308}
MAX_STEPS = 14
TIMEOUT = aiohttp.ClientTimeout(total=60)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
_ACTION = re.compile(r'action="([^"]*)"')
_ENTERPRISE = re.compile(r'name="enterprise" value="(\d+)"')
_SAML_RESPONSE = re.compile(r'name="SAMLResponse" value="([^"]+)"')
SAML_SUCCESS = b"urn:oasis:names:tc:SAML:2.0:status:Success"


def client_addresses(start: int = 0) -> Iterator[str]:
    """127.a.b.c, a different one each time: each browser or back-end its own address."""
    for n in itertools.count(start):
        yield f"127.{n // 62500 % 250 + 1}.{n // 250 % 250 + 1}.{n % 250 + 1}"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _csrf(page: str) -> str:
    match = _CSRF.search(page)
    if match is None:
        raise OperationError("no CSRF token in the page")
    return match.group(1) or match.group(2)


@dataclass
class Person:
    user_code: str
    email: str
    password: str


@dataclass
class Page:
    status: int
    url: str
    location: str | None
    text: str


@dataclass
class Browser:
    base_url: str
    address: str
    session: aiohttp.ClientSession = field(init=False)

    def __post_init__(self) -> None:
        self.session = self._session(aiohttp.CookieJar(unsafe=True))

    def _session(self, jar: aiohttp.abc.AbstractCookieJar) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            cookie_jar=jar,
            headers={"X-Forwarded-For": self.address, "User-Agent": "idp-bench"},
            timeout=TIMEOUT,
        )

    async def reconnect(self) -> None:
        """New connections, same cookies (the person stays signed in)."""
        jar = self.session.cookie_jar
        await self.session.close()
        self.session = self._session(jar)

    async def close(self) -> None:
        await self.session.close()

    async def request(self, method: str, url: str, **kwargs: Any) -> Page:
        if not self._is_provider(url):
            raise OperationError(f"the browser was sent off the provider: {url}")
        # encoded=True: the query goes out exactly as made (a Redirect-binding signature
        # covers it character for character).
        target = yarl.URL(url, encoded=True)
        async with self.session.request(method, target, allow_redirects=False, **kwargs) as answer:
            text = await answer.text()
            location = answer.headers.get("Location")
            return Page(answer.status, url, urljoin(url, location) if location else None, text)

    def _is_provider(self, url: str) -> bool:
        return url.startswith(self.base_url + "/")

    async def submit(self, page: Page, **fields: str) -> Page:
        """Post the form of the page that has the first of ``fields`` (to its action, or back
        to the page) with its CSRF token."""
        name = f'name="{next(iter(fields))}"'
        for attributes, content in _FORM.findall(page.text):
            if name in content:
                action = _ACTION.search(attributes)
                target = html.unescape(action.group(1)) if action and action.group(1) else ""
                data = {**fields, "csrf_token": _csrf(content)}
                return await self.request("POST", urljoin(page.url, target or page.url), data=data)
        raise OperationError(f"no form with {name} at {page.url}")

    async def follow(self, page: Page, person: Person | None, capture: CodeCapture) -> str:
        """Go through the provider's pages until it sends the browser away; the URL it sends
        the browser to (the relying party's callback)."""
        for _step in range(MAX_STEPS):
            if page.status in REDIRECTS and page.location:
                if not self._is_provider(page.location):
                    return page.location
                page = await self.request("GET", page.location)
                continue
            if page.status != 200:
                raise OperationError(f"{page.status} at {page.url}: {page.text[:300]}")
            page = await self._fill_in(page, person, capture)
        raise OperationError(f"still at the provider after {MAX_STEPS} steps ({page.url})")

    async def _fill_in(self, page: Page, person: Person | None, capture: CodeCapture) -> Page:
        path = urlsplit(page.url).path
        if path == "/connexion":
            if person is None:
                raise OperationError("a sign-in was asked of a signed-in browser")
            return await self.submit(page, user_code=person.user_code, password=person.password)
        if path == "/connexion/code" and person is not None:
            code = await capture.code_for(person.email)
            return await self.submit(page, code=code)
        chosen = _ENTERPRISE.search(page.text)
        if chosen is not None:
            return await self.submit(page, enterprise=chosen.group(1))
        if 'value="allow"' in page.text:
            return await self.submit(page, decision="allow")
        raise OperationError(f"unexpected page at {page.url}: {page.text[:300]}")


class SharedSession:
    """One connection pool for many clients (relying parties' back-ends, ceilings' clients)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.session = self._new()

    def _new(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.size), timeout=TIMEOUT
        )

    async def reconnect(self) -> None:
        await self.session.close()
        self.session = self._new()

    async def close(self) -> None:
        await self.session.close()


# -- the provider: OpenID Connect ---------------------------------------------------------------


@dataclass
class WebClient:
    base_url: str
    client_id: str
    secret: str

    def authorization(self) -> tuple[str, str]:
        """An authorization URL (PKCE, state, nonce) and its code verifier."""
        verifier, challenge = pkce_pair()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": CALLBACK,
                "scope": " ".join(WEB_SCOPES),
                "state": secrets.token_urlsafe(12),
                "nonce": secrets.token_urlsafe(12),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.base_url}/oidc/authorize?{query}", verifier


async def complete_sign_in(
    web: WebClient, person: Person, address: str, capture: CodeCapture
) -> dict[str, Any]:
    """A person's first sign-in to the site, from the authorization request to UserInfo."""
    browser = Browser(web.base_url, address)
    try:
        url, verifier = web.authorization()
        first = await browser.request("GET", url)
        callback = await browser.follow(first, person, capture)
        code = _authorization_code(callback)
        tokens = await _token(
            browser.session,
            web,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            },
        )
        if "id_token" not in tokens or "refresh_token" not in tokens:
            raise OperationError(f"incomplete token response: {sorted(tokens)}")
        async with browser.session.get(
            f"{web.base_url}/oidc/userinfo",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        ) as answer:
            claims = await answer.json(content_type=None)
            if answer.status != 200 or "sub" not in claims:
                raise OperationError(f"UserInfo answered {answer.status}: {claims}")
        return tokens
    finally:
        await browser.close()


def _authorization_code(callback: str) -> str:
    if not callback.startswith(CALLBACK + "?"):
        raise OperationError(f"sent to {callback[:200]} instead of the callback")
    params = parse_qs(urlsplit(callback).query)
    if "code" not in params:
        raise OperationError(f"no code in the callback: {callback[:300]}")
    return params["code"][0]


async def _token(
    session: aiohttp.ClientSession,
    web: WebClient,
    form: dict[str, str],
    path: str = "/oidc/token",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    async with session.post(
        f"{web.base_url}{path}",
        data=form,
        headers={"Authorization": basic(web.client_id, web.secret), **(headers or {})},
    ) as answer:
        body = await answer.json(content_type=None)
        if answer.status != 200 or "access_token" not in body:
            raise OperationError(f"token endpoint answered {answer.status}: {body}")
        return dict(body)


async def refresh(
    session: aiohttp.ClientSession,
    web: WebClient,
    refresh_token: str,
    address: str,
    path: str = "/oidc/token",
) -> str:
    """Use a refresh token once; the new one (rotation)."""
    tokens = await _token(
        session,
        web,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        path,
        headers={"X-Forwarded-For": address},
    )
    new = tokens.get("refresh_token")
    if not new or new == refresh_token:
        raise OperationError("the refresh token was not rotated")
    return str(new)


# -- the reference provider (oidc-provider) -----------------------------------------------------


async def reference_refresh_token(web: WebClient, resource: str) -> str:
    """oidc-provider's authorization code flow; its interaction signs in and consents itself."""
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": web.client_id,
            "redirect_uri": CALLBACK,
            "scope": "api",
            "resource": resource,
            "state": secrets.token_urlsafe(12),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    browser = Browser(web.base_url, "127.0.0.1")
    try:
        first = await browser.request("GET", f"{web.base_url}/auth?{query}")
        callback = await browser.follow(first, None, CodeCapture())
        tokens = await _token(
            browser.session,
            web,
            {
                "grant_type": "authorization_code",
                "code": _authorization_code(callback),
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
                "resource": resource,
            },
            path="/token",
        )
        return str(tokens["refresh_token"])
    finally:
        await browser.close()


# -- the provider: SAML ---------------------------------------------------------------------------


class AuthnRequests:
    """Signed AuthnRequests (HTTP-Redirect, RSA-SHA256) from the benchmark's service provider,
    made with pysaml2's SP client, as the SAML tests make them."""

    def __init__(self, sp_config: dict[str, Any]) -> None:
        from saml2.client import Saml2Client
        from saml2.config import SPConfig

        config = SPConfig()
        config.load(sp_config)
        self._client = Saml2Client(config)
        self._made: list[str] = []

    def make(self) -> str:
        from saml2 import BINDING_HTTP_REDIRECT

        _request_id, info = self._client.prepare_for_authenticate(
            binding=BINDING_HTTP_REDIRECT,
            relay_state=secrets.token_urlsafe(8),
            sign=True,
            sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        )
        return str(dict(info["headers"])["Location"])

    def prepare(self, count: int) -> None:
        self._made.extend(self.make() for _ in range(count))

    def take(self) -> str:
        """One made beforehand (IDs are single use); made now when those run out."""
        return self._made.pop() if self._made else self.make()

    @property
    def ready(self) -> int:
        return len(self._made)


async def saml_round(browser: Browser, requests: AuthnRequests, capture: CodeCapture) -> None:
    """AuthnRequest in, signed Response out, for a browser whose person is signed in."""
    page = await browser.request("GET", _provider_url(browser, requests.take()))
    for _step in range(4):
        if page.status in REDIRECTS and page.location:
            page = await browser.request("GET", page.location)
            continue
        break
    _check_saml_response(page)


async def saml_sign_in(
    browser: Browser, requests: AuthnRequests, person: Person, capture: CodeCapture
) -> None:
    """The first SAML round of a browser: sign-in, enterprise choice and consent included."""
    page = await browser.request("GET", _provider_url(browser, requests.take()))
    for _step in range(MAX_STEPS):
        if page.status in REDIRECTS and page.location:
            page = await browser.request("GET", page.location)
            continue
        if _SAML_RESPONSE.search(page.text):
            _check_saml_response(page)
            return
        if page.status != 200:
            raise OperationError(f"{page.status} at {page.url}: {page.text[:300]}")
        page = await browser._fill_in(page, person, capture)
    raise OperationError("no SAML Response after the sign-in")


def _provider_url(browser: Browser, location: str) -> str:
    # pysaml2 addresses the request to the provider's SSO URL from its metadata.
    parts = urlsplit(location)
    return f"{browser.base_url}{parts.path}?{parts.query}"


def _check_saml_response(page: Page) -> None:
    match = _SAML_RESPONSE.search(page.text)
    if page.status != 200 or match is None:
        raise OperationError(f"no SAML Response ({page.status} at {page.url}): {page.text[:300]}")
    xml = base64.b64decode(html.unescape(match.group(1)))
    if SAML_SUCCESS not in xml:
        raise OperationError("the SAML Response is not a success")
