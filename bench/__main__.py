"""``.venv/bin/python -m bench``: every benchmark, then bench/RESULTS.md (see bench/README.md).

The Python packages of the ``bench`` group of pyproject.toml are installed first when one is
missing (``pip install -e .[bench]``); wrk comes from Debian (apt-get) and oidc-provider from
npm (``npm ci`` in bench/node), each installed by the harness when missing.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH_PACKAGES = ("aiohttp", "psutil")

if any(importlib.util.find_spec(name) is None for name in BENCH_PACKAGES):
    print("Installing the bench dependencies (pip install -e .[bench]) ...", flush=True)
    subprocess.run(  # noqa: S603 (this interpreter's pip, the project's own extra)
        [sys.executable, "-m", "pip", "install", "-q", "-e", ".[bench]"],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )

from bench.run import main  # noqa: E402 (after the dependencies are there)

sys.exit(main())
