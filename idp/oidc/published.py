"""Discovery metadata and the key set, answered from bytes built once per process.

These documents are public, the same for everyone, and change only when the key set changes
(a rotation, a retired key leaving the set). Relying parties and libraries fetch them often, so
a small WSGI layer in front of Flask answers ``GET`` and ``HEAD`` for them without the work every
page needs (session, rate limits, CSP, language): bytes ready to send, an ``ETag`` for
conditional requests, the headers a public JSON document needs, and the request counted in the
Prometheus metrics like any other. Other methods go on to Flask (``405``, ``OPTIONS``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from idp.runtime import Runtime

JWKS_PATH = "/.well-known/jwks.json"
OIDC_DISCOVERY_PATH = "/.well-known/openid-configuration"
# RFC 8414 asks for the same document at this address.
OAUTH_DISCOVERY_PATH = "/.well-known/oauth-authorization-server"

# Long enough to spare the provider, short enough that a new `next` key is seen well before
# the rotation that makes it current (docs/keys.md).
JWKS_MAX_AGE_SECONDS = 3600
DISCOVERY_MAX_AGE_SECONDS = 3600
# The endpoint names Flask would give these requests, so the metrics read the same either way.
ENDPOINTS = {
    JWKS_PATH: "oidc.jwks",
    OIDC_DISCOVERY_PATH: "oidc.openid_configuration",
    OAUTH_DISCOVERY_PATH: "oidc.oauth_authorization_server",
}


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, content: dict[str, Any], max_age: int, *, https: bool) -> Document:
        body = json.dumps(content, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = [
            ("Cache-Control", f"public, max-age={max_age}"),
            ("ETag", etag),
            ("Access-Control-Allow-Origin", "*"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ]
        if https:
            headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        return cls(body, etag, tuple(headers))

    def matches(self, if_none_match: str | None) -> bool:
        """RFC 9110 §13.1.2: weak comparison, any of a list, or ``*``."""
        if not if_none_match:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or self.etag in tags


class PublishedDocuments:
    """The documents of one runtime; the key set rebuilt whenever the published keys change."""

    def __init__(self, runtime: Runtime, metadata: Callable[[Runtime], dict[str, Any]]) -> None:
        self._runtime = runtime
        self._metadata_of = metadata
        self._metadata: Document | None = None
        self._jwks: tuple[tuple[str, ...], Document] | None = None

    @property
    def _https(self) -> bool:
        return self._runtime.settings.uses_https

    def get(self, path: str) -> Document:
        if path == JWKS_PATH:
            return self.jwks()
        return self.metadata()

    def metadata(self) -> Document:
        if self._metadata is None:
            content = self._metadata_of(self._runtime)
            self._metadata = Document.of(content, DISCOVERY_MAX_AGE_SECONDS, https=self._https)
        return self._metadata

    def jwks(self) -> Document:
        keystore = self._runtime.keystore
        kids = tuple(entry.kid for entry in keystore.published())
        cached = self._jwks
        if cached is None or cached[0] != kids:
            cached = (kids, Document.of(keystore.jwks(), JWKS_MAX_AGE_SECONDS, https=self._https))
            self._jwks = cached
        return cached[1]


class PublishedDocumentsMiddleware:
    """Answers ``GET``/``HEAD`` of the three addresses; everything else goes to ``app``."""

    def __init__(
        self,
        app: WSGIApplication,
        documents: PublishedDocuments,
        observe: Callable[[str, str, int, float], None],
    ) -> None:
        self._app = app
        self._documents = documents
        self._observe = observe

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path not in ENDPOINTS or method not in {"GET", "HEAD"}:
            return self._app(environ, start_response)
        started = time.perf_counter()
        document = self._documents.get(path)
        if document.matches(environ.get("HTTP_IF_NONE_MATCH")):
            status, body = 304, b""
            start_response("304 Not Modified", list(document.headers))
        else:
            status, body = 200, document.body
            headers = [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                *document.headers,
            ]
            start_response("200 OK", headers)
        self._observe(method, ENDPOINTS[path], status, time.perf_counter() - started)
        return [b""] if method == "HEAD" else [body]
