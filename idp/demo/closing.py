"""A WSGI wrapper that closes every response once, for werkzeug's development server.

Emails that must leave after the response (``idp/mail/deferred.py``) go when the server calls
the response's ``close()``. Gunicorn always does. Werkzeug's development server, which serves
the demo (``idp demo start``), does not when the browser resets the connection: the socket read
in its clean-up raises first, and ``close()`` is skipped (seen in about two requests out of
three in a loop of resets). An emailed code or a « mot de passe changé » notice was then never
sent. Here ``close()`` also runs when the body has been written or the iteration is abandoned,
and only once whoever calls it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class ClosedOnce:
    """``body``, iterated, then closed exactly once."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            # Not ``yield from``: it would close the body itself when abandoned, a second time.
            for chunk in self._body:  # noqa: UP028 (see above)
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def closing_every_response(app: Any) -> Any:
    """``app`` whose responses are :class:`ClosedOnce`."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> ClosedOnce:
        return ClosedOnce(app(environ, start_response))

    return wrapped
