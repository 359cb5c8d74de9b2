"""Text the pages receive: never a NUL byte.

PostgreSQL text cannot hold U+0000 (psycopg refuses it even as a query parameter, so a user code
``A%00B`` on the sign-in page was a 500), where SQLite would store it or find nothing; no form
field or query parameter of a page has a use for it. A request carrying one in a parameter is
refused with 400 before any view runs, the same on both databases.

The OpenID Connect and SAML endpoints are left to their own parsers (``idp/oidc/parameters.py``,
``idp/saml/messages.py``), and the Management API to its own (``idp/api/``, which never reads a
form body): they bound every parameter and answer in the protocol's form.
"""

from __future__ import annotations

from flask import Flask, abort, request

_PROTOCOL_BLUEPRINTS = frozenset({"oidc", "saml", "api"})


def init_request_text(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes() -> None:
        if request.blueprint in _PROTOCOL_BLUEPRINTS:
            return
        for parameters in (request.args, request.form):
            for name, values in parameters.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    abort(400)
