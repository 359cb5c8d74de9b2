"""The servers under test, each a process group this harness starts and stops itself.

Only processes started here are ever signalled, by their own process id (the group a server
leads is the one ``start_new_session`` made for it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.paths import PYTHON, ROOT

STOP_SECONDS = 25


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A server started from a command, with its log file and the URL that says it is up."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, timeout: float = 90) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (the harness's own fixed commands)
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} before it was ready; "
                    f"see {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        # Every worker has booted once the master answers through one of them;
                        # give the others a moment to finish theirs.
                        time.sleep(1.0)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready after {timeout} s; see {self.log_path}")

    def processes(self) -> list[psutil.Process]:
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            master = psutil.Process(self.process.pid)
            return [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.processes()[1:]]

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds so far of each worker (the master's children)."""
        found: dict[int, float] = {}
        for proc in self.processes()[1:]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                found[proc.pid] = times.user + times.system
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def gunicorn_server(
    name: str,
    config: Path,
    app: str,
    *,
    port: int,
    env: dict[str, str],
    run_dir: Path,
    ready_path: str,
    workers: int,
    threads: int | None = None,
) -> Server:
    """gunicorn with a settings file, bound to loopback, as production starts the provider."""
    command = [str(PYTHON), "-m", "gunicorn", "-c", str(config)]
    command.append(app)
    full_env = {
        **env,
        "IDP_BIND": f"127.0.0.1:{port}",
        "IDP_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(run_dir / f"{name}-metrics"),
    }
    if threads is not None:
        full_env["IDP_THREADS"] = str(threads)
    return Server(
        name=name,
        command=command,
        env=full_env,
        log_path=run_dir / f"{name}.log",
        ready_url=f"http://127.0.0.1:{port}{ready_path}",
    )
