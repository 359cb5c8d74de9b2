"""A WSGI wrapper that sends a page asked under another name of the server to its own name.

The demo's provider and sites are named ``localhost`` (``http://localhost:5000``, ...): WebAuthn
refuses an IP address as relying party id, and cookies belong to a host name. They listen on
127.0.0.1, so ``http://127.0.0.1:5000/connexion`` — a bookmark of an older demo, an address
typed by habit — would still answer, but without the sessions of ``localhost``, without passkeys
and outside the single sign-on of the sites. A page (GET or HEAD) asked so is redirected to the
same path and query under the configured name; other methods are served as they come (a form
posted there has no session to lose).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.sansio.utils import get_current_url
from werkzeug.wrappers import Request, Response

PAGE_METHODS = frozenset({"GET", "HEAD"})


def served_under(app: Any, base_url: str) -> Any:
    """``app``, whose pages asked under a host other than ``base_url``'s go there (308)."""
    base = urlsplit(base_url)
    name = _host_and_port(base.netloc, base.scheme)

    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        asked = _host_and_port(request.host, base.scheme)
        if request.method not in PAGE_METHODS or asked == name:
            return app(environ, start_response)
        location = get_current_url(
            base.scheme, base.netloc, request.root_path, request.path, request.query_string
        )
        return Response(status=308, headers={"Location": location})(environ, start_response)

    return wrapped


def _host_and_port(netloc: str, scheme: str) -> tuple[str, int]:
    """``localhost:80`` and ``localhost`` are one name for http (no redirection loop)."""
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:  # a Host header that is not one: not the name, so redirected
        port = None
    default = 443 if scheme == "https" else 80
    return (parts.hostname or "", port or default)
