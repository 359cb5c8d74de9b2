"""``python -m demo_rp.pesticides``: the pesticide certificate site at http://localhost:5003
(settings: PESTICIDES_*)."""

from __future__ import annotations

from demo_rp.common.app import serve
from demo_rp.pesticides import create_app


def main() -> None:
    serve(create_app(), "Pesticides")


if __name__ == "__main__":
    main()
