"""Where things are: the project, this folder, the Python that runs the harness."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# The servers run under the interpreter of the harness (the project's .venv).
PYTHON = Path(sys.executable)
NODE_DIR = BENCH_DIR / "node"
RUNS_DIR = BENCH_DIR / "runs"
