"""What the demo ministry sites that sign people in over OpenID Connect share.

IQEA (``demo_rp.iqea``, enterprises) and the pesticide certificate application
(``demo_rp.pesticides``, citizens) are the same kind of site: authlib's Flask client with
``private_key_jwt`` and PKCE, server-side sessions, back-channel logout, security events,
French first and English on a switch, a page « Ce que le fournisseur d'identité nous a
transmis ». What tells one from the other is a :class:`~demo_rp.common.site.SiteProfile`;
:func:`create_site` builds the Flask application from it, and the site adds its own pages (the
blueprint ``site``).

- ``site.py``         the profile, the settings (``<PREFIX>_*`` environment variables)
- ``app.py``          ``create_site``: the application, its services and its shared parts
- ``keys.py``         the site's client key (RSA or P-256), made on first run; its JWKS
- ``storage.py``      the SQLite database: sessions, used logout tokens, and the site's tables
- ``sessions.py``     server-side sessions behind a random cookie value
- ``oidc.py``         the OpenID Connect client: sign-in, renewal, logout tokens
- ``security_events.py``  the provider's pushed security events (RFC 8417/8935): checks, record
- ``auth.py``         sign-in, callback, sign-out, back-channel logout, security events,
                      ``jwks.json`` routes
- ``views.py``        shared pages of the ``site`` blueprint: language switch, « transmis »
- ``transmitted.py``  the « transmis » page's sections (``idp.inspect``)
- ``i18n.py``         the language of a request, the texts every site shares, date formats
- ``security.py``     response headers; ``errors.py``: error pages
- ``templates/common/``, ``static/``: the Québec government layout, shared page parts, base CSS
"""

from demo_rp.common.app import create_site
from demo_rp.common.site import SiteProfile

__all__ = ["SiteProfile", "create_site"]
