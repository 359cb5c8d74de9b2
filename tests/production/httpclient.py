"""HTTP as the provider sees it behind its reverse proxy, with nothing but the standard library.

In production TLS ends at a reverse proxy, which forwards plain HTTP to gunicorn with
``X-Forwarded-For`` and ``X-Forwarded-Proto: https`` (``IDP_TRUSTED_PROXY_COUNT=1``). The tests
play the browser *and* that proxy: each :class:`Connection` is one keep-alive connection to
gunicorn that names the person's (or back-end's) address, says the original request was HTTPS
and sends the issuer's host name. Cookies are therefore kept here by hand (the provider's are
``Secure``: a client library would not send them back over plain HTTP).

Every request carries an ``X-Test-Tag`` header, written to gunicorn's access log with the PID
of the worker that answered (``tests/production/servers.py``).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

ISSUER_HOST = "idp.prod.test"
ISSUER = f"https://{ISSUER_HOST}"
TIMEOUT_SECONDS = 60
# The tests' gunicorn closes a keep-alive connection idle for 120 s (servers.KEEPALIVE_SECONDS):
# reconnect before sending on one idle longer than this, rather than lose a request to that race.
IDLE_RECONNECT_SECONDS = 100.0
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def new_tag() -> str:
    return uuid.uuid4().hex


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, f"no CSRF token in the page: {html[:300]}"
    return match.group(1) or match.group(2)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    tag: str
    path: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308)

    def describe(self) -> str:
        return f"{self.status} for {self.path} (tag {self.tag}): {self.text[:300]!r}"


class Connection:
    """One keep-alive HTTP/1.1 connection to gunicorn, as the reverse proxy would hold it."""

    def __init__(self, host: str, port: int, *, client_ip: str) -> None:
        self.host = host
        self.port = port
        self.client_ip = client_ip
        self._http = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
        self._last_used = time.monotonic()
        # The gunicorn worker known to hold this connection (IdpServer.pinned_connections).
        self.worker_pid: int | None = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def from_address(self, client_ip: str) -> Connection:
        """This connection, now speaking for another client address (the proxy's pooling)."""
        self.client_ip = client_ip
        return self

    def connect(self) -> None:
        """Open the TCP connection now (so that a later request only has to send)."""
        self._http.connect()
        self._last_used = time.monotonic()

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        tag: str | None = None,
    ) -> Reply:
        tag = tag or new_tag()
        sent = {
            "Host": ISSUER_HOST,
            "X-Forwarded-For": self.client_ip,
            "X-Forwarded-Proto": "https",
            "X-Test-Tag": tag,
            "User-Agent": "tests/production",
            **(headers or {}),
        }
        body = None
        if form is not None:
            body = urlencode(form).encode("ascii")
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if time.monotonic() - self._last_used > IDLE_RECONNECT_SECONDS:
            self._http.close()
        try:
            self._http.request(method, path, body=body, headers=sent)
            response = self._http.getresponse()
            payload = response.read()
        except BaseException:
            self._http.close()
            raise
        finally:
            self._last_used = time.monotonic()
        if response.will_close:
            self._http.close()
        return Reply(response.status, response.headers, payload, tag, path)


@dataclass
class Browser:
    """A person's browser: cookies, forms with their CSRF token, the provider's redirects.

    Redirects are followed by hand and only within the provider: the one that leaves it is the
    answer to the relying party, returned without being visited.
    """

    port: int
    client_ip: str
    cookies: dict[str, str] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    # A new connection for each request: a browser's pages reach whichever worker accepts.
    fresh_connections: bool = True
    _connection: Connection | None = None

    def copy(self) -> Browser:
        """Another browser holding the same cookies (the same sign-in in progress)."""
        return Browser(self.port, self.client_ip, dict(self.cookies))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        *,
        connection: Connection | None = None,
        tag: str | None = None,
    ) -> Reply:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            # Flask-WTF checks the Referer of HTTPS form posts (WTF_CSRF_SSL_STRICT).
            headers["Referer"] = ISSUER + path
        if connection is None:
            connection = self._own_connection()
        reply = connection.request(method, path, form=form, headers=headers, tag=tag)
        if self.fresh_connections and connection is self._connection:
            connection.close()
            self._connection = None
        self._keep_cookies(reply)
        self.replies.append(reply)
        return reply

    def _own_connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection("127.0.0.1", self.port, client_ip=self.client_ip)
        return self._connection

    def _keep_cookies(self, reply: Reply) -> None:
        for header in reply.headers.get_all("Set-Cookie") or []:
            pair, _sep, attributes = header.partition(";")
            name, _eq, value = pair.strip().partition("=")
            lowered = attributes.lower()
            if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def submit(self, page: Reply, **fields: str) -> Reply:
        """Post a form of ``page`` back to the page's own address (every form here does)."""
        return self.request("POST", page.path, {**fields, "csrf_token": csrf_token(page.text)})

    def follow(self, reply: Reply) -> Reply:
        """Follow redirects within the provider; stops at one that leaves it."""
        for _ in range(10):
            target = provider_path(reply.location) if reply.is_redirect else None
            if target is None:
                return reply
            reply = self.get(target)
        raise AssertionError(f"redirect loop: {reply.describe()}")

    def sign_in(self, user_code: str, password: str, code_for: Callable[[], str]) -> Reply:
        """Password, then the emailed code; returns the answer to the code (302 when done)."""
        page = self.get("/connexion")
        assert page.status == 200, page.describe()
        sent = self.submit(page, user_code=user_code, password=password)
        assert sent.status == 302, sent.describe()
        assert provider_path(sent.location) == "/connexion/code", sent.describe()
        code_page = self.get("/connexion/code")
        assert code_page.status == 200, code_page.describe()
        return self.submit(code_page, code=code_for())

    def authorize(
        self, url: str, user_code: str, password: str, code_for: Callable[[], str]
    ) -> str:
        """Go through authorize (signing in if asked, consenting); the callback URL."""
        reply = self.get(url)
        for _ in range(12):
            if reply.is_redirect:
                target = provider_path(reply.location)
                if target is None:
                    return str(reply.location)
                reply = self.get(target)
                continue
            assert reply.status == 200, reply.describe()
            path = urlsplit(reply.path).path
            if path == "/connexion":
                reply = self.submit(reply, user_code=user_code, password=password)
            elif path == "/connexion/code":
                reply = self.submit(reply, code=code_for())
            elif path == "/oidc/authorize" and 'value="allow"' in reply.text:
                reply = self.submit(reply, decision="allow")
            else:
                raise AssertionError(f"unexpected page: {reply.describe()}")
        raise AssertionError("no redirect to the relying party")


def provider_path(location: str | None) -> str | None:
    """The path (and query) of a redirect within the provider; None when it leaves it."""
    if location is None:
        return None
    if location.startswith(ISSUER + "/"):
        return location[len(ISSUER) :]
    if location.startswith("/"):
        return location
    return None


def query_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
