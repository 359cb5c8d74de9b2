#!/usr/bin/env python3
"""Set-up and run, on a machine that has only Python.

    python3 dev.py demo     install, then start the identity provider on demo data
    python3 dev.py test     install, then run the whole test suite (pytest arguments may follow)

Everything goes into .venv beside this file; Debian packages the tests need are installed
with apt-get when missing, and the Node packages of the tests with npm: openid-client for the
client-library tests (tests/oidc/node), axe-core for the browser tests' accessibility check
(tests/e2e/node). Only the standard library is used here, since nothing else exists yet.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"
# Debian packages needed by the test suite, by the command they provide (Chromium: the browser
# the end-to-end tests drive with Playwright, tests/e2e/).
APT_PACKAGES_FOR_TESTS: dict[str, str] = {"xmlsec1": "xmlsec1", "chromium": "chromium"}
# Debian packages the provider itself needs (pysaml2 runs the xmlsec1 program).
APT_PACKAGES_FOR_DEMO: dict[str, str] = {"xmlsec1": "xmlsec1"}
# Node packages of the tests, one package-lock.json each: the relying party built on Node's
# openid-client (tests/oidc/test_client_libraries.py) and axe-core, injected into the pages by
# the browser tests (tests/e2e/accessibility.py).
NODE_TESTS_DIRS = [Path("tests") / "oidc" / "node", Path("tests") / "e2e" / "node"]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    ensure_venv(with_dev=command == "test")
    compile_translations()
    if command == "demo":
        ensure_apt_packages(APT_PACKAGES_FOR_DEMO)
        return run_demo(rest)
    ensure_apt_packages(APT_PACKAGES_FOR_TESTS)
    for directory in NODE_TESTS_DIRS:
        ensure_node_packages(directory)
    return run_tests(rest)


def ensure_venv(*, with_dev: bool) -> None:
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    extra = "[dev]" if with_dev else ""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    # A dev install also serves the demo; a change of pyproject.toml reinstalls.
    if installed and installed[0] == digest and (not with_dev or "dev" in installed):
        return
    print("Installing the project and its dependencies into .venv ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f".{extra}"], check=True)
    STAMP.write_text(f"{digest} {'dev' if with_dev else 'runtime'}")


def compile_translations() -> None:
    subprocess.run([str(BIN / "pybabel"), "-q", "compile", "-d", "idp/translations"], check=True)


def ensure_apt_packages(packages: dict[str, str]) -> None:
    missing = [pkg for command, pkg in packages.items() if shutil.which(command) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"Missing Debian packages {missing}: install them with apt-get (as root).")
    print(f"Installing Debian packages {missing} ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def ensure_node_packages(directory: Path) -> None:
    """``npm ci`` when node_modules is missing or package-lock.json changed since it ran."""
    lock_digest = hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()
    stamp = directory / "node_modules" / ".installed-lock-sha256"
    if stamp.exists() and stamp.read_text().strip() == lock_digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        print(
            f"NOTICE: npm not found, the Node packages of {directory} are not installed: "
            "the tests that use them will fail until Node.js 20+ and npm are installed.",
            flush=True,
        )
        return
    print(f"Installing the Node packages of {directory} (npm ci) ...", flush=True)
    subprocess.run([npm, "ci", "--prefix", str(directory), "--no-audit", "--no-fund"], check=True)
    stamp.write_text(lock_digest)


PARALLEL = ["-n", "auto", "--dist", "loadgroup"]


def run_demo(args: list[str]) -> int:
    """The provider and the demo ministry sites (demo_rp/__main__.py), until Ctrl-C."""
    try:
        return subprocess.call([str(PYTHON), "-m", "demo_rp", *args])
    except KeyboardInterrupt:
        return 0


def run_tests(args: list[str]) -> int:
    # One process per core (pytest-xdist); the browser journeys stay together in one of them
    # (their xdist_group), each worker has its own databases (tests/conftest.py).
    # `-n 0` in the arguments runs everything in this process.
    parallel = [] if any(a == "-n" or a.startswith("-n") for a in args) else PARALLEL
    return subprocess.call([str(PYTHON), "-m", "pytest", *parallel, *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
