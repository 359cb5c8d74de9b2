"""The provider served over real HTTP on loopback, and a browser that signs in through it.

Client libraries make their own HTTP requests and check times against the real clock, so the
tests that use them need what the Flask test client cannot give:

- :class:`WallClock`, a test clock that follows the real time;
- :func:`reserve_loopback_socket` and :class:`LiveServer`: werkzeug's threaded server on a port
  reserved before the app is built, since the issuer setting must name the URL it is served at;
- :class:`HttpBrowser`: a ``requests.Session`` standing for the person's browser, which signs in,
  consents and stops at the redirect back to the relying party.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import MutableClock, Person, SmtpCapture, csrf_token

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# Generous for loopback, short enough that a hung server fails the test quickly.
HTTP_TIMEOUT_SECONDS = 5
# Sign-in, code, consent and a few redirects: anything longer is a loop.
MAX_BROWSER_STEPS = 12
# How often the server thread checks whether it is asked to stop.
SHUTDOWN_POLL_SECONDS = 0.05


class WallClock(MutableClock):
    """The real time (as client libraries see it), still movable with :meth:`advance`."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    @property  # type: ignore[override]
    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @now.setter
    def now(self, value: datetime) -> None:
        self.offset = value - datetime.now(UTC)


def reserve_loopback_socket() -> socket.socket:
    """A listening socket on a free loopback port, held until the server takes it over.

    Binding first and handing the socket to the server leaves no window in which another
    process could take the port between choosing it and serving on it.
    """
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    listening.listen(16)
    return listening


def socket_url(listening: socket.socket) -> str:
    host, port = listening.getsockname()[:2]
    return f"http://{host}:{port}"


class LiveServer:
    """The app served by werkzeug's threaded server from a background thread.

    ``requests`` lists the method and path of every request served, in order, so that a test
    can tell what a client library asked for on its own (its JWKS, for instance).
    """

    def __init__(self, app: Flask, listening: socket.socket) -> None:
        self.url = socket_url(listening)
        self.requests: list[tuple[str, str]] = []
        self._app = app
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._recording, threaded=True, fd=listening.fileno()
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"live-server {self.url}",
            daemon=True,
        )

    def _recording(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return self._app(environ, start_response)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=HTTP_TIMEOUT_SECONDS)
        self._server.server_close()


@contextmanager
def serve(app: Flask, listening: socket.socket) -> Iterator[LiveServer]:
    """Serve ``app`` on ``listening`` for the duration of the block."""
    server = LiveServer(app, listening)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class HttpBrowser:
    """A person's browser: cookies, forms with their CSRF token, the provider's redirects.

    Redirects are followed by hand and only within the provider's origin: the one that leaves
    it is the answer to the relying party, whose host does not exist.
    """

    def __init__(self, base_url: str, smtp: SmtpCapture) -> None:
        self.base_url = base_url
        self.smtp = smtp
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def authorize(self, authorization_url: str, person: Person) -> str:
        """Sign ``person`` in, agree to share, and return the callback URL the provider chose."""
        response = self._request("GET", authorization_url)
        for _step in range(MAX_BROWSER_STEPS):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not self._is_provider(location):
                    return location
                response = self._request("GET", location)
                continue
            response = self._fill_in(response, person)
        raise AssertionError(f"no redirect to the relying party after {MAX_BROWSER_STEPS} steps")

    def _fill_in(self, page: requests.Response, person: Person) -> requests.Response:
        """Answer the page shown the way the person would."""
        path = urlsplit(page.url).path
        assert page.status_code == 200, f"{page.status_code} at {page.url}: {page.text[:500]}"
        if path == "/connexion":
            return self._submit(page, user_code=person.user_code, password=person.password)
        if path == "/connexion/code":
            return self._submit(page, code=self.smtp.last_code(person.email))
        if path == "/oidc/authorize" and 'value="allow"' in page.text:
            return self._submit(page, decision="allow")
        raise AssertionError(f"unexpected page at {page.url}: {page.text[:500]}")

    def _submit(self, page: requests.Response, **fields: str) -> requests.Response:
        # Every form of these pages posts back to the address of the page itself.
        data = {**fields, "csrf_token": csrf_token(page.text)}
        return self._request("POST", page.url, data=data)

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        assert self._is_provider(url), f"the browser was sent off the provider: {url}"
        return self.session.request(
            method, url, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS, **kwargs
        )

    def _is_provider(self, url: str) -> bool:
        return url.startswith(self.base_url + "/")
