"""The identity provider and the three demo ministry sites, as real processes, for the browser
tests.

Started the way ``python -m demo_rp`` starts them (``idp demo start`` with ``config/demo.toml``,
``python -m demo_rp.iqea``, ``python -m demo_rp.amf``, ``python -m demo_rp.pesticides``), but
isolated from the demo of the working copy: each process gets a temporary instance folder, the
provider its own signing keys and a temporary copy of ``demo_rp/registrations`` (with the AMF
metadata written there), and all of them free loopback ports instead of 5000-5003 and 8025, so
that a demo running beside the tests (or another test run) does not matter. ``IDP_*``
environment variables win over the settings file; the sites read ``IQEA_*``, ``AMF_*`` and
``PESTICIDES_*``.

The addresses are ``http://localhost:<port>``, like the demo's (WebAuthn refuses an IP address
as relying party id): the servers listen on 127.0.0.1, which the name resolves to.

Each process runs in its own process group, its output in ``test-artifacts/e2e/<name>.log``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

from demo_rp.amf.sp import write_metadata

ROOT = Path(__file__).resolve().parents[2]
REGISTRATIONS = ROOT / "demo_rp" / "registrations"
DEMO_CONFIG = ROOT / "config" / "demo.toml"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
# Where the servers listen, and the name their addresses use.
LOOPBACK = "127.0.0.1"
HOST = "localhost"
# The origins written in demo_rp/registrations/*.toml, replaced by the ports of the test run.
DEMO_IQEA_ORIGIN = "http://localhost:5001"
DEMO_AMF_ORIGIN = "http://localhost:5002"
DEMO_PESTICIDES_ORIGIN = "http://localhost:5003"
# How long a server may take to answer its first request (migrations and keys on first start).
STARTUP_SECONDS = 60
STOP_SECONDS = 10


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    # Answers HTTP 200 once the server is ready.
    ready_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class DemoServers:
    """The provider and the three ministry sites of the demo, started for one test session."""

    idp: str
    iqea: str
    amf: str
    pesticides: str
    servers: list[Server] = field(default_factory=list)

    @property
    def mailbox(self) -> str:
        return f"{self.idp}/demo/courriels"

    def check_running(self) -> None:
        for server in self.servers:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} stopped (exit {server.process.returncode}); "
                    f"{server.log_path}:\n{server.log_tail()}"
                )

    def stop(self) -> None:
        for server in reversed(self.servers):
            stop_process_group(server.process)


def start_demo_servers(
    workdir: Path,
    artifacts: Path = ARTIFACTS,
    *,
    registration_lines: Mapping[str, str] | None = None,
) -> DemoServers:
    """Start the provider, then IQEA, the AMF and the pesticide site; return once each answers
    HTTP.

    ``registration_lines`` adds settings to the copy of a site's registration, by file stem
    (``{"iqea": 'minimum_acr = "urn:clicsequr:acr:phr"'}``).
    """
    artifacts.mkdir(parents=True, exist_ok=True)
    idp_port, iqea_port, amf_port, pesticides_port, smtp_port = (free_port() for _ in range(5))
    demo = DemoServers(
        idp=f"http://{HOST}:{idp_port}",
        iqea=f"http://{HOST}:{iqea_port}",
        amf=f"http://{HOST}:{amf_port}",
        pesticides=f"http://{HOST}:{pesticides_port}",
    )
    registrations = workdir / "registrations"
    registrations.mkdir()
    for toml in REGISTRATIONS.glob("*.toml"):
        text = toml.read_text("utf-8")
        for demo_origin, origin in (
            (DEMO_IQEA_ORIGIN, demo.iqea),
            (DEMO_AMF_ORIGIN, demo.amf),
            (DEMO_PESTICIDES_ORIGIN, demo.pesticides),
        ):
            text = text.replace(demo_origin, origin)
        extra = (registration_lines or {}).get(toml.stem)
        if extra:
            text = f"{text.rstrip()}\n{extra}\n"
        (registrations / toml.name).write_text(text, "utf-8")
    amf_instance = workdir / "amf"
    write_metadata(registrations / "amf-metadata.xml", base_url=demo.amf, instance_dir=amf_instance)

    python = sys.executable
    idp_command = str(Path(python).with_name("idp"))
    if not Path(idp_command).exists():
        idp_command = shutil.which("idp") or idp_command
    base_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        # This checkout's packages first: the `idp` script of a virtual environment installed
        # editable from another checkout would import that one's.
        "PYTHONPATH": os.pathsep.join(
            part for part in (str(ROOT), os.environ.get("PYTHONPATH", "")) if part
        ),
        "IDP_CONFIG_FILE": str(DEMO_CONFIG),
    }
    # Settings of the outer environment must not leak into the demo processes.
    for key in list(base_env):
        if key.startswith(("IDP_TEST_", "IQEA_", "AMF_", "PESTICIDES_")):
            del base_env[key]
    idp_env = {
        **base_env,
        "IDP_ENV": "demo",
        "IDP_ISSUER": demo.idp,
        "IDP_INSTANCE_DIR": str(workdir / "idp"),
        "IDP_KEYS_DIR": str(workdir / "idp-keys"),
        "IDP_RELYING_PARTIES_DIR": str(registrations),
        "IDP_SMTP_HOST": "127.0.0.1",
        "IDP_SMTP_PORT": str(smtp_port),
    }
    for key in ("IDP_DATABASE_URL", "IDP_REDIS_URL", "IDP_SECRET_KEY"):
        idp_env.pop(key, None)
    site_env = {
        **base_env,
        "IQEA_IDP_ISSUER": demo.idp,
        "IQEA_BASE_URL": demo.iqea,
        "IQEA_INSTANCE_DIR": str(workdir / "iqea"),
        "AMF_BASE_URL": demo.amf,
        "AMF_IDP_METADATA_URL": f"{demo.idp}/saml/metadata",
        "AMF_INSTANCE_DIR": str(amf_instance),
        "PESTICIDES_IDP_ISSUER": demo.idp,
        "PESTICIDES_BASE_URL": demo.pesticides,
        "PESTICIDES_INSTANCE_DIR": str(workdir / "pesticides"),
    }
    try:
        provider = _spawn(
            "idp",
            [idp_command, "demo", "start", "--host", LOOPBACK, "--port", str(idp_port)],
            idp_env,
            demo.idp,
            f"{demo.idp}/.well-known/openid-configuration",
            artifacts,
        )
        demo.servers.append(provider)
        _wait_until_ready(provider)
        for name, url in (
            ("iqea", demo.iqea),
            ("amf", demo.amf),
            ("pesticides", demo.pesticides),
        ):
            server = _spawn(
                name, [python, "-m", f"demo_rp.{name}"], site_env, url, f"{url}/", artifacts
            )
            demo.servers.append(server)
        for server in demo.servers[1:]:
            _wait_until_ready(server)
    except BaseException:
        demo.stop()
        raise
    return demo


def _spawn(
    name: str, command: list[str], env: dict[str, str], url: str, ready_url: str, logs: Path
) -> Server:
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, url, ready_url, process, log_path)


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode} before answering; "
                f"{server.log_path}:\n{server.log_tail()}"
            )
        try:
            response = requests.get(server.ready_url, timeout=2)
        except requests.RequestException as error:
            last_error = str(error)
        else:
            if response.status_code == 200:
                return
            last_error = f"HTTP {response.status_code}"
        time.sleep(0.1)
    raise RuntimeError(
        f"{server.name} did not answer {server.ready_url} within {STARTUP_SECONDS} s "
        f"({last_error}); {server.log_path}:\n{server.log_tail()}"
    )


def stop_process_group(
    process: subprocess.Popen[bytes], wait_seconds: float = STOP_SECONDS
) -> None:
    """Terminate the process group (a graceful stop), then kill it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=wait_seconds)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=wait_seconds)
