"""``python -m demo_rp.amf``: serve the AMF demo site at http://localhost:5002 (development server).

``python -m demo_rp.amf --write-metadata PATH`` only writes the SP metadata (making the key pair
if needed) for the provider's relying-parties directory, and exits.
"""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from demo_rp.amf import create_app
from demo_rp.amf import settings as env
from demo_rp.amf.sp import write_metadata
from idp.demo.named import served_under


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo_rp.amf", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: AMF_BASE_URL's, or 5002")
    parser.add_argument("--write-metadata", metavar="PATH", help="write the SP metadata and exit")
    args = parser.parse_args(argv)
    if args.write_metadata:
        path = write_metadata(args.write_metadata)
        print(f"SP metadata written to {path}")
        return
    port = args.port or urlsplit(env.base_url()).port or 5002
    app = create_app()
    app.wsgi_app = served_under(app.wsgi_app, env.base_url())  # type: ignore[method-assign]
    print(f"Autorité des marchés financiers (demo): {env.base_url()}/")
    app.run(host=args.host, port=port, debug=False, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
