"""The WSGI entry point of production: ``gunicorn -c config/gunicorn.conf.py idp.wsgi:app``.

Settings come from ``IDP_*`` variables (and ``IDP_CONFIG_FILE``), as for every other start.
"""

from idp import create_app

app = create_app()
