"""``python -m demo_rp.iqea``: the IQEA demo site on 127.0.0.1:5001 (settings: IQEA_*)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from demo_rp.iqea import create_app


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app()
    base = urlsplit(app.config["IQEA_BASE_URL"])
    port = base.port or (443 if base.scheme == "https" else 80)
    print(f"IQEA: {app.config['IQEA_BASE_URL']} (provider {app.config['IQEA_IDP_ISSUER']})")
    # Threaded: while the site waits on the provider's token endpoint, the provider fetches
    # the site's jwks_uri.
    app.run(host="127.0.0.1", port=port, threaded=True, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
