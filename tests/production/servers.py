"""The provider started as production starts it: ``gunicorn -c config/gunicorn.conf.py
idp.wsgi:app``, two workers, settings from ``IDP_*`` variables only.

What the tests add to the production command, and why:

- ``GUNICORN_CMD_ARGS`` (gunicorn's own way to add options to a configuration file) sets an
  access log whose lines carry the worker's PID and the request's ``X-Test-Tag`` header, so a
  test can tell which worker served each of its requests (the app exposes no worker id);
  and a keep-alive of ``KEEPALIVE_SECONDS`` instead of 5 s, as a host behind a reverse proxy
  would have: a connection pinned to a worker must stay with it while a loaded machine takes
  several seconds to pin the others (CI once saw every pinned connection to worker B expire,
  reconnect, and land on worker A);
- ``PROMETHEUS_MULTIPROC_DIR``: a folder of the test's own for the workers' counter files.

The process runs in its own process group; its output goes to
``test-artifacts/production/<name>.log`` and its access log beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.servers import stop_process_group
from tests.production.httpclient import ISSUER_HOST, Connection

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "production"
GUNICORN = Path(sys.executable).with_name("gunicorn")
IDP_COMMAND = Path(sys.executable).with_name("idp")
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
WORKERS = 2
STARTUP_SECONDS = 60
STOP_SECONDS = 25
# Longer than any pinning (pinned_connections gives up after a minute).
KEEPALIVE_SECONDS = 120
# How long an access-log line may lag behind its response (gunicorn writes it after sending).
ACCESS_LOG_LAG_SECONDS = 5.0
ACCESS_FORMAT = "%(p)s %({x-test-tag}i)s %(s)s %(m)s %(U)s"
_ACCESS_LINE = re.compile(r"^<(\d+)> (\S+) (\d{3}) (\S+) (\S+)")


@dataclass(frozen=True)
class Served:
    """One access-log line: which worker answered which tagged request, and how."""

    pid: int
    tag: str
    status: int
    method: str
    path: str


@dataclass
class IdpServer:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    access_log_path: Path
    env: dict[str, str]
    _offset: int = 0
    _served: dict[str, Served] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self, client_ip: str = "10.0.0.1") -> Connection:
        return Connection("127.0.0.1", self.port, client_ip=client_ip)

    # -- processes ---------------------------------------------------------------------------

    def worker_pids(self) -> set[int]:
        """The master's children right now (the workers)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except FileNotFoundError:
            return set()

    def workers_cpu_seconds(self) -> float:
        """User and system CPU time of the current workers so far."""
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(FileNotFoundError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} stopped (exit {self.process.returncode}); "
                f"{self.log_path}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        stop_process_group(self.process, STOP_SECONDS)

    # -- the access log ----------------------------------------------------------------------

    def _read_access_log(self) -> None:
        try:
            with self.access_log_path.open("rb") as log:
                log.seek(self._offset)
                chunk = log.read()
        except FileNotFoundError:
            return
        end = chunk.rfind(b"\n") + 1  # only whole lines
        self._offset += end
        for line in chunk[:end].decode("utf-8", errors="replace").splitlines():
            match = _ACCESS_LINE.match(line)
            if match and match.group(2) != "-":
                pid, tag, status, method, path = match.groups()
                self._served[tag] = Served(int(pid), tag, int(status), method, path)

    def served(self, tags: list[str] | set[str], *, wait: bool = True) -> dict[str, Served]:
        """The access-log lines of these tags (waiting a little for lines still being written)."""
        wanted = set(tags)
        deadline = time.monotonic() + (ACCESS_LOG_LAG_SECONDS if wait else 0)
        while True:
            self._read_access_log()
            if wanted <= self._served.keys() or time.monotonic() >= deadline:
                return {tag: self._served[tag] for tag in wanted if tag in self._served}
            time.sleep(0.05)

    def pids_of(self, tags: list[str] | set[str]) -> set[int]:
        return {served.pid for served in self.served(tags).values()}

    def pinned_connections(self, per_worker: int, client_ip: str) -> list[Connection]:
        """Keep-alive connections known to be held by each worker, ``per_worker`` of each,
        alternating (worker A, worker B, A, B...).

        gunicorn hands each new connection to whichever worker accepts it first; a connection
        then stays with that worker. Probing a batch of new connections with ``/healthz`` and
        reading the access log tells which is whose; surplus connections are closed. Use them
        within a minute or so: the tests' gunicorn closes idle connections after KEEPALIVE_SECONDS.
        """
        by_pid: dict[int, list[Connection]] = {}
        # On a loaded machine one worker may accept every connection for a while: keep trying
        # for up to a minute, with longer pauses, before calling the server broken.
        deadline = time.monotonic() + 60
        pause = 0.1
        while time.monotonic() < deadline:
            batch = [self.connect(client_ip) for _ in range(2 * WORKERS * per_worker)]
            tags = [connection.request("GET", "/healthz").tag for connection in batch]
            served = self.served(tags)
            for connection, tag in zip(batch, tags, strict=True):
                held = by_pid.setdefault(served[tag].pid, [])
                if len(held) < per_worker:
                    connection.worker_pid = served[tag].pid
                    held.append(connection)
                else:
                    connection.close()
            if len(by_pid) == WORKERS and all(len(c) == per_worker for c in by_pid.values()):
                columns = list(by_pid.values())
                return [connection for row in zip(*columns, strict=True) for connection in row]
            # A worker busy accepting takes a whole batch; give the other one a turn.
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        for connections in by_pid.values():
            for connection in connections:
                connection.close()
        raise AssertionError(f"could not reach both workers: {sorted(by_pid)}")

    def connection_to(self, worker_pid: int, client_ip: str) -> Connection:
        """A new keep-alive connection held by that worker, to use at once (one that waited
        longer than gunicorn's keep-alive, as on a loaded machine, would be closed and the
        request would reach whichever worker accepts its replacement)."""
        for _round in range(20):
            connections = self.pinned_connections(1, client_ip)
            wanted = [c for c in connections if c.worker_pid == worker_pid]
            for connection in connections:
                if connection not in wanted:
                    connection.close()
            if wanted:
                return wanted[0]
        raise AssertionError(f"worker {worker_pid} took no connection")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_env(settings: dict[str, str]) -> dict[str, str]:
    """The environment of a production start: this process's, without any ``IDP_*`` of the
    outer run (test settings, a developer's configuration), plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "PROMETHEUS_"))}
    env["PYTHONUNBUFFERED"] = "1"
    # No settings file of the working copy (config/idp.toml) may leak into the run.
    env["IDP_CONFIG_FILE"] = str(ROOT / "config" / "does-not-exist.toml")
    env.update(settings)
    return env


def run_idp_command(args: list[str], settings: dict[str, str]) -> str:
    """``idp <args>`` with the production settings; its output, or an error naming it."""
    result = subprocess.run(
        [str(IDP_COMMAND), *args],
        cwd=ROOT,
        env=production_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"idp {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def start_gunicorn(name: str, settings: dict[str, str], workdir: Path) -> IdpServer:
    """Start gunicorn with the production configuration; return once it is ready."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / f"{name}.log"
    access_log_path = ARTIFACTS / f"{name}.access.log"
    access_log_path.unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    extra = [
        "--keep-alive",
        str(KEEPALIVE_SECONDS),
        "--access-logfile",
        str(access_log_path),
        "--access-logformat",
        ACCESS_FORMAT,
    ]
    env = production_env(
        {
            **settings,
            "IDP_BIND": f"127.0.0.1:{port}",
            "IDP_WORKERS": str(WORKERS),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
            "GUNICORN_CMD_ARGS": shlex.join(extra),
        }
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(GUNICORN_CONF), "idp.wsgi:app"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = IdpServer(name, port, process, log_path, access_log_path, env)
    try:
        wait_until_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def readiness_path(server: IdpServer) -> str:
    """``/readyz`` where the provider has it, else the discovery document."""
    with server.connect() as connection:
        reply = connection.request("GET", "/readyz")
    return "/readyz" if reply.status != 404 else "/.well-known/openid-configuration"


def wait_until_ready(server: IdpServer, timeout: float = STARTUP_SECONDS) -> None:
    """Poll until both workers are up and the provider answers its readiness probe with 200."""
    deadline = time.monotonic() + timeout
    last = ""
    path = None
    while time.monotonic() < deadline:
        server.check_running()
        try:
            path = path or readiness_path(server)
            with server.connect() as connection:
                reply = connection.request("GET", path)
        except OSError as error:
            last = repr(error)
        else:
            if reply.status == 200 and len(server.worker_pids()) == WORKERS:
                return
            last = f"HTTP {reply.status} {reply.text[:200]}"
        time.sleep(0.1)
    raise RuntimeError(
        f"{server.name} not ready within {timeout} s ({last}); {server.log_path}:\n"
        f"{server.log_tail()}"
    )


__all__ = ["ISSUER_HOST", "IdpServer", "Served", "start_gunicorn"]
