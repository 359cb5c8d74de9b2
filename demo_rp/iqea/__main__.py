"""``python -m demo_rp.iqea``: the IQEA demo site on 127.0.0.1:5001 (settings: IQEA_*)."""

from __future__ import annotations

from demo_rp.common.app import serve
from demo_rp.iqea import create_app


def main() -> None:
    serve(create_app(), "IQEA")


if __name__ == "__main__":
    main()
