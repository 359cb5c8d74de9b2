"""``python -m demo_rp.iqea``: the IQEA demo site at http://localhost:5001 (settings: IQEA_*)."""

from __future__ import annotations

from demo_rp.common.app import serve
from demo_rp.iqea import create_app


def main() -> None:
    serve(create_app(), "IQEA")


if __name__ == "__main__":
    main()
